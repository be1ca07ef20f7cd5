"""One log line per kind of failure per interval: the repeats are counted, not written."""

import logging

import pytest

from app.server.log_throttle import LogThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def logged(clock):
    """A logger with a LogThrottle of 10 s; the list of what it wrote (message, exc_info)."""
    lines: list[tuple[str, object]] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append((record.getMessage(), record.exc_info))

    logger = logging.getLogger("test.log_throttle")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    handler = Keep()
    throttle = LogThrottle(interval=10.0, clock=clock)
    logger.addHandler(handler)
    logger.addFilter(throttle)
    yield logger, lines
    logger.removeFilter(throttle)
    logger.removeHandler(handler)


def test_one_line_per_kind_per_interval_then_the_count(logged, clock):
    logger, lines = logged
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        logger.warning("closed a connection from %s", address)
    logger.warning("refused a connection")  # another kind: written at once
    assert [message for message, _ in lines] == [
        "closed a connection from 10.0.0.1",
        "refused a connection",
    ]
    clock.now += 9.9
    logger.warning("closed a connection from %s", "10.0.0.4")
    assert len(lines) == 2
    clock.now += 0.2
    logger.warning("closed a connection from %s", "10.0.0.5")
    assert lines[-1][0] == "closed a connection from 10.0.0.5 (3 more in the last 10 s)"
    clock.now += 10.1
    logger.warning("closed a connection from %s", "10.0.0.6")
    assert lines[-1][0] == "closed a connection from 10.0.0.6"


def test_an_os_error_is_one_line_without_its_traceback(logged):
    logger, lines = logged
    try:
        raise OSError(24, "Too many open files")
    except OSError as exc:
        logger.error("socket.accept() out of system resource\nsocket: <fd=11>", exc_info=exc)
    assert lines == [
        ("socket.accept() out of system resource: [Errno 24] Too many open files", None)
    ]


def test_other_errors_keep_their_traceback(logged):
    logger, lines = logged
    try:
        raise KeyError("job")
    except KeyError as exc:
        logger.error("farm tick failed", exc_info=exc)
    assert lines[0][0] == "farm tick failed"
    assert lines[0][1][0] is KeyError


def test_kinds_are_forgotten_once_their_interval_passed(clock):
    throttle = LogThrottle(interval=10.0, max_kinds=4, clock=clock)
    for n in range(4):
        throttle.filter(logging.makeLogRecord({"msg": f"kind {n}"}))
    assert len(throttle) == 4
    clock.now += 10.1
    throttle.filter(logging.makeLogRecord({"msg": "kind 4"}))
    assert len(throttle) == 1
