"""Lines that mean a run failed whatever the program printed them: crashes (signals, access
violations, core dumps), Python tracebacks and the error lines of the wrappers that farms put
around programs (nexrender, OpenJD adaptors, shell scripts).

The application parsers ask ``is_failure(line)`` (table parsers: a rule of ``FAILURE``) besides
their own patterns, and those whose
programs never print a harmless ``Error:`` line ask ``starts_with_error(line)`` too; the line
has already lost its wrapper prefixes (``base.clean_line``)."""

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
# Wrapper lines: "[ERROR]", "ERROR! Failed to ...", "lifecycle error ...", the shell's bare
# "Aborted" (SIGABRT), "... exited with code 1", an OpenJD adaptor's "... exited early and did
# not render successfully".
_WRAPPER = re.compile(
    r"^\s*(?:\[ERROR\]|ERROR!|lifecycle error\b|Aborted\s*$)"
    r"|\bexited with code [1-9]"
    r"|\bexited early and did not render"
)
# The same lines as one pattern, for the rules of table parsers (app/parsers/table.py).
FAILURE = "|".join((*map(re.escape, _CRASHES), _WRAPPER.pattern))
_ERROR_LINE = re.compile(r"^\s*(?:Error|ERROR)\s*:")
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
    "Aborted",
)


def is_failure(line: str) -> bool:
    """Whether the line reports a crash, a Python traceback or a wrapper's error."""
    if not any(word in line for word in _GUARD):
        return False
    return any(text in line for text in _CRASHES) or _WRAPPER.search(line) is not None


def starts_with_error(line: str) -> bool:
    """Whether the line is an ``Error: ...`` (or ``ERROR: ...``) message."""
    return _ERROR_LINE.match(line) is not None
