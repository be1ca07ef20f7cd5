"""Lines that mean a run failed whatever the program printed them: crashes (signals, access
violations, core dumps), Python tracebacks and the error lines of the wrappers that farms put
around programs (nexrender, OpenJD adaptors, shell scripts).

The application parsers ask ``is_failure(line)`` besides their own patterns; the line has
already lost its wrapper prefixes (``base.clean_line``)."""

from __future__ import annotations

import re

_CRASHES = (
    "Segmentation fault",
    "Bus error",
    "SIGSEGV",
    "SIGABRT",
    "SIGBUS",
    "SIGILL",
    "SIGFPE",
    "EXCEPTION_ACCESS_VIOLATION",
    "application exception has occurred",
    "(core dumped)",
    "Fatal Python error",
    "Traceback (most recent call last)",
)
# Wrapper lines: "[ERROR]", "ERROR! Failed to ...", "lifecycle error ...", "... exited with
# code 1", an OpenJD adaptor's "... exited early and did not render successfully".
_WRAPPER = re.compile(
    r"^\s*(?:\[ERROR\]|ERROR!|lifecycle error\b)"
    r"|\bexited with code [1-9]"
    r"|\bexited early and did not render"
)
_GUARD = (
    "Segm",
    "Bus ",
    "SIG",
    "EXCEPTION",
    "exception",
    "core dumped",
    "Fatal",
    "Traceback",
    "ERROR",
    "error",
    "exited",
)


def is_failure(line: str) -> bool:
    """Whether the line reports a crash, a Python traceback or a wrapper's error."""
    if not any(word in line for word in _GUARD):
        return False
    return any(text in line for text in _CRASHES) or _WRAPPER.search(line) is not None
