"""After Effects' aerender."""

from __future__ import annotations

import re

from app.parsers.failures import is_failure, starts_with_error
from app.parsers.generic import GenericParser

# "PROGRESS:  0:00:00:05 (6): 2 Seconds": the timecode, then the frame's 1-based count in the
# render, then the time it took (frame-based comps print "PROGRESS:  0005 (6): 2 Seconds"); the
# render log file (-log, nexrender) has the same lines without "PROGRESS:"
_FRAME = re.compile(r"^\s*(?:PROGRESS:\s+)?[\d:;.]+\s+\((\d+)\):\s*\d+")
_TOTAL = re.compile(r"Total Time Elapsed:\s*(.+?)\s*$")
_COMP = re.compile(r"(Starting|Finished) composition\s+[\"“”']?(.*?)[\"“”']?\.?\s*$", re.IGNORECASE)
_TRIGGERS = ("rror", "RROR", "Unable to Render", "arning", "icen")
_FATAL = (
    "no comp was found",
    "licen",
    "could not be found",
    "does not exist",
    "not a valid project",
    "unable to open the project",
    "unable to open project",
)


class AfterfxParser(GenericParser):
    """``PROGRESS:  0:00:00:05 (6): 2 Seconds`` ends the 6th frame of the render;
    ``Starting composition "Comp 1"`` / ``Finished composition`` are the activity and
    ``Total Time Elapsed`` a resource. Errors: ``aerender Error:``, ``After Effects error:``,
    ``Unable to Render:`` (fatal for licences, a missing project or comp); ``After Effects
    warning:`` lines are warnings, unless they hold ``Unable to Render``; crashes and the error
    lines of wrappers (nexrender's ``[ERROR]``) are errors. The frame lines may be absent
    (output modules that report nothing): that alone says nothing of the result."""

    name = "afterfx"

    def parse_line(self, line: str) -> None:
        if "PROGRESS:" in line or "):" in line:
            self._progress(line)
        if any(word in line for word in _TRIGGERS):
            self._messages(line)
        elif is_failure(line) or starts_with_error(line):
            self.error(line.strip())
        super().parse_line(line)

    def _progress(self, line: str) -> None:
        if "(" in line:
            match = _FRAME.match(line)
            if match:
                count = int(match[1])
                self.set_frame(self.frame_start + (count - 1) * self.frames_inc)
                self.set_frame_percent(100)
                self.set_percent(min(count, self.frames) * 100 / self.frames)
                return
        if "composition" in line:
            match = _COMP.search(line)
            if match:
                self.activity = f"{match[1].lower()} composition {match[2]}"
        elif "Total Time Elapsed" in line:
            match = _TOTAL.search(line)
            if match:
                self.note_resource("total_time", match[1])

    def _messages(self, line: str) -> None:
        text = line.strip()
        lower = text.lower()
        if (
            "aerender error" in lower
            or "after effects error" in lower
            or "unable to render" in lower
        ):
            self.error(text, fatal=any(word in lower for word in _FATAL))
        elif "after effects warning" in lower or "aerender warning" in lower:
            self.warning(text)
        elif is_failure(line) or starts_with_error(line):  # wrappers: "Error: ...", "[ERROR]"
            self.error(text)
