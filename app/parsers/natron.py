"""NatronRenderer."""

from __future__ import annotations

import re

from app.parsers.failures import is_failure
from app.parsers.generic import GenericParser

# "Frame rendered: 12" or, with a time estimate, ";Frame rendered: 12; time remaining: 00:12";
# Natron 2.3+: "Write1 ==> Frame: 12, Progress: 9.2%, 4.7 Fps, Time Remaining: 14 seconds"
_NATRON_FRAME = re.compile(r"Frame(?: rendered)?:\s*(-?\d+)")


_TRIGGERS = (
    "rror",
    "RROR",
    "ailed",
    "fault",
    "emory",
    "bad_alloc",
    "bort",
    "xception",
    "can only write",
)
_ERRORS = (
    "segmentation fault",
    "out of memory",
    "bad_alloc",
    "render failed",
    "rendering failed",
    "failed to render",
    "render aborted",
    "ofx::exception",
    "can only write",  # "FFmpeg: can only write files in sequential order"
)
# Headless hosts: "Error while loading OpenGL: X11: Failed to open display" (renders go on)
_HARMLESS = ("opengl", "open display")


class NatronParser(GenericParser):
    """NatronRenderer: ``Frame rendered: 12`` (``Frame: 12, Progress: 9.2%`` in Natron 2.3+)
    ends frame 12. Lines starting with ``Error`` are errors, except the OpenGL notices of hosts
    without a display; ``Render aborted``, ``Rendering Failed``, OFX exceptions, crashes and out
    of memory are errors; ``Failed to open project`` (or load) and a missing ``.ntp`` file are
    fatal."""

    name = "natron"

    def parse_line(self, line: str) -> None:
        if "Frame rendered:" in line or "Frame:" in line:
            match = _NATRON_FRAME.search(line)
            if match:
                self.set_frame(int(match[1]))
                self.set_frame_percent(100)
                self.set_percent(((self.frame or 0) + 1) * 100 / self.frames)
        elif any(word in line for word in _TRIGGERS):
            self._errors(line)
        elif is_failure(line):
            self.error(line.strip())
        super().parse_line(line)

    def _errors(self, line: str) -> None:
        text = line.strip()
        lower = text.lower()
        if (
            "failed to open project" in lower
            or "failed to load project" in lower
            or (".ntp" in lower and ("no such file" in lower or "does not exist" in lower))
        ):
            self.error(text, fatal=True)
        elif any(word in lower for word in _HARMLESS):
            return
        elif lower.startswith("error") or any(w in lower for w in _ERRORS) or is_failure(line):
            self.error(text)
