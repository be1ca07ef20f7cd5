"""Blender's batch output (Cycles, EEVEE, Workbench; Blender 2.8 to 5).

Status lines start with ``Fra:<n>`` (the absolute frame) and end with the render's stage:
``| Sample 12/64`` (Cycles), ``| Rendering 5 / 64 samples`` (EEVEE), ``| Path Tracing Tile
136/510`` / ``| Rendered 136/510 Tiles`` (tiled Cycles before 3.0) and ``| Finished``. Corral's
progress script prints the same shape from ``bpy.app.handlers.render_stats`` on Blender 5, whose
own status lines go to CLOG and are not shown by default. ``Saved: '<path>'`` (also in CLOG's
``00:01.046  render           | Saved: '<path>'`` shape) is an output file. Engines from other
vendors print their own lines: RenderMan's ``| 45%`` at the end of a status line and its
``R50005 {SEVERE}`` messages, ``PRMan: Exited``, add-ons' ``Error:``/``ERROR:`` lines.
"""

from __future__ import annotations

import re

from app.parsers.failures import is_failure, starts_with_error
from app.parsers.generic import GenericParser
from app.parsers.sizes import size_mb

_FRA = re.compile(r"(?:^|[\s|])Fra:\s*(-?\d+)")
_TILES = re.compile(r"(?:Path Tracing Tile|Rendered)\s+(\d+)\s*/\s*(\d+)")
_SAMPLE = re.compile(r"\bSample\s+(\d+)\s*/\s*(\d+)")
_EEVEE = re.compile(r"\bRendering\s+(\d+)\s*/\s*(\d+)\s+samples")
_PEAK = re.compile(r"Peak[:\s]\s*(\d+(?:\.\d+)?)\s*([KMGT])")
_PERCENT = re.compile(r"\|\s*(\d+(?:\.\d+)?)\s*%\s*$")  # RenderMan for Blender: "... | 45%"
# a failed GPU driver call: "Invalid value in cuCtxPushCurrent(...)", "... in optixPipelineCreate("
_GPU_CALL = re.compile(r"\bin (?:cu|optix|hip)[A-Z]\w*\(")
_TRACEBACK = "Traceback (most recent call last)"
_SAVED = re.compile(r"\bSaved:\s*(?:'([^']+)'|\"([^\"]+)\"|(\S+))")

# (substring, kind, fatal): the first that a line holds decides; kind "" means nothing
_MESSAGES = (
    ("Not freed memory blocks", "warning", False),  # "Error: Not freed memory blocks: 2, ..."
    ("Blender quit", "", False),
    ("Error: Cannot read file", "error", True),  # the .blend is missing or unreadable
    ("Error: File format is not supported", "error", True),
    # Corral's bpy runner refuses the command line itself: retrying cannot help
    ("Error: unknown argument", "error", True),
    ("Error: no scene", "error", True),
    ('Error: engine "', "error", True),  # 'Error: engine "X" is not available'
    ("Error: format", "error", True),
    ("Error: Cannot read Python script", "error", True),
    ("Error: bad frame list", "error", True),
    ("Error: -", "error", True),  # "Error: -s needs a number", "Error: -j must be at least 1"
    ("Error: nothing to do", "error", True),
    ("Error: the bpy module cannot be imported", "error", True),
    ("CUDA error", "error", False),
    ("OptiX error", "error", False),
    ("HIP error", "error", False),
    ("System is out of GPU", "error", False),  # "... GPU memory", "... GPU and shared host memory"
    ("Out of memory", "error", False),
    ("Render error", "error", False),  # "Render error: cannot save ..."
    ("Error: Cannot write", "error", False),
    (".crash.txt", "error", False),  # "Writing: /tmp/scene.crash.txt"
    ("{SEVERE}", "error", False),  # RenderMan: "R50005 {SEVERE}  License error"
    ("PRMan: Exited", "error", False),
    ("Export failed", "error", False),
    ("Rib gen error", "error", False),
    ("ERROR: ld.so", "", False),  # "object ... from LD_PRELOAD cannot be preloaded: ignored"
    ("Unable to open a display", "error", False),  # EEVEE on a host without a display
    ("Warning: Unable to open", "warning", False),  # a missing texture: the render goes on
)
_GUARD = (
    "rror",
    "RROR",
    "emory",
    "Blender quit",
    ".crash.txt",
    "Unable to open",
    "{SEVERE}",
    "PRMan",
    "Export failed",
    " in cu",
    " in optix",
    " in hip",
)


class BlenderParser(GenericParser):
    """Blender's ``Fra:`` status lines, saved files and its errors; any other ``Error:`` line,
    a crash, a Python traceback or a failed GPU call is an error too, except the traceback of an
    add-on that does not load in the background (``addon_utils.py ... in enable``): the render
    goes on without it."""

    name = "blender"
    aliases = ("blender_cycles", "blender_render")  # the names CGRU's Blender submitters give

    def __init__(self, frame_start: int = 0, frame_end: int = 0, frames_inc: int = 1) -> None:
        super().__init__(frame_start, frame_end, frames_inc)
        self._traceback = ""  # a traceback's first line, until the next line says whose it is

    def parse_line(self, line: str) -> None:
        if self._traceback:
            if "addon_utils.py" not in line:
                self.error(self._traceback)
            self._traceback = ""
        if _TRACEBACK in line:
            self._traceback = line.strip()
            return
        if "Fra:" in line:
            self._status(line)
        if "Saved:" in line:
            match = _SAVED.search(line)
            if match:
                self.add_file(match[1] or match[2] or match[3])
        if any(word in line for word in _GUARD):
            self._message(line)
        elif is_failure(line):
            self.error(line.strip())
        super().parse_line(line)

    def _status(self, line: str) -> None:
        match = _FRA.search(line)
        if not match:
            return
        self.set_frame(int(match[1]))
        if "Peak" in line:
            peaks = [size_mb(number, unit) for number, unit in _PEAK.findall(line)]
            if peaks:
                self.note_peak_mb(max(peaks))
        found = None
        if "Tile" in line:
            found = _TILES.search(line)
        if found is None and "Sample" in line:
            found = _SAMPLE.search(line)
        if found is None and "samples" in line:
            found = _EEVEE.search(line)
        if found is not None:
            self.frame_fraction(int(found[1]), int(found[2]))
        elif line.rstrip().endswith("| Finished"):
            self.frame_done()
        elif "%" in line:
            match = _PERCENT.search(line)
            if match:
                self.frame_progress(float(match[1]))

    def _message(self, line: str) -> None:
        for text, kind, fatal in _MESSAGES:
            if text in line:
                if kind == "warning":
                    self.warning(line.strip())
                elif kind == "error":
                    self.error(line.strip(), fatal=fatal)
                return
        if is_failure(line) or starts_with_error(line) or _GPU_CALL.search(line):
            self.error(line.strip())  # crashes, add-ons' and engines' errors, CUDA calls

    def finish(self) -> None:
        super().finish()
        if self._traceback:
            self.error(self._traceback)
            self._traceback = ""
