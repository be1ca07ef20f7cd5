r"""Path maps: the same storage seen under different prefixes on the server side and on a render.

A job carries paths as its submitter wrote them (the "server side": what the job, and so the
server, holds). A render whose host mounts the storage elsewhere maps them to its own prefixes (the
"client side") before it runs a task, as Afanasy's ``pathsmap`` does;
the server knows nothing about maps. ``to_server`` maps back, for what a render reports.

Prefixes
    A rule is a (server, client) pair of absolute directory prefixes, each in one of three forms:

    - a Windows drive: ``X:/proj``, ``X:\proj`` or a whole drive ``X:/``;
    - a UNC share: ``//server/share/proj`` or ``\\server\share\proj`` (server and share needed);
    - a POSIX path: ``/mnt/proj`` (not ``/`` alone).

    The client side must be in the render's own form: drive or UNC for a Windows render, POSIX for
    Linux and macOS. Prefixes are stored normalised: Windows ones with backslashes, no doubled and
    no trailing separators; a mapped path begins with the other side's prefix as normalised.

Matching
    - A prefix matches only whole path components: ``/proj`` matches ``/proj`` and ``/proj/a``,
      never ``/projects``.
    - In a Windows path both ``/`` and ``\`` are separators and a run of them (``P:\\shows``, as
      in a command that escapes its backslashes) counts as one; in a POSIX path only ``/`` is.
    - Windows and macOS prefixes compare case-insensitively, Linux ones case-sensitively. The
      client side's rule is the render's OS. A server-side drive or UNC prefix is Windows; a POSIX
      server prefix is taken as macOS under ``/Volumes`` (where macOS mounts shares) and as Linux
      elsewhere: comparing case-sensitively is the safe guess, it never maps a path to another
      file.
    - The longest matching prefix wins. Several rules may share a client prefix (a Linux render
      mapping both ``P:/shows`` and ``/Volumes/shows`` to ``/mnt/shows``); ``to_server`` then uses
      the first of them listed. Two rules may not share a server prefix.

Output
    The matched prefix is replaced by the other side's prefix and the separators in the rest of
    the path become the target's: ``\`` on a Windows side, ``/`` elsewhere (a run becomes one).
    A path that no rule matches is returned unchanged.

Paths inside text (``in_text``: command lines and environment values)
    A prefix is rewritten where it starts a path, that is

    - at the start of the text, or after whitespace, a quote (``'`` or ``"``), ``=``
      (``--out=P:\x``, ``VAR=/mnt/x``), ``;`` (path lists), ``<``, ``>`` or ``|`` (redirections
      and pipes);
    - or after ``:`` (POSIX path lists: ``/a:/mnt/x``), except when that ``:`` belongs to a drive
      letter (``C:/proj`` holds no path ``/proj``) or starts ``://`` (``http://srv/share`` is a
      URL, not a UNC path);

    and where it is followed by a separator, the end of the text or a character that ends a path.
    The path then runs to the first character that ends a path: outside quotes whitespace, a
    quote, ``;``, ``:``, ``<``, ``>``, ``|`` or a line break; inside quotes (tracked from the start
    of the text, ``'...'`` and ``"..."``, no escapes) the same except that whitespace and the other
    kind of quote belong to the path, so ``"P:\My Shows\a b.ma"`` is one path. List separators are
    not converted (a Windows ``;`` list stays a ``;`` list), and shell escapes (``\ ``) are not
    interpreted: quote paths that hold spaces.

    On a Windows target, a path ending with ``\`` right before a closing ``"`` gets that backslash
    doubled: Windows programs read ``\"`` as an escaped quote, ``\\"`` as a backslash and the
    closing quote.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from app.core.errors import SpecError
from app.core.json_checks import check_object, check_text, type_name
from app.core.os_family import OSFamily, os_family

Direction = Literal["to_client", "to_server"]

DIRECTIONS = ("to_client", "to_server")
ROOT_FIELD = "path_map"
MAX_PREFIX_LEN = 4096

_DRIVE = re.compile(r"^([A-Za-z]):(?:[\\/]|$)")
_WIN_SEPS = re.compile(r"[\\/]+")
_POSIX_SEPS = re.compile(r"/+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_PATH_START_AFTER = frozenset("'\"=;<>|")  # and whitespace; ':' is judged apart
_ENDS_PATH = frozenset("'\";:<>|\n\r")  # and whitespace outside quotes
_ENDS_QUOTED_PATH = frozenset(";:<>|\n\r")  # and the closing quote
_TEXT_BOUNDARY = r"""\s'";:<>|"""


