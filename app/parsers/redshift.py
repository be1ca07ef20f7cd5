"""Redshift's log (standalone ``redshiftCmdLine``, and inside Maya, Houdini, Cinema 4D).

``Rendering frame 12...`` names the frame, ``Block 3/48 (2,0) rendered by GPU 0 in 15ms`` is the
frame's progress (blocks done of all), ``Frame rendering done`` / ``Skipping frame`` end a frame,
``Saved file '<path>' in 40ms`` is an output file and ``Total triangles: 12345`` a resource
note. Licence failures are fatal; device, CUDA and GPU memory errors are errors (another host
may render the task).
"""

from __future__ import annotations

import re

from app.parsers.generic import GenericParser

_FRAME = re.compile(r"Rendering (?:.*\s)?frame\s+(-?\d+)")
_BLOCK = re.compile(r"Block\s*(\d+)\s*/\s*(\d+)\b.*rendered by")
_SKIP = re.compile(r"Skipping frame\s+(-?\d+)")
_SAVED = re.compile(r"Saved (?:file|image)\s+['\"]([^'\"]+)['\"]")
_TRIANGLES = re.compile(r"Total triangles:\s*(\d[\d,]*)")
_FATAL = (
    "License error",
    "Unable to acquire license",
    "Unable to acquire a license",
    "license not found",
)
_ERRORS = (
    "No devices available",
    "Frame rendering aborted",
    "internally aborted",
    "CUDA error",
    "illegal memory access",
    "Out of GPU memory",
    "out of VRAM",
    "Unknown node type",
)


class RedshiftParser(GenericParser):
    """Redshift's frames, blocks, saved files, triangle count and errors."""

    name = "redshift"

    def parse_line(self, line: str) -> None:
        if "rendered by" in line:
            match = _BLOCK.search(line)
            if match:
                self.frame_fraction(int(match[1]), int(match[2]))
        elif "frame" in line:
            self._frame_line(line)
        if "Saved " in line:
            match = _SAVED.search(line)
            if match:
                self.add_file(match[1])
        if "Total triangles" in line:
            match = _TRIANGLES.search(line)
            if match:
                self.note_resource("triangles", int(match[1].replace(",", "")))
        if any(text in line for text in _FATAL):
            self.error(line.strip(), fatal=True)
        elif any(text in line for text in _ERRORS):
            self.error(line.strip())
        super().parse_line(line)

    def _frame_line(self, line: str) -> None:
        if "Rendering" in line and "aborted" not in line and "done" not in line:
            match = _FRAME.search(line)
            if match:
                self.set_frame(int(match[1]))
        elif "Frame rendering done" in line:
            self.frame_done()
        elif "Skipping frame" in line:
            match = _SKIP.search(line)
            if match:
                self.set_frame(int(match[1]))
            self.frame_done()
