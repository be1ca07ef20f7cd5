"""3ds Max's command line renderer (3dsmaxcmd)."""

from __future__ import annotations

import re

from app.parsers.generic import GenericParser

_DONE = re.compile(r"Frame\s+(-?\d+)\s+completed")
_STARTED = re.compile(r"Rendering frame\s+(-?\d+)\b")
_PROGR = re.compile(r"progr:\s*(\d+(?:\.\d*)?)\s*%\s*rendered")
_TRIGGERS = ("rror", "RROR", "icen", "rash", "stopped working", "emory", "issing", "ERR:")
_LOGGED_ERROR = re.compile(r"\bERR:\s")  # Max.log: "2025/08/11 20:59:27 ERR: [10560] ..."
_CRASH = ("application has crashed", "has stopped working", "out of memory", "not enough memory")


class MaxParser(GenericParser):
    """``Rendering frame 12`` starts frame 12, ``progr: 45% rendered`` is its percent and
    ``Frame 12 completed`` ends it. ``Missing external files`` is a warning; ``ERROR:`` lines,
    the network log's ``ERR:`` lines, crashes and out of memory are errors; licence failures
    and a scene file that cannot be loaded are fatal."""

    name = "max"

    def parse_line(self, line: str) -> None:
        if "completed" in line:
            match = _DONE.search(line)
            if match:
                self.set_frame(int(match[1]))
                self.frame_progress(100)
        elif "progr:" in line:
            match = _PROGR.search(line)
            if match:
                self.frame_progress(float(match[1]))
        elif "Rendering frame" in line:
            match = _STARTED.search(line)
            if match:
                self.set_frame(int(match[1]))
                self.frame_progress(0)
        if "[ PARSER " not in line and any(word in line for word in _TRIGGERS):
            self._messages(line)
        super().parse_line(line)

    def _messages(self, line: str) -> None:
        text = line.strip()
        lower = text.lower()
        if "missing" in lower and ("external file" in lower or "plugin" in lower or "dll" in lower):
            self.warning(text)
        elif "licen" in lower and ("fail" in lower or "error" in lower or "unable" in lower):
            self.error(text, fatal=True)
        elif any(word in lower for word in _CRASH) or _LOGGED_ERROR.search(text):
            self.error(text)
        elif "error" in lower:
            scene = ".max" in lower and any(
                word in lower for word in ("not found", "could not", "unable to", "failed to")
            )
            self.error(text, fatal=scene)
