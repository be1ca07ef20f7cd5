"""Fusion's render node / FusionRenderConsole."""

from __future__ import annotations

import re

from app.parsers.generic import GenericParser

_RENDERED = re.compile(r"Rendered frame\s+(-?\d+)(?:\s+\((\d+)\s+of\s+(\d+)\))?")
_TRIGGERS = ("rror", "RROR", "ailed", "icen", "fault", "emory")
_ERRORS = (
    "render failed",
    "failed at time",
    "failed to load",
    "segmentation fault",
    "out of memory",
)


class FusionParser(GenericParser):
    """``Rendered frame 12 (3 of 10), took 1.2 secs`` ends frame 12, the 3rd of 10;
    ``Render completed successfully`` is 100%. Lines starting with ``Error``, ``Render failed``,
    crashes and out of memory are errors; ``Failed to load composition`` and licence failures
    are fatal."""

    name = "fusion"

    def parse_line(self, line: str) -> None:
        if "Rendered frame" in line:
            match = _RENDERED.search(line)
            if match:
                self.set_frame(int(match[1]))
                self.set_frame_percent(100)
                if match[3] and int(match[3]) > 0:
                    self.set_percent(int(match[2]) * 100 / int(match[3]))
                else:
                    self.set_percent(((self.frame or 0) + 1) * 100 / self.frames)
        elif "Render completed" in line:
            self.set_percent(100)
        elif any(word in line for word in _TRIGGERS):
            self._messages(line)
        super().parse_line(line)

    def _messages(self, line: str) -> None:
        text = line.strip()
        lower = text.lower()
        licence = "licen" in lower and ("fail" in lower or "error" in lower)
        if licence or "failed to load comp" in lower or "failed to open comp" in lower:
            self.error(text, fatal=True)
        elif lower.startswith("error") or any(word in lower for word in _ERRORS):
            self.error(text)