@dataclass(frozen=True)
class _Prefix:
    text: str  # normalised: "P:\shows", "\\srv\share", "/mnt/shows"
    windows: bool  # drive or UNC form: both slashes separate, a run counts as one
    fold: bool  # compares case-insensitively

    @property
    def sep(self) -> str:
        return "\\" if self.windows else "/"

    def pattern(self, boundary: str) -> str:
        """A regex matching this prefix in a path, followed by `boundary` (a lookahead body)."""
        if self.windows:
            unc = self.text.startswith("\\\\")
            parts = (self.text[2:] if unc else self.text).split("\\")
            body = (r"[\\/]{2,}" if unc else "") + r"[\\/]+".join(map(re.escape, parts))
            seps = r"[\\/]"
        else:
            body = "/" + "/+".join(map(re.escape, self.text[1:].split("/")))
            seps = "/"
        if self.fold:
            body = f"(?i:{body})"
        return f"{body}(?={seps}|{boundary})"

    def key(self) -> tuple[bool, str]:
        """Equal for two prefixes that match the same paths."""
        return self.windows, self.text.casefold() if self.fold else self.text


def _prefix(value: object, field: str, side_os: OSFamily | None) -> _Prefix:
    """A rule prefix, checked and normalised. side_os None: a server prefix of any form."""
    text = check_text(value, field, MAX_PREFIX_LEN).strip()
    if not text:
        raise SpecError(field, "must not be empty")
    if _CONTROL.search(text):
        raise SpecError(field, "must not contain control characters")
    drive = _DRIVE.match(text)
    if drive:
        head, rest, windows = drive.group(1) + ":", text[2:], True
    elif text[:2] in ("//", "\\\\", "/\\", "\\/"):
        head, rest, windows = "\\\\", text[2:], True
    elif text.startswith("/"):
        head, rest, windows = "", text, False
    else:
        raise SpecError(
            field,
            f"must be an absolute path: a drive (X:/...), a UNC share (//server/share/...) "
            f"or a POSIX path (/...), not {text!r}",
        )
    parts = [part for part in (_WIN_SEPS if windows else _POSIX_SEPS).split(rest) if part]
    if any(part in (".", "..") for part in parts):
        raise SpecError(field, "must not contain '.' or '..' components")
    if head == "\\\\" and len(parts) < 2:
        raise SpecError(field, "a UNC path must name a server and a share: //server/share")
    if not windows and not parts:
        raise SpecError(field, "must not be the root directory '/'")
    if side_os is not None and windows != (side_os == "windows"):
        if side_os == "windows":
            raise SpecError(
                field, "a Windows render's path must be a drive (X:/...) or a UNC share"
            )
        raise SpecError(field, f"a {side_os} render's path must start with '/'")
    if windows:
        joined = "\\".join(parts)  # a UNC head already ends with a separator; a drive does not
        normal = head + joined if head == "\\\\" or not parts else f"{head}\\{joined}"
        fold = True
    else:
        normal = "/" + "/".join(parts)
        if side_os is None:
            fold = normal == "/Volumes" or normal.startswith("/Volumes/")
        else:
            fold = side_os == "macos"
    return _Prefix(normal, windows, fold)


