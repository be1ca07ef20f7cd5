"""User regular expressions, compiled with RE2: depend masks, regex-mode hosts masks, pool
patterns and the name masks of bulk actions.

RE2 matches in time linear in the text, so a pattern such as ``(a+)+$`` cannot stall the
server the way a backtracking engine does. Its syntax is Perl's without backreferences and
lookaround; a pattern RE2 refuses is a SpecError naming its field. Compiled patterns are cached
by text, so each is compiled once however often it is matched.
"""

from __future__ import annotations

from functools import lru_cache

import re2

from app.core.errors import SpecError

_MAX_MEM = 1 << 20  # bytes per pattern: a name mask is a small program

Pattern = re2._Regexp  # what compile_pattern returns: .fullmatch(text), .search(text)


class _Refused(Exception):
    """Raised inside the cached compiler (lru_cache does not cache exceptions)."""


def compile_pattern(text: str, field: str, ignore_case: bool = False) -> Pattern:
    """``text`` compiled with RE2; SpecError(field, ...) when it is not a string or RE2
    refuses it (bad syntax, backreferences, lookaround, too large)."""
    if not isinstance(text, str):
        raise SpecError(field, f"must be a string, not {type(text).__name__}")
    try:
        return _compile(text, ignore_case)
    except _Refused as exc:
        raise SpecError(field, str(exc)) from None


@lru_cache(maxsize=4096)
def _compile(text: str, ignore_case: bool) -> Pattern:
    options = re2.Options()
    options.case_sensitive = not ignore_case
    options.log_errors = False
    options.max_mem = _MAX_MEM
    try:
        return re2.compile(text, options)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "refused"
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        message = f"not a valid regular expression: {reason} (RE2: no backreferences or lookaround)"
        raise _Refused(message) from None
