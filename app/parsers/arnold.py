"""Arnold's log (kick, MtoA, HtoA): ``00:00:05  1234MB  |    45% done - 12 rays/pixel``.

The percent is the current frame's; a frame ends at ``100% done`` / ``render done`` and the next
one starts with the next lower percent. ``peak CPU memory used  712.45MB`` is the peak memory,
``[driver_exr] writing file `/out/a.exr'`` an output file. Arnold stops at its first error by
default (``abort_on_error``), so every ``ERROR |`` line is an error. Without a licence Arnold
still renders, with watermarks: that output is wrong (a bad result) and a licence failure is
fatal, since retrying does not bring a licence.
"""

from __future__ import annotations

import re

from app.parsers.generic import GenericParser
from app.parsers.sizes import size_mb

_DONE = re.compile(r"(\d+(?:\.\d+)?)\s*%\s+done\b")
_PEAK = re.compile(r"peak CPU memory used\s+(\d[\d,]*(?:\.\d+)?)\s*([KMGT]i?B)", re.IGNORECASE)
_WRITING = re.compile(r"writing file\s+[`'\"]([^`'\"]+)[`'\"]")
_ERROR = re.compile(r"\bERROR\s*\|")
_SIGNAL = re.compile(r"\bSIG(?:SEGV|ABRT|BUS|ILL|FPE)\b")
_LICENCE = (
    "could not find license",
    "no license available",
    "license error",
    "failed to checkout license",
    "rlm_init",
)
_SCENE = ("[ass] can't open", "[ass] can't read", "[ass] cannot open")
_ERRORS = ("[mtoa] Failed batch render", "Error reading pixel data", "can't create file")


class ArnoldParser(GenericParser):
    """Arnold's percent, peak memory, written files, errors and licence failures."""

    name = "arnold"

    def parse_line(self, line: str) -> None:
        if "% done" in line:
            match = _DONE.search(line)
            if match:
                self.frame_progress(float(match[1]))
        elif "render done" in line:
            self.frame_done()
        if "peak CPU memory" in line:
            match = _PEAK.search(line)
            if match:
                self.note_peak_mb(size_mb(match[1], match[2]))
        if "writing file" in line:
            match = _WRITING.search(line)
            if match:
                self.add_file(match[1])
        self._messages(line)
        super().parse_line(line)

    def _messages(self, line: str) -> None:
        lower = line.lower()
        text = line.strip()
        if "watermark" in lower:
            self.warning(text)
            self.bad_result = True
            return
        licence = "licens" in lower and any(word in lower for word in _LICENCE)
        if licence or any(word in line for word in _SCENE):
            self.error(text, fatal=True)
            return
        crash = "SIG" in line and "signal" in lower and _SIGNAL.search(line) is not None
        if (
            crash
            or any(word in line for word in _ERRORS)
            or ("ERROR" in line and _ERROR.search(line))
        ):
            self.error(text)