@dataclass(frozen=True)
class _Direction:
    """Matching from one side's prefixes to the other's."""

    sources: tuple[_Prefix, ...]  # in the order tried: longest first
    targets: tuple[_Prefix, ...]
    path_re: re.Pattern[str]  # a whole path
    text_re: re.Pattern[str]  # a path starting at a given place in a text

    @classmethod
    def build(cls, pairs: list[tuple[_Prefix, _Prefix]]) -> _Direction:
        ordered = sorted(pairs, key=lambda pair: -len(pair[0].text))  # stable: listed order
        sources = tuple(source for source, _ in ordered)
        targets = tuple(target for _, target in ordered)

        def alternation(boundary: str) -> re.Pattern[str]:
            if not sources:
                return re.compile("(?!)")  # no rules: nothing matches
            return re.compile(
                "|".join(f"(?P<r{n}>{p.pattern(boundary)})" for n, p in enumerate(sources))
            )

        return cls(sources, targets, alternation(r"\Z"), alternation(rf"[{_TEXT_BOUNDARY}]|\Z"))

    def replace(self, match: re.Match[str], rest: str, after: str | None) -> str:
        """The target path for a matched prefix followed by `rest`; `after` is the character
        after the path in a text, None for a whole path."""
        n = int(match.lastgroup[1:])  # type: ignore[index]
        source, target = self.sources[n], self.targets[n]
        rest = (_WIN_SEPS if source.windows else _POSIX_SEPS).sub(lambda _: target.sep, rest)
        path = target.text + rest
        if after is None and not rest and target.text.endswith(":"):
            path += "\\"  # "X:" alone would be drive X's current directory
        elif after == '"' and rest.endswith("\\") and target.windows:
            path += "\\"  # a Windows program reads \" as an escaped quote
        return path


class PathMap:
    """Maps path prefixes between the server side (as jobs hold them) and a render.

    ``rules`` are (server, client) prefix pairs; ``client_os`` is the render's OS family
    (app/core/os_family.py; ``darwin`` and ``macosx`` are read as ``macos``). Invalid rules
    raise SpecError with the field path of the offending prefix (``path_map[1].client``).
    The module documentation states the matching rules.
    """

    def __init__(self, rules: Sequence[tuple[str, str]], client_os: str) -> None:
        self.client_os: OSFamily = os_family(client_os, "client_os")
        pairs: list[tuple[_Prefix, _Prefix]] = []
        seen: dict[tuple[bool, str], int] = {}
        for n, rule in enumerate(rules):
            field = f"{ROOT_FIELD}[{n}]"
            if not isinstance(rule, tuple | list) or len(rule) != 2:
                raise SpecError(field, "must be a (server, client) pair")
            server = _prefix(rule[0], f"{field}.server", None)
            client = _prefix(rule[1], f"{field}.client", self.client_os)
            if server.key() in seen:
                raise SpecError(
                    f"{field}.server",
                    f"{server.text!r} is mapped twice (also by {ROOT_FIELD}[{seen[server.key()]}])",
                )
            seen[server.key()] = n
            pairs.append((server, client))
        self._pairs = tuple(pairs)
        self._directions = {
            "to_client": _Direction.build(pairs),
            "to_server": _Direction.build([(client, server) for server, client in pairs]),
        }

    @classmethod
    def parse(cls, spec: str | list[Any], client_os: str) -> PathMap:
        """A map from JSON (``[{"server": "X:/proj", "client": "/mnt/proj"}, ...]``, as a list or
        as text) or from the command-line form ``X:/proj=/mnt/proj;//srv/share=/net/share``.

        ``client_os`` is the render's OS family. Raises SpecError with a field path.
        """
        if isinstance(spec, str) and spec.lstrip().startswith("["):
            try:
                spec = json.loads(spec)
            except json.JSONDecodeError as exc:
                raise SpecError(
                    ROOT_FIELD, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
                ) from None
        if isinstance(spec, str):
            rules = _parse_text(spec)
        elif isinstance(spec, list):
            rules = _parse_json(spec)
        else:
            raise SpecError(ROOT_FIELD, f"must be an array or a string, not {type_name(spec)}")
        return cls(rules, client_os)

    @property
    def rules(self) -> list[tuple[str, str]]:
        """The (server, client) prefixes as normalised, in the order given."""
        return [(server.text, client.text) for server, client in self._pairs]

    def to_client(self, path: str) -> str:
        """A server-side path as this render sees it (unchanged when no rule matches)."""
        return self._map_path(path, "to_client")

    def to_server(self, path: str) -> str:
        """A render's path as the server side writes it (unchanged when no rule matches)."""
        return self._map_path(path, "to_server")

    def in_text(self, text: str, direction: Direction) -> str:
        """`text` with every path that starts with a mapped prefix rewritten (module docs)."""
        way = self._direction(direction)
        if way.text_re.search(text) is None:
            return text  # the common case, without the walk below
        pieces: list[str] = []
        copied = 0
        quote: str | None = None
        i, size = 0, len(text)
        while i < size:
            char = text[i]
            if char in "'\"":
                if quote is None:
                    quote = char
                elif quote == char:
                    quote = None
            elif _starts_path(text, i):
                match = way.text_re.match(text, i)
                if match is not None:
                    end = _path_end(text, match.end(), quote)
                    after = text[end] if end < size else ""
                    pieces += (text[copied:i], way.replace(match, text[match.end() : end], after))
                    copied = i = end
                    continue
            i += 1
        if not pieces:
            return text
        pieces.append(text[copied:])
        return "".join(pieces)

    def _map_path(self, path: str, direction: Direction) -> str:
        way = self._direction(direction)
        match = way.path_re.match(path)
        if match is None:
            return path
        return way.replace(match, path[match.end() :], None)

    def _direction(self, direction: str) -> _Direction:
        try:
            return self._directions[direction]
        except KeyError:
            raise ValueError(
                f"direction must be 'to_client' or 'to_server', not {direction!r}"
            ) from None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PathMap):
            return NotImplemented
        return (self._pairs, self.client_os) == (other._pairs, other.client_os)

    def __hash__(self) -> int:
        return hash((self._pairs, self.client_os))

    def __repr__(self) -> str:
        return f"PathMap({self.rules!r}, {self.client_os!r})"


