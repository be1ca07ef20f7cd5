"""The parser base class: line splitting and the results every parser fills in.

Parsers combine by inheritance. A subclass overrides ``parse_line(line)``: it looks for its own
patterns, sets the results it found (through ``set_percent``/``set_frame`` for progress), and
calls ``super().parse_line(line)`` so that the patterns of its base classes are read too::

    class MayaParser(GenericParser):
        def parse_line(self, line: str) -> None:
            match = _MAYA_PERCENT.search(line)
            if match:
                self.set_percent(float(match[1]))
            super().parse_line(line)  # PROGRESS:, FRAME:, openjd_* still work
"""

from __future__ import annotations

import re
from typing import ClassVar

MAX_MESSAGES = 100  # warnings and errors kept per task; later ones are counted, not kept
MAX_LINE = 64 * 1024  # a partial line longer than this is parsed as it is
MAX_ACTIVITY = 200  # characters of activity text kept
MAX_FILES = 10_000  # output files kept per task

_ACTIVITY = re.compile(r"^\s*ACTIVITY:\s*(.*)$")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
# What wrappers put before a program's own text: dates and times, Deadline's "0: STDOUT:",
# OpenJD's "ADAPTOR_OUTPUT: STDOUT:", Royal Render's "R 15| ", harmless level tags. A time
# must end in a space, so that After Effects' "0:00:01:05 (6)" timecodes stay as they are.
_PREFIX = re.compile(
    r"""^\s*(?:
      \[?\d{4}[-/]\d\d[-/]\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?\]?:?
    | \[?\d\d:\d\d:\d\d(?:[.,]\d+)?\]
    | \d\d:\d\d:\d\d(?:[.,]\d+)?(?=\s)
    | \d+:\s(?:STDOUT|STDERR|INFO):
    | ADAPTOR_OUTPUT:(?:\s(?:STDOUT|STDERR):)?
    | (?:STDOUT|STDERR|stdout|stderr):
    | \[(?:STDOUT|STDERR|INFO|DEBUG|info|debug)\]
    | \((?:debug|info)\)
    | R\s\d+\|
    )\s*""",
    re.VERBOSE,
)


def clean_line(line: str) -> str:
    """A line as the program printed it: without ANSI colour codes and without the prefixes
    that wrappers add (timestamps, ``0: STDOUT:``, ``ADAPTOR_OUTPUT: STDOUT:``, ``[INFO]``)."""
    if "\x1b" in line:
        line = _ANSI.sub("", line)
    for _ in range(4):  # prefixes stack: "2024-01-02 03:04:05:  0: STDOUT: [17:30:04] text"
        match = _PREFIX.match(line)
        if match is None or not match.end():
            break
        line = line[match.end() :]
    return line


