"""RenderMan (``prman -Progress``) output.

``R90000  45%`` is the current frame's percent (``prman -Progress``); a frame ends at 100% and
the next one starts with the next lower percent. Messages have a code and a severity,
``R50004 {SEVERE} ...``: warnings and errors by their severity; licence messages (``L2005 ...``
codes, or the word licence) are fatal, as is a RIB file that cannot be opened. Images come from
``Wrote <path>`` and from display lines with ``mode = rgba`` and a quoted file name.
"""

from __future__ import annotations

from app.parsers.table import Rule, TableParser

_CODE = r"\b[A-Z]\d{4,5}\s+"  # R50004, L2005, ...
_BAD = r"\{(?:ERROR|SEVERE)\}"


class PrmanParser(TableParser):
    """RenderMan's percent, messages and images."""

    name = "prman"
    table = (
        Rule("frame_percent", r"\bR90000\s+(\d+(?:\.\d+)?)\s*%", needle="R90000"),
        Rule("file", r"^\s*Wrote\s+['\"]?([^'\"\s]+)", needle="Wrote"),
        Rule("file", r"^(?=.*mode = rgba).*?\"([^\"]+\.[A-Za-z0-9]+)\"", needle="mode = rgba"),
        Rule("fatal", rf"\bL\d{{4,5}}\s+{_BAD}", needle="{"),
        Rule("fatal", rf"^(?=.*(?i:licens)).*{_CODE}{_BAD}", needle="{"),
        Rule("fatal", rf"^(?=.*(?i:\.rib))(?=.*(?i:open|not found)).*{_CODE}{_BAD}", needle="{"),
        Rule("error", _CODE + _BAD, needle="{"),
        Rule("warning", _CODE + r"\{WARNING\}", needle="{"),
    )
