"""``maya.utils.executeDeferred``: Maya runs the callable once it is idle (here: when a test
calls :func:`run_deferred`)."""

_deferred = []


def executeDeferred(function):  # noqa: N802 (Maya's name)
    _deferred.append(function)


def run_deferred():
    """What Maya does once its UI is up: run the deferred callables, in order."""
    while _deferred:
        _deferred.pop(0)()