class Parser:
    """Reads a task's output text and keeps what it says about the task.

    Results, as attributes: ``percent`` (0..100 or None), ``frame`` (frame offset within the task,
    0-based, or None), ``frame_percent`` (0..100 or None: progress of the current frame),
    ``activity`` (text), ``warnings`` and ``errors`` (lists of at most MAX_MESSAGES lines;
    ``dropped`` counts the rest), ``fatal`` (the task must not be retried), ``bad_result`` (the
    output is wrong even when the exit code is 0), ``success`` (the output said it succeeded),
    ``files`` (output files the task reported), ``resources`` (notes such as peak memory:
    short names to numbers or text).

    ``passes`` (the block's ``parser_coeff``, set by the render before any output) is how many
    times the renderer goes through each frame, e.g. once per render layer: a frame's progress
    (``frame_progress``) then counts that many rounds from 0 to 100 % before the next frame.
    """

    name = "none"  # reads nothing: the parser of tasks whose output means nothing to us
    line_needles: ClassVar[tuple[str, ...]] = ()  # a line is read if it has one; (): every line

    def __init__(self, frame_start: int = 0, frame_end: int = 0, frames_inc: int = 1) -> None:
        self.frame_start = frame_start
        self.frame_end = frame_end
        self.frames_inc = max(1, frames_inc)
        self.percent: int | None = None
        self.frame: int | None = None
        self.frame_percent: int | None = None
        self.activity = ""
        self.warnings: list[str] = []
        self.errors: list[str] = []
        self.dropped = 0
        self.fatal = False
        self.bad_result = False
        self.success = False
        self.files: list[str] = []
        self.resources: dict[str, float | str] = {}
        self._buffer = ""
        self._reported: tuple[int | None, int | None] = (None, None)
        self.passes = 1
        self._pass = 0  # the round of the current frame (below passes)
        self._frame_complete = False  # the current round of the frame reached 100%
        self._line_messages: set[tuple[bool, str]] = set()  # what the current line said

    @property
    def frames(self) -> int:
        """How many frames the task renders."""
        return max(1, (self.frame_end - self.frame_start) // self.frames_inc + 1)

    # -- input -------------------------------------------------------------------------------

    def feed(self, text: str) -> None:
        """Parse a chunk of output; a line split across chunks is parsed once it is complete."""
        if not text:
            return
        text = self._buffer + text
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        end = text.rfind("\n")
        self._buffer = text[end + 1 :]
        if len(self._buffer) > MAX_LINE:
            end, self._buffer = len(text), ""
        if end >= 0:
            self._read(text[:end])

    def _read(self, text: str) -> None:
        """Parse complete lines (joined by newlines): every line, or with ``line_needles``
        only those that contain one of them, found by searching the whole text for each."""
        if not self.line_needles:
            for line in text.split("\n"):
                self._line_messages.clear()
                self.parse_line(clean_line(line))
            return
        find = text.find
        hits = []
        for needle in self.line_needles:
            at = find(needle)
            while at >= 0:
                hits.append(at)
                at = find(needle, at + 1)
        hits.sort()
        end = -1
        for at in hits:
            if at < end:
                continue  # the line of the hit before
            start = text.rfind("\n", 0, at) + 1
            end = find("\n", at)
            if end < 0:
                end = len(text)
            self._line_messages.clear()
            self.parse_line(clean_line(text[start:end]))

    def finish(self) -> None:
        """The output ended: parse the last line even without its newline."""
        if self._buffer:
            line, self._buffer = self._buffer, ""
            self._line_messages.clear()
            self.parse_line(clean_line(line))

    def parse_line(self, line: str) -> None:
        """Read one line (without its newline, ANSI codes and wrapper prefixes: see
        ``clean_line``). Subclasses handle their patterns, then call
        ``super().parse_line(line)``. Here: ``ACTIVITY: text`` and ``@IMAGE@path`` (an output
        file), which any task may print whatever its parser."""
        if "ACTIVITY:" in line:
            match = _ACTIVITY.match(line)
            if match:
                self.activity = match[1].strip()[:MAX_ACTIVITY]
        if "@IMAGE@" in line:
            path = line.split("@IMAGE@", 1)[1].strip()
            if path:
                self.add_file(path)

    # -- helpers for subclasses --------------------------------------------------------------

    def set_percent(self, value: float) -> None:
        self.percent = min(100, max(0, int(value)))

    def set_frame(self, frame: int) -> None:
        """An absolute frame number: stored as the offset within the task (clamped); a new
        frame starts at 0 %."""
        offset = (frame - self.frame_start) // self.frames_inc
        before = self.frame
        self.frame = min(self.frames - 1, max(0, offset))
        self._frame_complete = False
        if self.frame != before:
            self._pass = 0
        if self.frame != before and self.frame_percent is not None:
            self.frame_percent = 0  # a parser that follows frame progress: the new frame's 0 %
            self._update_percent()

    def set_frame_percent(self, value: float) -> None:
        self.frame_percent = min(100, max(0, int(value)))

    def frame_progress(self, value: float) -> None:
        """Progress (0..100) of the frame being rendered now; the task's percent becomes
        ``(frames done * 100 + frame percent) / frames``. For renderers that never name the
        frame, a frame that reached 100 % followed by a lower figure means the next frame (or,
        with ``passes``, the frame's next round)."""
        value = min(100.0, max(0.0, value))
        if self._frame_complete and value < 100:
            if self._pass + 1 < self.passes:
                self._pass += 1
            else:
                self._pass = 0
                self.frame = min(self.frames - 1, (self.frame or 0) + 1)
        self.set_frame_percent(value)
        self._update_percent()
        self._frame_complete = value >= 100

    def frame_fraction(self, done: float, total: float) -> None:
        """Progress of the current frame as ``done`` of ``total`` (samples, tiles, blocks)."""
        if total > 0:
            self.frame_progress(done * 100.0 / total)

    def frame_done(self) -> None:
        """The current frame is finished."""
        self.frame_progress(100)

    def _update_percent(self) -> None:
        rounds = (self.frame or 0) * self.passes + self._pass
        percent = (rounds * 100 + (self.frame_percent or 0)) / (self.frames * self.passes)
        self.set_percent(percent)

    def warning(self, text: str) -> None:
        """A warning (kept once per line, however many parsers of a combination match it)."""
        if (False, text) not in self._line_messages:
            self._line_messages.add((False, text))
            self._add(self.warnings, text)

    def error(self, text: str, fatal: bool = False) -> None:
        """An error; fatal: retrying cannot help (kept once per line, as warnings)."""
        self.fatal = self.fatal or fatal
        if (True, text) not in self._line_messages:
            self._line_messages.add((True, text))
            self._add(self.errors, text)

    def add_file(self, path: str) -> None:
        if path not in self.files and len(self.files) < MAX_FILES:
            self.files.append(path)

    def note_resource(self, name: str, value: float | str) -> None:
        """A resource figure the output mentioned (e.g. "mem_peak_mb": 1234)."""
        if name in self.resources or len(self.resources) < MAX_MESSAGES:
            self.resources[name] = value

    def note_peak_mb(self, value: float, name: str = "mem_peak_mb") -> None:
        """Keep the highest peak memory the output mentioned (in MB, two decimals)."""
        old = self.resources.get(name)
        if not isinstance(old, int | float) or value > old:
            self.note_resource(name, round(value, 2))

    def _add(self, messages: list[str], text: str) -> None:
        if len(messages) < MAX_MESSAGES:
            messages.append(text)
        else:
            self.dropped += 1

    # -- output ------------------------------------------------------------------------------

    def problem(self) -> str | None:
        """What the output says is wrong with the task (the words of the run's error), or
        None: errors first (fatal or not), then a bad result."""
        if self.fatal or self.errors:
            first = self.errors[0] if self.errors else ""
            return f"{'fatal error' if self.fatal else 'error'} in output: {first}"
        if self.bad_result:
            return "bad result: the output says the task's result is wrong"
        return None

    def progress_changed(self) -> bool:
        """Whether percent or frame changed since the last call that returned True."""
        now = (self.percent, self.frame)
        if now == self._reported:
            return False
        self._reported = now
        return True