def _parse_text(spec: str) -> list[tuple[str, str]]:
    """``SERVER=CLIENT;SERVER=CLIENT``; empty items (a trailing ';') are ignored."""
    rules = []
    for n, item in enumerate(spec.split(";")):
        if not item.strip():
            continue
        if item.count("=") != 1:
            raise SpecError(
                f"{ROOT_FIELD}[{n}]",
                f"must be SERVER=CLIENT, not {item.strip()!r} "
                "(use the JSON form for paths that contain '=' or ';')",
            )
        server, client = item.split("=")
        rules.append((server, client))
    if not rules:
        raise SpecError(ROOT_FIELD, "has no rules: give SERVER=CLIENT;...")
    return rules


def _parse_json(spec: list[Any]) -> list[tuple[str, str]]:
    rules = []
    for n, item in enumerate(spec):
        field = f"{ROOT_FIELD}[{n}]"
        check_object(item, field)
        for key in item:
            if key not in ("server", "client"):
                raise SpecError(f"{field}.{key}", "unknown key: a rule has server and client")
        for key in ("server", "client"):
            if key not in item:
                raise SpecError(f"{field}.{key}", "is required")
        rules.append((item["server"], item["client"]))
    if not rules:
        raise SpecError(ROOT_FIELD, "has no rules")
    return rules


def _starts_path(text: str, i: int) -> bool:
    """Whether a path may start at text[i] (module docs)."""
    if i == 0:
        return True
    before = text[i - 1]
    if before.isspace() or before in _PATH_START_AFTER:
        return True
    if before == ":":
        return not _is_drive_colon(text, i - 1) and not text.startswith("//", i)
    return False


def _is_drive_colon(text: str, colon: int) -> bool:
    """Whether text[colon] is the ':' of a drive letter: one ASCII letter at a path start."""
    if colon == 0 or not ("a" <= text[colon - 1].lower() <= "z"):
        return False
    letter = colon - 1
    return letter == 0 or text[letter - 1] == ":" or _starts_path(text, letter)


def _path_end(text: str, i: int, quote: str | None) -> int:
    """Where the path that goes on at text[i] ends (module docs)."""
    size = len(text)
    if quote is None:
        while i < size and not (text[i].isspace() or text[i] in _ENDS_PATH):
            i += 1
    else:
        while i < size and text[i] != quote and text[i] not in _ENDS_QUOTED_PATH:
            i += 1
    return i
