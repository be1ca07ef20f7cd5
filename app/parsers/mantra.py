"""Mantra and Karma (husk) output with Alfred-style progress.

``ALF_PROGRESS 45%`` is the current frame's percent (a frame ends at 100%, the next starts with
the next lower percent, unless a wrapper names the frame). ``Generating Image: <path> (WxH)`` is
an output file, ``Peak Memory Usage: 1.23 GB`` or a ``Memory: ... peak`` line the peak memory.
Missing textures and files are warnings; a missing Houdini licence is fatal. Karma adds USD's
``Failed to open layer`` (the scene is missing: fatal).
"""

from __future__ import annotations

import re

from app.parsers.generic import GenericParser
from app.parsers.sizes import size_mb

_ALF = re.compile(r"ALF_PROGRESS\s+(\d+(?:\.\d+)?)\s*%")
_IMAGE = re.compile(r"Generating Image:\s*(.+?)\s*\(\s*\d+\s*x\s*\d+\s*\)")
_SIZE = r"(\d[\d,]*(?:\.\d+)?)\s*([KMGT]i?B)"
_PEAK = (
    re.compile(r"Peak Memory(?: Usage)?\s*:?\s*" + _SIZE, re.IGNORECASE),
    re.compile(r"Memory:.*?\bpeak\b\s*:?\s*" + _SIZE, re.IGNORECASE),
    re.compile(r"Memory:.*?" + _SIZE + r"\s+peak\b", re.IGNORECASE),
)
_GEOMETRY = re.compile(r"Error loading geometry .* from stdin")
_WARNINGS = ("Unable to load texture", "Unable to open texture", "Unable to find the file")
_LICENCE = "No licenses could be found"


class MantraParser(GenericParser):
    """Mantra's ALF_PROGRESS, images, peak memory, warnings and errors."""

    name = "mantra"

    def parse_line(self, line: str) -> None:
        if "ALF_PROGRESS" in line:
            match = _ALF.search(line)
            if match:
                self.frame_progress(float(match[1]))
        if "Generating Image" in line:
            match = _IMAGE.search(line)
            if match:
                self.add_file(match[1])
        if "emory" in line and ("Peak" in line or "peak" in line):
            self._peak(line)
        if _LICENCE in line:
            self.error(line.strip(), fatal=True)
        elif "Error loading geometry" in line and _GEOMETRY.search(line):
            self.error(line.strip())
        elif any(text in line for text in _WARNINGS):
            self.warning(line.strip())
        super().parse_line(line)

    def _peak(self, line: str) -> None:
        for pattern in _PEAK:
            match = pattern.search(line)
            if match:
                self.note_peak_mb(size_mb(match[1], match[2]))
                return


class KarmaParser(MantraParser):
    """Karma through husk: Mantra's lines plus USD's errors."""

    name = "karma"

    def parse_line(self, line: str) -> None:
        if "Failed to open layer" in line:
            self.error(line.strip(), fatal=True)
        elif "[Error]" in line or "[ERROR]" in line:
            self.error(line.strip())
        super().parse_line(line)
