"""Houdini in batch (hython / hbatch running ROPs), alone and with its renderers.

Corral's Houdini wrapper prints ``CORRAL_ROP: /out/mantra1 frame 12`` before each frame it
renders: that names the frame, and the renderer's own progress of that frame (e.g. Mantra's
``ALF_PROGRESS 45%``) gives the rest of the task's percent. ``ABC_PROGRESS 45`` is the percent
of an Alembic export (one export covers the task's frames). Houdini's own scripts print ``mantra1
frame 5`` instead of the marker. Errors: Houdini's ``Error:`` lines, ``[Error]`` tags (V-Ray for
Houdini, USD), ``hou.OperationFailed``, a plug-in library that cannot load, crashes and Python
tracebacks; a missing licence or scene file is fatal. ``OpenCL
Exception`` and ``Failed to create`` are warnings.
"""

from __future__ import annotations

import re

from app.parsers.arnold import ArnoldParser
from app.parsers.failures import is_failure
from app.parsers.generic import GenericParser
from app.parsers.mantra import KarmaParser, MantraParser
from app.parsers.redshift import RedshiftParser

_ROP = re.compile(r"CORRAL_ROP:\s*(\S+)\s+frame\s+(-?\d+)")
# Houdini's own render scripts (hrender, OpenJD's adaptor) print "mantra1 frame 5" after the time
_ROP_FRAME = re.compile(r"^\s*(\w+)\s+frame\s+(-?\d+)\s*$")
_LIBRARY = re.compile(r"Cannot load \S+ library")
_ABC = re.compile(r"ABC_PROGRESS\s+(\d+(?:\.\d+)?)")
_ERROR = re.compile(r"^\s*Error:\s")
_HIP = re.compile(r"(?:Unable to open|Cannot open|No such file).*\.hip(?:nc|lc)?\b", re.IGNORECASE)


class HbatchParser(GenericParser):
    """Houdini's batch lines: Corral's ROP frame marker, Alembic progress and errors."""

    name = "hbatch"

    def parse_line(self, line: str) -> None:
        match = None
        if "CORRAL_ROP:" in line:
            match = _ROP.search(line)
        elif " frame " in line:
            match = _ROP_FRAME.match(line)
        if match:
            self.activity = match[1]
            self.set_frame(int(match[2]))
            self.frame_progress(0)  # the frame starts: the frames before it are done
        if "ABC_PROGRESS" in line:
            match = _ABC.search(line)
            if match:
                self.set_percent(float(match[1]))
        if "No licenses could be found" in line or (".hip" in line and _HIP.search(line)):
            self.error(line.strip(), fatal=True)
        elif (
            is_failure(line)
            or "hou.OperationFailed" in line
            or "[Error]" in line
            or ("Error:" in line and _ERROR.match(line))
            or ("Cannot load" in line and _LIBRARY.search(line))
        ):
            self.error(line.strip())
        elif "OpenCL Exception" in line or "Failed to create" in line:
            self.warning(line.strip())
        super().parse_line(line)


class HbatchMantraParser(HbatchParser, MantraParser):
    name = "hbatch_mantra"


class HbatchKarmaParser(HbatchParser, KarmaParser):
    name = "hbatch_karma"


class HbatchRedshiftParser(HbatchParser, RedshiftParser):
    name = "hbatch_redshift"


class HbatchArnoldParser(HbatchParser, ArnoldParser):
    name = "hbatch_arnold"
