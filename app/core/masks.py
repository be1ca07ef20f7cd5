"""Host masks, depend-mask regexes, need_os / need_properties matching and the render OS string.

Afanasy semantics:

- Hosts masks come in two modes. ``"find"`` (the default): the pattern is split on any of
  ``| ; , :`` and whitespace, and a host name matches when it *starts with* any token.
  ``"regex"``: the pattern is a regular expression that must match the *whole* name.
  Host names are case-insensitive (as in Afanasy, whose hosts masks are compiled with icase), so
  both modes ignore case.
- Depend masks are full-match regular expressions on job or block names (case-sensitive).
- ``need_os`` and ``need_properties`` use "contain" semantics: see :func:`needs_met`.

Regular expressions are RE2's (:mod:`app.core.patterns`): matching is linear in the name.
Masks are checked in the scheduler's hot path, so compiled masks are cached by pattern and a
regex mask remembers its verdict per host name.
"""

from __future__ import annotations

import re
from functools import lru_cache

from app.core.errors import SpecError
from app.core.os_family import system_family
from app.core.patterns import Pattern, compile_pattern

MODES = ("find", "regex")

_SEPARATORS = re.compile(r"[|;,:\s]+")
_VERDICTS_MAX = 4096  # host names whose verdict a regex mask remembers


class _BadPattern(Exception):
    """Raised inside the cached compilers (lru_cache does not cache exceptions)."""


def split_tokens(pattern: str) -> tuple[str, ...]:
    """The non-empty tokens of a find-mode pattern (separators: ``| ; , :`` and whitespace)."""
    return _tokens(pattern)


@lru_cache(maxsize=4096)
def _tokens(pattern: str) -> tuple[str, ...]:
    return tuple(token for token in _SEPARATORS.split(pattern) if token)


class HostMask:
    """A compiled hosts mask (``hosts_mask`` or ``hosts_mask_exclude``).

    Build it with :meth:`compile`. An empty mask (``""``, or a find pattern made only of
    separators) has ``empty`` True and matches nothing: a caller treats an empty include mask
    as "every host" and an empty exclude mask as "no host" (:func:`hosts_allowed` does both).
    """

    __slots__ = ("pattern", "mode", "_prefixes", "_regex", "_verdicts")

    def __init__(self, pattern: str, mode: str, prefixes: tuple[str, ...], regex: Pattern | None):
        self.pattern = pattern
        self.mode = mode
        self._prefixes = prefixes  # find mode, lower-cased
        self._regex = regex  # regex mode
        self._verdicts: dict[str, bool] = {}  # regex mode: host name -> matches

    @staticmethod
    def compile(pattern: str, mode: str = "find", field: str = "hosts_mask") -> HostMask:
        """The compiled mask; SpecError(field, ...) for an unknown mode or a bad regex."""
        if not isinstance(pattern, str):
            raise SpecError(field, f"must be a string, not {type(pattern).__name__}")
        if not isinstance(mode, str):
            raise SpecError(field, f"mask type must be a string, not {type(mode).__name__}")
        try:
            return _compile_host_mask(pattern, mode)
        except _BadPattern as exc:
            raise SpecError(field, str(exc)) from None

    @property
    def empty(self) -> bool:
        return not self._prefixes and self._regex is None

    def matches(self, name: str) -> bool:
        """Find: the name starts with a token. Regex: the regex matches the whole name.
        Both ignore case; an empty mask matches nothing."""
        if self._regex is not None:
            verdict = self._verdicts.get(name)
            if verdict is None:
                if len(self._verdicts) >= _VERDICTS_MAX:
                    self._verdicts.clear()
                verdict = self._verdicts[name] = self._regex.fullmatch(name) is not None
            return verdict
        return bool(self._prefixes) and name.lower().startswith(self._prefixes)

    def __repr__(self) -> str:
        return f"HostMask({self.pattern!r}, {self.mode!r})"


