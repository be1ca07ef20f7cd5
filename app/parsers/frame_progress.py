"""A base for renderer parsers: progress of the current frame turned into the task's percent.

Renderers report how far the *current frame* is (samples, tiles, blocks, ``45% done``); a task
may render several frames. ``frame_progress(value)`` stores the frame's percent and sets the
task's percent to ``(frames done * 100 + frame percent) / frames``, where the frames done are
the current frame's offset in the task. The frame moves on either when the output names it
(``set_frame(absolute number)``) or, for renderers that never name it, when a frame reached
100% and a later progress line starts again below 100%.

A line that several parsers of a combination recognise (``hbatch_mantra`` and a licence
failure, ``maya_redshift`` and ``Frame rendering aborted``) gives one message, not one for each.

The class has no ``name`` of its own, so it is not registered as a parser.
"""

from __future__ import annotations

import re

from app.parsers.generic import GenericParser

_SIZE = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*([KMGT]i?B|[KMGT]\b|B\b)", re.IGNORECASE)
_UNIT_MB = {"B": 1 / (1024 * 1024), "K": 1 / 1024, "M": 1.0, "G": 1024.0, "T": 1024.0 * 1024}


def size_mb(number: str, unit: str) -> float:
    """A size such as ("1.23", "GB") in MB (binary multiples, as renderers print them)."""
    return float(number.replace(",", "")) * _UNIT_MB[unit[0].upper()]


def first_size_mb(text: str) -> float | None:
    """The first size written in a text (``1.23 GB``, ``1234.56MB``, ``200M``) in MB."""
    match = _SIZE.search(text)
    return size_mb(match[1], match[2]) if match else None


class FrameProgressParser(GenericParser):
    """Shared by the renderer parsers: see the module's text."""

    def __init__(self, frame_start: int = 0, frame_end: int = 0, frames_inc: int = 1) -> None:
        super().__init__(frame_start, frame_end, frames_inc)
        self._frame_complete = False  # the current frame reached 100%
        self._line_messages: set[tuple[bool, str]] = set()  # what this line already said

    def parse_line(self, line: str) -> None:
        super().parse_line(line)
        self._line_messages.clear()

    def warning(self, text: str) -> None:
        """A warning, kept once per line even when several parsers of a combination match it."""
        if (False, text) not in self._line_messages:
            self._line_messages.add((False, text))
            super().warning(text)

    def error(self, text: str, fatal: bool = False) -> None:
        """An error, kept once per line even when several parsers of a combination match it."""
        if (True, text) in self._line_messages:
            self.fatal = self.fatal or fatal
            return
        self._line_messages.add((True, text))
        super().error(text, fatal)

    def frame_progress(self, value: float) -> None:
        """Progress (0..100) of the frame being rendered now."""
        value = min(100.0, max(0.0, value))
        if self._frame_complete and value < 100:
            self._next_frame()
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

    def set_frame(self, frame: int) -> None:
        before = self.frame
        super().set_frame(frame)
        self._frame_complete = False
        if self.frame != before:
            self.frame_percent = 0
            self._update_percent()

    def note_peak_mb(self, value: float, name: str = "mem_peak_mb") -> None:
        """Keep the highest peak memory the output mentioned (in MB, two decimals)."""
        old = self.resources.get(name)
        if not isinstance(old, (int, float)) or value > old:
            self.note_resource(name, round(value, 2))

    def _next_frame(self) -> None:
        offset = (self.frame or 0) + 1
        self.frame = min(self.frames - 1, offset)
        self.frame_percent = 0

    def _update_percent(self) -> None:
        done = self.frame or 0
        self.set_percent((done * 100 + (self.frame_percent or 0)) / self.frames)
