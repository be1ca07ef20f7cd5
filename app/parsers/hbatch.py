"""Houdini in batch (hython / hbatch running ROPs), alone and with its renderers.

Corral's Houdini wrapper prints ``CORRAL_ROP: /out/mantra1 frame 12`` before each frame it
renders: that names the frame, and the renderer's own progress of that frame (e.g. Mantra's
``ALF_PROGRESS 45%``) gives the rest of the task's percent. ``ABC_PROGRESS 45`` is the percent
of an Alembic export (one export covers the task's frames). Errors: Houdini's ``Error:`` lines,
``hou.OperationFailed``, Python tracebacks; a missing licence or scene file is fatal. ``OpenCL
Exception`` and ``Failed to create`` are warnings.
"""

from __future__ import annotations

from app.parsers.arnold import ArnoldParser
from app.parsers.mantra import KarmaParser, MantraParser
from app.parsers.redshift import RedshiftParser
from app.parsers.table import Rule, TableParser

_ROP = r"CORRAL_ROP:\s*(\S+)\s+frame\s+(-?\d+)"
_HIP = r"(?i)(?:Unable to open|Cannot open|No such file).*\.hip(?:nc|lc)?\b"


class HbatchParser(TableParser):
    """Houdini's batch lines: Corral's ROP frame marker, Alembic progress and errors."""

    name = "hbatch"
    table = (
        # the frame starts: the frames before it are done
        Rule("frame_start", r"CORRAL_ROP:.*\sframe\s+(-?\d+)", needle="CORRAL_ROP:"),
        Rule("percent", r"ABC_PROGRESS\s+(\d+(?:\.\d+)?)", needle="ABC_PROGRESS"),
        Rule("activity", _ROP, needle="CORRAL_ROP:"),
        Rule("fatal", r"No licenses could be found", needle="No licenses"),
        Rule("fatal", _HIP, needle=".hip"),
        Rule("error", r"Traceback \(most recent call last\)|hou\.OperationFailed|^\s*Error:\s"),
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
