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

from app.parsers.arnold import ArnoldParser
from app.parsers.failures import FAILURE
from app.parsers.mantra import KarmaParser, MantraParser
from app.parsers.redshift import RedshiftParser
from app.parsers.table import Rule, TableParser

_ROP = r"CORRAL_ROP:\s*(\S+)\s+frame\s+(-?\d+)"
_HIP = r"(?i)(?:Unable to open|Cannot open|No such file).*\.hip(?:nc|lc)?\b"
# Houdini's own render scripts (hrender, OpenJD's adaptor) print "mantra1 frame 5" after the time
_ROP_FRAME = r"^\s*(\w+)\s+frame\s+-?\d+\s*$"


class HbatchParser(TableParser):
    """Houdini's batch lines: Corral's ROP frame marker, Alembic progress and errors."""

    name = "hbatch"
    table = (
        # the frame starts: the frames before it are done
        Rule("frame_start", r"CORRAL_ROP:.*\sframe\s+(-?\d+)", needle="CORRAL_ROP:"),
        Rule("frame_start", r"^\s*\w+\s+frame\s+(-?\d+)\s*$", needle=" frame "),
        Rule("percent", r"ABC_PROGRESS\s+(\d+(?:\.\d+)?)", needle="ABC_PROGRESS"),
        Rule("activity", _ROP, needle="CORRAL_ROP:"),
        Rule("activity", _ROP_FRAME, needle=" frame "),
        Rule("fatal", r"No licenses could be found", needle="No licenses"),
        Rule("fatal", _HIP, needle=".hip"),
        Rule("error", FAILURE),
        Rule("error", r"hou\.OperationFailed|\[Error\]|^\s*Error:\s|Cannot load \S+ library"),
        Rule("warning", r"OpenCL Exception|Failed to create"),
    )


class HbatchMantraParser(HbatchParser, MantraParser):
    name = "hbatch_mantra"


class HbatchKarmaParser(HbatchParser, KarmaParser):
    name = "hbatch_karma"


class HbatchRedshiftParser(HbatchParser, RedshiftParser):
    name = "hbatch_redshift"


class HbatchArnoldParser(HbatchParser, ArnoldParser):
    name = "hbatch_arnold"
