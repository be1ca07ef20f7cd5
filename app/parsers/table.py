"""Parsers written as data: a table of rules (a pattern and what a matching line means) read by
one engine, ``TableParser``.

A studio adds a renderer with a few lines in a plugin file (or an entry point)::

    from app.parsers.table import Rule, TableParser

    class KeyShotParser(TableParser):
        name = "keyshot"
        table = (
            Rule("frame_percent", r"Rendering:\\s*(\\d+(?:\\.\\d+)?)\\s*%", needle="Rendering"),
            Rule("file", r"Saved image to\\s+(\\S+)"),
            Rule("fatal", r"(?i)no valid licen[cs]e"),
            Rule("error", r"^\\s*Error:"),
        )

What a rule's groups hold, by kind (groups in brackets are optional):

- progress: ``percent`` (1: the task's percent; without a group: 100), ``frame`` (1: an
  absolute frame number), ``frame_percent`` (1: the current frame's percent, or 1 and 2: done
  and total), ``frame_start`` ([1: frame], [2: its percent]) and ``frame_done`` ([1: frame]);
- notes: ``file`` (1: an output file), ``peak`` (1 and 2: a size such as ``712.45`` ``MB``),
  ``resource`` (1: a count, kept under the rule's ``resource`` name), ``activity`` (1: text),
  ``success`` and ``bad_result`` (no group; a bad result also keeps the line as a warning);
- messages, the whole line is kept: ``warning``, ``error`` and ``fatal`` (an error a retry
  cannot mend).

A line is read by every rule, in table order, with two limits: the first progress rule that
matches is the only one applied (notes all apply), and a line is one message at most: the first
fatal rule that matches, else the first error or warning rule (so a warning rule placed before
an error rule keeps "ERROR: missing plugin" a warning). A class's table adds to the tables of the
table parsers it derives from (its own rules first), so a combination such as
``class MayaArnoldParser(MayaParser, ArnoldParser)`` reads both. A ``needle`` is text the line
must contain for the rule to be tried: a cheap test before the pattern. Lines reach the rules
without ANSI colour codes. A table that does not compile (an unknown kind, a bad pattern) is a
ValueError when its class is made: a plugin file with one is skipped and the reason logged.
"""

from __future__ import annotations

import re
from typing import ClassVar, NamedTuple

from app.parsers.generic import GenericParser, strip_ansi
from app.parsers.sizes import size_mb

PROGRESS = ("percent", "frame", "frame_percent", "frame_start", "frame_done")
NOTES = ("file", "peak", "resource", "activity", "success", "bad_result")
MESSAGES = ("fatal", "error", "warning")


class Rule(NamedTuple):
    """One row of a parser's table: a line matching ``pattern`` (a regular expression searched
    anywhere in the line) means ``kind``; ``needle``, when given, must be in the line first."""

    kind: str
    pattern: str
    needle: str = ""
    resource: str = ""  # the name a "resource" rule keeps its number under


class _Compiled(NamedTuple):
    kind: str
    regex: re.Pattern[str]
    needle: str
    resource: str


def compile_rules(owner: str, rules: tuple[Rule, ...]) -> tuple[_Compiled, ...]:
    """The rules of a table, checked and compiled; ValueError names the owner and the rule."""
    compiled = []
    for index, rule in enumerate(rules):
        where = f"{owner}.table[{index}]"
        if not isinstance(rule, Rule):
            raise ValueError(f"{where} must be a Rule, not {type(rule).__name__}")
        if rule.kind not in PROGRESS + NOTES + MESSAGES:
            known = ", ".join(PROGRESS + NOTES + MESSAGES)
            raise ValueError(f"{where}: unknown kind {rule.kind!r} (one of {known})")
        if rule.kind == "resource" and not rule.resource:
            raise ValueError(f"{where}: a resource rule needs a resource name")
        try:
            regex = re.compile(rule.pattern)
        except re.error as error:
            raise ValueError(f"{where}: bad pattern {rule.pattern!r}: {error}") from None
        compiled.append(_Compiled(rule.kind, regex, rule.needle, rule.resource))
    return tuple(compiled)


class TableParser(GenericParser):
    """Reads its ``table`` of rules (see the module's documentation), then what the generic
    parser reads (``PROGRESS:``, ``FRAME:``, Afanasy's markers, OpenJD's lines)."""

    table: ClassVar[tuple[Rule, ...]] = ()
    _progress: ClassVar[tuple[_Compiled, ...]] = ()
    _notes: ClassVar[tuple[_Compiled, ...]] = ()
    _messages: ClassVar[tuple[_Compiled, ...]] = ()

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        rules: list[_Compiled] = []
        for klass in cls.__mro__:
            own = klass.__dict__.get("table")
            if own and issubclass(klass, TableParser):
                rules.extend(compile_rules(klass.__name__, tuple(own)))
        cls._progress = tuple(rule for rule in rules if rule.kind in PROGRESS)
        cls._notes = tuple(rule for rule in rules if rule.kind in NOTES)
        fatal = [rule for rule in rules if rule.kind == "fatal"]
        cls._messages = (*fatal, *(rule for rule in rules if rule.kind in MESSAGES[1:]))

    def parse_line(self, line: str) -> None:
        if "\x1b" in line:
            line = strip_ansi(line)
        for rule in self._progress:
            if rule.needle in line:
                match = rule.regex.search(line)
                if match:
                    self._progress_rule(rule.kind, match)
                    break
        for rule in self._notes:
            if rule.needle in line:
                match = rule.regex.search(line)
                if match:
                    self._note_rule(rule, match, line)
        for rule in self._messages:
            if rule.needle in line and rule.regex.search(line):
                if rule.kind == "warning":
                    self.warning(line.strip())
                else:
                    self.error(line.strip(), fatal=rule.kind == "fatal")
                break
        super().parse_line(line)

    def _progress_rule(self, kind: str, match: re.Match[str]) -> None:
        first, second = (*match.groups(), None, None)[:2]
        if kind == "percent":
            self.set_percent(float(first) if first is not None else 100)
        elif kind == "frame":
            self.set_frame(int(first))
        elif kind == "frame_percent" and second is not None:
            self.frame_fraction(float(first), float(second))
        elif kind == "frame_percent":
            self.frame_progress(float(first))
        else:  # frame_start, frame_done: the frame named (if any), then its percent
            if first is not None:
                self.set_frame(int(first))
            if kind == "frame_done":
                self.frame_done()
            else:
                self.frame_progress(float(second) if second is not None else 0)

    def _note_rule(self, rule: _Compiled, match: re.Match[str], line: str) -> None:
        kind = rule.kind
        if kind == "file":
            self.add_file(match[1])
        elif kind == "peak":
            self.note_peak_mb(size_mb(match[1], match[2]))
        elif kind == "resource":
            self.note_resource(rule.resource, int(match[1].replace(",", "")))
        elif kind == "activity":
            self.activity = match[1].strip()
        elif kind == "success":
            self.success = True
        else:  # bad_result
            self.bad_result = True
            self.warning(line.strip())
