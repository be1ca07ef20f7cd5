"""The generic parser: ``PROGRESS: NN%``, ``FRAME: N`` and OpenJD's ``openjd_*`` lines."""

from __future__ import annotations

import re

from app.parsers.base import Parser

_PROGRESS = re.compile(r"PROGRESS:\s*(\d+(?:\.\d*)?)\s*%")
_FRAME = re.compile(r"FRAME:\s*(-?\d+)\b")
_OPENJD_PROGRESS = re.compile(r"^\s*openjd_progress:\s*(\d+(?:\.\d*)?|\.\d+)\s*$")
_OPENJD = re.compile(r"^\s*openjd_(status|fail):\s?(.*)$")


class GenericParser(Parser):
    """``PROGRESS: 45%`` (percent), ``FRAME: 12`` (absolute frame number),
    ``openjd_progress: 45.5`` (percent), ``openjd_status: text`` (activity) and
    ``openjd_fail: text`` (a fatal error)."""

    name = "generic"

    def parse_line(self, line: str) -> None:
        if "openjd_" in line:
            match = _OPENJD_PROGRESS.match(line)
            if match:
                self.set_percent(float(match[1]))
            else:
                match = _OPENJD.match(line)
                if match and match[1] == "status":
                    self.activity = match[2].strip()
                elif match:
                    self.error(match[2].strip(), fatal=True)
        if "PROGRESS:" in line:
            match = _PROGRESS.search(line)
            if match:
                self.set_percent(float(match[1]))
        if "FRAME:" in line:
            match = _FRAME.search(line)
            if match:
                self.set_frame(int(match[1]))
        super().parse_line(line)
