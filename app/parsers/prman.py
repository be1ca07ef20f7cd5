"""RenderMan (``prman -Progress``) output.

``R90000  45%`` is the current frame's percent (``prman -Progress``); a frame ends at 100% and
the next one starts with the next lower percent. Messages have a code and a severity,
``R50004 {SEVERE} ...``: warnings and errors by their severity; licence messages (``L2005 ...``
codes, or the word licence) are fatal, as is a RIB file that cannot be opened. Images come from
``Wrote <path>`` and from display lines with ``mode = rgba`` and a quoted file name.
"""

from __future__ import annotations

import re

from app.parsers.generic import GenericParser

_PROGRESS = re.compile(r"\bR90000\s+(\d+(?:\.\d+)?)\s*%")
_MESSAGE = re.compile(r"\b([A-Z])(\d{4,5})\s+\{(WARNING|ERROR|SEVERE)\}")
_WROTE = re.compile(r"^\s*Wrote\s+['\"]?([^'\"\s]+)")
_QUOTED = re.compile(r"\"([^\"]+\.[A-Za-z0-9]+)\"")


class PrmanParser(GenericParser):
    """RenderMan's percent, messages and images."""

    name = "prman"

    def parse_line(self, line: str) -> None:
        if "R90000" in line:
            match = _PROGRESS.search(line)
            if match:
                self.frame_progress(float(match[1]))
        if "{" in line:
            self._message(line)
        if "Wrote" in line:
            match = _WROTE.match(line)
            if match:
                self.add_file(match[1])
        if "mode = rgba" in line:
            match = _QUOTED.search(line)
            if match:
                self.add_file(match[1])
        super().parse_line(line)

    def _message(self, line: str) -> None:
        match = _MESSAGE.search(line)
        if not match:
            return
        lower = line.lower()
        if match[1] == "L" or "licens" in lower:
            if match[3] != "WARNING":
                self.error(line.strip(), fatal=True)
            else:
                self.warning(line.strip())
        elif match[3] == "WARNING":
            self.warning(line.strip())
        else:
            rib = ".rib" in lower and ("open" in lower or "not found" in lower)
            self.error(line.strip(), fatal=rib)
