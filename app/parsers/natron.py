"""NatronRenderer."""

from __future__ import annotations

import re

from app.parsers.generic import GenericParser

# "Frame rendered: 12" or, with a time estimate, ";Frame rendered: 12; time remaining: 00:12"
_NATRON_FRAME = re.compile(r"Frame rendered:\s*(-?\d+)")


_TRIGGERS = ("rror", "RROR", "ailed", "fault", "emory", "bad_alloc")
_ERRORS = ("segmentation fault", "out of memory", "bad_alloc", "render failed", "failed to render")


class NatronParser(GenericParser):
    """NatronRenderer: ``Frame rendered: 12`` ends frame 12. ``Error:`` lines are errors;
    ``Failed to open project`` (or load) and a missing ``.ntp`` file are fatal;
    crashes and out of memory are errors."""

    name = "natron"

    def parse_line(self, line: str) -> None:
        if "Frame rendered:" in line:
            match = _NATRON_FRAME.search(line)
            if match:
                self.set_frame(int(match[1]))
                self.set_frame_percent(100)
                self.set_percent(((self.frame or 0) + 1) * 100 / self.frames)
        elif any(word in line for word in _TRIGGERS):
            self._errors(line)
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
        elif lower.startswith("error") or any(word in lower for word in _ERRORS):
            self.error(text)
