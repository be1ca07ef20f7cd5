"""The generic parser: ``PROGRESS: NN%``, ``FRAME: N`` and OpenJD's ``openjd_*`` lines."""

from __future__ import annotations

import re

from app.parsers.base import Parser

_PROGRESS = re.compile(r"PROGRESS:\s*(\d+(?:\.\d*)?)\s*%")
_FRAME = re.compile(r"FRAME:\s*(-?\d+)\b")
_OPENJD_PROGRESS = re.compile(r"^\s*openjd_progress:\s*(\d+(?:\.\d*)?|\.\d+)\s*$")
_OPENJD = re.compile(r"^\s*openjd_(status|fail):\s?(.*)$")


_MARKERS = "[ PARSER "  # Afanasy's markers, e.g. "[ PARSER ERROR ] no camera"


class GenericParser(Parser):
    """``PROGRESS: 45%`` (percent), ``FRAME: 12`` (absolute frame number),
    ``openjd_progress: 45.5`` (percent), ``openjd_status: text`` (activity),
    ``openjd_fail: text`` (a fatal error) and Afanasy's markers ``[ PARSER WARNING ]``,
    ``[ PARSER ERROR ]``, ``[ PARSER FATAL ERROR ]``, ``[ PARSER BAD RESULT ]`` and
    ``[ PARSER FINISHED SUCCESS ]`` anywhere in a line."""

    name = "generic"

    def parse_line(self, line: str) -> None:
        if _MARKERS in line:
            self._markers(line)
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

    def _markers(self, line: str) -> None:
        upper = line.upper()
        if "[ PARSER FATAL ERROR ]" in upper:
            self.error(line.strip(), fatal=True)
        elif "[ PARSER ERROR ]" in upper:
            self.error(line.strip())
        if "[ PARSER WARNING ]" in upper:
            self.warning(line.strip())
        if "[ PARSER BAD RESULT ]" in upper:
            self.bad_result = True
        if "[ PARSER FINISHED SUCCESS ]" in upper:
            self.success = True