@lru_cache(maxsize=4096)
def _compile_host_mask(pattern: str, mode: str) -> HostMask:
    if mode == "find":
        prefixes = tuple(token.lower() for token in _tokens(pattern))
        return HostMask(pattern, mode, prefixes, None)
    if mode == "regex":
        if not pattern:
            return HostMask(pattern, mode, (), None)
        try:
            regex = compile_pattern(pattern, "", ignore_case=True)
        except SpecError as exc:
            raise _BadPattern(exc.message) from None
        return HostMask(pattern, mode, (), regex)
    raise _BadPattern(f"unknown mask type {mode!r}: must be one of {', '.join(map(repr, MODES))}")


def hosts_allowed(name: str, include: HostMask, exclude: HostMask) -> bool:
    """Afanasy's include/exclude pair: an empty include allows every host, an empty exclude
    excludes none."""
    if not include.empty and not include.matches(name):
        return False
    return exclude.empty or not exclude.matches(name)


def name_regex(pattern: str, field: str) -> Pattern | None:
    """A depend mask compiled for full matching (use ``.fullmatch``); None for ``""``.

    SpecError(field, ...) when the pattern is not a valid regular expression.
    """
    if isinstance(pattern, str) and not pattern:
        return None
    return compile_pattern(pattern, field)


def needs_met(need: str, have: str) -> bool:
    """Whether a render meets ``need_os`` or ``need_properties`` ("contain" semantics).

    An empty need (or one made only of separators) is always met. Otherwise the need is split
    like a find-mode mask (``| ; , :`` and whitespace) and it is met when ANY token is contained,
    as a substring, in ``have`` (the render OS string, or its properties), ignoring case. So
    ``need_os="linux"`` is met by ``"unix linux 64 debian 12"``, and ``"windows macosx"`` means
    "either of them". This is Afanasy's find-mode contain match.
    """
    tokens = _lower_tokens(need)
    if not tokens:
        return True
    have = have.lower()
    return any(token in have for token in tokens)


@lru_cache(maxsize=4096)
def _lower_tokens(need: str) -> tuple[str, ...]:
    return tuple(token.lower() for token in _tokens(need))


_ARCH = {
    "x86_64": "64",
    "amd64": "64",
    "x64": "64",
    "em64t": "64",
    "i386": "32",
    "i486": "32",
    "i586": "32",
    "i686": "32",
    "x86": "32",
    "aarch64": "aarch64",
    "arm64": "aarch64",
    "armv8l": "arm32",
    "armv7l": "arm32",
    "armv7": "arm32",
    "armv6l": "arm32",
    "arm": "arm32",
}


def os_string(system: str, machine: str, distro: str = "", version: str = "") -> str:
    """The render OS string that ``need_os`` is matched against (Afanasy §2.1).

    ``system`` and ``machine`` are what :func:`platform.system` and :func:`platform.machine`
    return; ``distro`` and ``version`` are optional (e.g. ``debian``, ``12`` from os-release).
    Tokens are lower case and joined by single spaces::

        os_string("Linux", "x86_64", "debian", "12")  -> "unix linux 64 debian 12"
        os_string("Windows", "AMD64")                 -> "windows 64"
        os_string("Darwin", "arm64")                  -> "unix macosx aarch64"

    Another Unix-like system gives ``unix <its name>`` (``unix freebsd 64``); an unknown
    machine is kept as its lower-case name.
    """
    name = system.strip().lower()
    family = system_family(name)
    if family == "windows":
        tokens = ["windows"]
    elif family == "macos":
        tokens = ["unix", "macosx"]
    elif name:
        tokens = ["unix", name]
    else:
        tokens = []
    arch = machine.strip().lower()
    if arch:
        tokens.append(_ARCH.get(arch, arch))
    tokens.extend(distro.lower().split())
    tokens.extend(version.split())
    return " ".join(tokens)
