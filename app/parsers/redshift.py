"""Redshift's log (standalone ``redshiftCmdLine``, and inside Maya, Houdini, Cinema 4D).

``Rendering frame 12...`` names the frame, ``Block 3/48 (2,0) rendered by GPU 0 in 15ms`` is the
frame's progress (blocks done of all), ``Frame rendering done`` / ``Skipping frame`` end a frame,
``Saved file '<path>' in 40ms`` is an output file and ``Total triangles: 12345`` a resource
note. Licence failures are fatal; device, CUDA and GPU memory errors and ``Redshift Error:``
lines are errors (another host may render the task).
"""

from __future__ import annotations

from app.parsers.table import Rule, TableParser

# "[Redshift] Maxon licensing error: ..." is in a farm's log in
# https://github.com/aws-deadline/deadline-cloud-for-maya/pull/480
_FATAL = (
    "License error|Unable to acquire license|Unable to acquire a license|license not found"
    "|Maxon licensing error"
)
_ERRORS = (
    "No devices available|Frame rendering aborted|internally aborted|CUDA error"
    "|illegal memory access|Out of GPU memory|out of VRAM|Unknown node type"
)


class RedshiftParser(TableParser):
    """Redshift's frames, blocks, saved files, triangle count and errors."""

    name = "redshift"
    table = (
        Rule("frame_percent", r"Block\s*(\d+)\s*/\s*(\d+)\b.*rendered by", needle="rendered by"),
        Rule("frame_done", r"Frame rendering done", needle="Frame rendering done"),
        Rule("frame_done", r"Skipping frame\s+(-?\d+)", needle="Skipping frame"),
        Rule("frame", r"^(?!.*(?:aborted|done)).*Rendering (?:.*\s)?frame\s+(-?\d+)", "Rendering"),
        Rule("file", r"Saved (?:file|image)\s+['\"]([^'\"]+)['\"]", needle="Saved "),
        Rule(
            "resource", r"Total triangles:\s*(\d[\d,]*)", needle="Total tri", resource="triangles"
        ),
        Rule("fatal", _FATAL),
        Rule("error", _ERRORS),
        # https://github.com/aws-deadline/deadline-cloud-for-cinema-4d/pull/143 (a farm's log):
        #   ... STDOUT: Redshift Error: Skipped device Tesla T4 because kernel files are missing.
        Rule("error", r"Redshift Error:", needle="Redshift Error:"),
    )
