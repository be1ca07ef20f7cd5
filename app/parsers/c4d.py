"""Cinema 4D's Commandline renderer."""

from __future__ import annotations

import re

from app.parsers.failures import is_failure
from app.parsers.generic import GenericParser

_PROGRESS = re.compile(r"^\s*Progress:\s*(\d+(?:\.\d*)?)\s*%")
# OpenJD's adaptor: "Progress update (during rendering): 80.8%"; c4dtoa: "ALF_PROGRESS 80.4167"
_UPDATE = re.compile(
    r"Progress update \([^)]*\):\s*(\d+(?:\.\d*)?)\s*%|ALF_PROGRESS\s+(\d+(?:\.\d*)?)"
)
_FRAME = re.compile(r"Rendering frame\s+(-?\d+)\b")
_TRIGGERS = ("rror", "RROR", "icen", "not found", "fault", "emory", "ailed", "crash")
_ERRORS = ("error", "segmentation fault", "crash", "out of memory", "not enough memory", "failed")
_FATAL = ("project not found", "error loading", "could not load", "can't load")


class C4dParser(GenericParser):
    """``Rendering frame 12 at <date>`` starts frame 12, ``Progress: 45%`` (also ``Progress
    update (during rendering): 45%`` and ``ALF_PROGRESS 45``) is that frame's percent and
    ``Rendering successful`` ends it. ``Error: Output path ...`` lines are
    warnings (the image may be saved elsewhere); ``Error rendering project`` and crashes are
    errors; a missing or unloadable project and licence failures are fatal."""

    name = "c4d"

    def parse_line(self, line: str) -> None:
        if "Progress:" in line:
            match = _PROGRESS.match(line)
            if match:
                self.frame_progress(float(match[1]))
        elif "PROGRESS" in line or "Progress update" in line:
            match = _UPDATE.search(line)
            if match:
                self.frame_progress(float(match[1] or match[2]))
        elif "Rendering frame" in line:
            match = _FRAME.search(line)
            if match:
                self.set_frame(int(match[1]))
                self.frame_progress(0)
        elif "Rendering successful" in line:
            self.frame_progress(100)
        elif "[ PARSER " not in line and any(word in line for word in _TRIGGERS):
            self._messages(line)
        elif is_failure(line):
            self.error(line.strip())
        super().parse_line(line)

    def _messages(self, line: str) -> None:
        text = line.strip()
        if text.startswith("Command line arguments"):
            return  # Cinema 4D echoes its own command line, which may hold the word "Error"
        lower = text.lower()
        if "output path" in lower or "output file" in lower:
            self.warning(text)
        elif any(word in lower for word in _FATAL) or (
            "licen" in lower and ("invalid" in lower or "error" in lower or "no " in lower)
        ):
            self.error(text, fatal=True)
        elif any(word in lower for word in _ERRORS):
            self.error(text)
