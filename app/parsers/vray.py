"""V-Ray standalone (and V-Ray for Maya/Houdini) output.

``[2026/Nov/27|09:40:03] Rendering image...:  45.20% [ 0h  0m  1.2s] [ 0h  0m  8.4s est]`` is the
current frame's percent, ``Rendering image...: done`` its end, ``progr: begin scene
preprocessing for frame 5`` names the frame and ``Successfully written image file "<path>"`` is
an output file. V-Ray's ``error:`` lines are errors; a licence failure or a scene file it cannot
read are fatal. Missing files in ``warning:`` lines are warnings.
"""

from __future__ import annotations

import re

from app.parsers.generic import GenericParser

_PERCENT = re.compile(r"Rendering image\.*:\s*(\d+(?:\.\d+)?)\s*%")
_FRAME = re.compile(r"for frame\s+(-?\d+)")
_WRITTEN = re.compile(r"Successfully written image file\s+\"([^\"]+)\"")
_ERROR = re.compile(r"(?:^|[\]\s])error:\s*(.*)$", re.IGNORECASE)
_WARNING = re.compile(r"(?:^|[\]\s])warning:\s*(.*)$", re.IGNORECASE)
_MISSING = (
    "cannot find",
    "could not find",
    "cannot load",
    "could not load",
    "cannot open",
    "could not open",
    "not found",
)


class VrayParser(GenericParser):
    """V-Ray's percent, frames, written images and errors."""

    name = "vray"

    def parse_line(self, line: str) -> None:
        if "Rendering image" in line:
            match = _PERCENT.search(line)
            if match:
                self.frame_progress(float(match[1]))
            elif "done" in line:
                self.frame_done()
        if "scene preprocessing" in line:
            match = _FRAME.search(line)
            if match:
                self.set_frame(int(match[1]))
        if "Successfully written" in line:
            match = _WRITTEN.search(line)
            if match:
                self.add_file(match[1])
        if "rror:" in line or "ERROR:" in line:
            match = _ERROR.search(line)
            if match:
                lower = line.lower()
                fatal = "licens" in lower or ".vrscene" in lower
                self.error(line.strip(), fatal=fatal)
        elif "arning:" in line or "WARNING:" in line:
            match = _WARNING.search(line)
            if match and any(word in match[1].lower() for word in _MISSING):
                self.warning(line.strip())
        super().parse_line(line)
