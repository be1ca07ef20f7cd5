"""V-Ray standalone (and V-Ray for Maya/Houdini) output.

``[2026/Nov/27|09:40:03] Rendering image...:  45.20% [ 0h  0m  1.2s] [ 0h  0m  8.4s est]`` is the
current frame's percent, ``Rendering image...: done`` its end, ``progr: begin scene
preprocessing for frame 5`` names the frame and ``Successfully written image file "<path>"`` is
an output file. V-Ray's ``error:`` lines are errors; a licence failure or a scene file it cannot
read are fatal. Missing files in ``warning:`` lines are warnings.
"""

from __future__ import annotations

from app.parsers.table import Rule, TableParser

_MISSING = (
    "cannot find|could not find|cannot load|could not load|cannot open|could not open|not found"
)


class VrayParser(TableParser):
    """V-Ray's percent, frames, written images and errors."""

    name = "vray"
    table = (
        Rule("frame_percent", r"Rendering image\.*:\s*(\d+(?:\.\d+)?)\s*%", needle="Rendering im"),
        Rule("frame_done", r"Rendering image.*done", needle="Rendering im"),
        Rule("frame", r"scene preprocessing.*for frame\s+(-?\d+)", needle="preprocessing"),
        Rule("file", r"Successfully written image file\s+\"([^\"]+)\"", needle="Successfully"),
        # https://github.com/ynput/OpenPype/pull/5420 (a farm's log): a missing scene is
        #   error: Error in file "vray_ropMain.0000.vrscene", line 0: No file "C:\...\..." exists
        Rule("fatal", r"^(?=.*(?i:licens|\.vrscene)).*(?:^|[\]\s])[Ee]rror:", needle="rror:"),
        Rule("fatal", r"^(?=.*(?i:licens|\.vrscene)).*(?:^|[\]\s])ERROR:", needle="ERROR:"),
        Rule("error", r"(?:^|[\]\s])[Ee]rror:", needle="rror:"),
        Rule("error", r"(?:^|[\]\s])ERROR:", needle="ERROR:"),
        Rule("warning", rf"(?:^|[\]\s])[Ww]arning:.*(?i:{_MISSING})", needle="arning:"),
        Rule("warning", rf"(?:^|[\]\s])WARNING:.*(?i:{_MISSING})", needle="WARNING:"),
    )
