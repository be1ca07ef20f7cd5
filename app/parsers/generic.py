"""The generic parser: ``PROGRESS: NN%``, ``FRAME: N``, OpenJD's ``openjd_*`` lines, Afanasy's
markers, and, for programs no parser knows, obvious errors and percentages (``guesses``)."""

from __future__ import annotations

import re
from typing import ClassVar

from app.parsers.base import Parser
from app.parsers.guesses import NEEDLES, is_error, percent_of

_PROGRESS = re.compile(r"PROGRESS:\s*(\d+(?:\.\d*)?)\s*%")
_FRAME = re.compile(r"FRAME:\s*(-?\d+)\b")
_OPENJD_PROGRESS = re.compile(r"^\s*openjd_progress:\s*(\d+(?:\.\d*)?|\.\d+)\s*$")
_OPENJD = re.compile(r"^\s*openjd_(status|fail):\s?(.*)$")
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")

_MARKERS = "[ PARSER "  # Afanasy's markers, e.g. "[ PARSER ERROR ] no camera"


def strip_ansi(text: str) -> str:
    """Text without its ANSI escape sequences (colours, cursor moves)."""
    return _ANSI.sub("", text)


class GenericParser(Parser):
    """``PROGRESS: 45%`` (percent), ``FRAME: 12`` (absolute frame number),
    ``openjd_progress: 45.5`` (percent), ``openjd_status: text`` (activity),
    ``openjd_fail: text`` (a fatal error) and Afanasy's markers ``[ PARSER WARNING ]``,
    ``[ PARSER ERROR ]``, ``[ PARSER FATAL ERROR ]``, ``[ PARSER BAD RESULT ]`` and
    ``[ PARSER FINISHED SUCCESS ]`` anywhere in a line.

    With ``guesses``, obvious errors and progress percentages of any program too
    (app/parsers/guesses.py); only lines that contain one of the words these look for are read
    (``line_needles``). A subclass that reads lines of its own (it overrides ``parse_line``)
    reads every line and guesses nothing, unless it sets ``guesses`` and ``line_needles``.
    """

    name = "generic"
    guesses: ClassVar[bool] = True
    line_needles = (*NEEDLES, "FRAME:", "openjd_", _MARKERS, "ACTIVITY:", "@IMAGE@")

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "parse_line" in cls.__dict__:  # reads lines of its own: every line, no guessing
            if "guesses" not in cls.__dict__:
                cls.guesses = False
            if "line_needles" not in cls.__dict__:
                cls.line_needles = ()

    def parse_line(self, line: str) -> None:
        if _MARKERS in line:
            self._markers(line)
        if "openjd_" in line:
            match = _OPENJD_PROGRESS.match(line)
            if match:
                self.set_percent(float(match[1]))
            else:
                match = _OPENJD.match(line)
                if match and match[1] == "status":
                    self.activity = match[2].strip()
                elif match:
                    self.error(match[2].strip(), fatal=True)
        progress = "PROGRESS:" in line and _PROGRESS.search(line)
        if progress:
            self.set_percent(float(progress[1]))
        if "FRAME:" in line:
            match = _FRAME.search(line)
            if match:
                self.set_frame(int(match[1]))
        if self.guesses and not (progress or _MARKERS in line or "openjd_" in line):
            self._guess(strip_ansi(line) if "\x1b" in line else line)
        super().parse_line(line)

    def _read(self, text: str) -> None:
        super()._read(text)
        if self.guesses:
            self._last_percent(text)

    def _last_percent(self, text: str) -> None:
        """The percent of complete lines, ``PROGRESS:`` or guessed: only the last one counts,
        so the lines with a "%" are read from the end until one gives it, down to the last
        ``openjd_progress`` line (parse_line has read that one)."""
        floor = text.rfind("openjd_progress")
        end = len(text)
        while (at := text.rfind("%", 0, end)) > floor:
            start = text.rfind("\n", 0, at) + 1
            if start <= floor:
                return
            stop = text.find("\n", at)
            end = start
            line = text[start : stop if stop >= 0 else len(text)]
            progress = "PROGRESS:" in line and _PROGRESS.search(line)
            if progress:
                self.set_percent(float(progress[1]))
                return
            if _MARKERS in line or "openjd_" in line:
                continue
            line = strip_ansi(line) if "\x1b" in line else line
            percent = percent_of(line)
            if percent is not None and not is_error(line):
                self.set_percent(percent)
                return

    def _guess(self, line: str) -> None:
        if is_error(line):
            self.error(line.strip())
        elif "%" in line:
            percent = percent_of(line)
            if percent is not None:
                self.set_percent(percent)

    def _markers(self, line: str) -> None:
        upper = line.upper()
        if "[ PARSER FATAL ERROR ]" in upper:
            self.error(line.strip(), fatal=True)
        elif "[ PARSER ERROR ]" in upper:
            self.error(line.strip())
        if "[ PARSER WARNING ]" in upper:
            self.warning(line.strip())
        if "[ PARSER BAD RESULT ]" in upper:
            self.bad_result = True
        if "[ PARSER FINISHED SUCCESS ]" in upper:
            self.success = True
