"""Softimage's xsibatch, alone and with Arnold or Redshift."""

from __future__ import annotations

import re

from app.parsers.generic import GenericParser

_FRAME = re.compile(r"Rendering frame\s+(-?\d+)(?:[^(]*\((\d+(?:\.\d*)?)\s*%\s*done\))?")
_PROGR = re.compile(r"progr:\s*(\d+(?:\.\d*)?)\s*%\s*rendered")
_ARNOLD = re.compile(r"(\d+(?:\.\d*)?)\s*%\s*done")
_BLOCK = re.compile(r"Block\s*(\d+)\s*/\s*(\d+)\b.*rendered by GPU")
_TRIGGERS = ("ERROR", "WARNING", "icen", "fault", "emory")
_CRASH = ("segmentation fault", "access violation", "out of memory", "not enough memory")


class XsiParser(GenericParser):
    """``Rendering frame 12`` (optionally ``(45% done)``) starts frame 12 or gives its percent;
    mental ray's ``progr: 45% rendered`` is the frame's percent; ``Render completed`` is 100%.
    Softimage's ``' ERROR : 2000 - ...`` lines are errors (fatal for licences and a missing
    scene), ``' WARNING : ...`` lines warnings; crashes and out of memory are errors."""

    name = "xsi"

    def parse_line(self, line: str) -> None:
        if "Rendering frame" in line:
            match = _FRAME.search(line)
            if match:
                self.set_frame(int(match[1]))
                self.frame_progress(float(match[2]) if match[2] else 0)
        elif "progr:" in line:
            match = _PROGR.search(line)
            if match:
                self.frame_progress(float(match[1]))
        elif "Render completed" in line:
            self.set_percent(100)
        if "[ PARSER " not in line and any(word in line for word in _TRIGGERS):
            self._messages(line)
        super().parse_line(line)

    def _messages(self, line: str) -> None:
        text = line.strip().lstrip("'").strip()
        lower = text.lower()
        if "ERROR" in line:
            missing_scene = ".scn" in lower and ("not exist" in lower or "not found" in lower)
            self.error(text, fatal="licen" in lower or missing_scene)
        elif any(word in lower for word in _CRASH):
            self.error(text)
        elif "licen" in lower and ("fail" in lower or "invalid" in lower or "no " in lower):
            self.error(text, fatal=True)
        elif "WARNING" in line:
            self.warning(text)


class XsiArnoldParser(XsiParser):
    """xsi with SItoA (Arnold): ``00:00:05  1234MB  |  45% done - 12 rays/pixel`` is the
    frame's percent."""

    name = "xsi_arnold"

    def parse_line(self, line: str) -> None:
        if "% done" in line and "Rendering frame" not in line:
            match = _ARNOLD.search(line)
            if match:
                self.frame_progress(float(match[1]))
        super().parse_line(line)


class XsiRedshiftParser(XsiParser):
    """xsi with Redshift: ``Block 3/48 (2,0) rendered by GPU 0 in 15ms`` is the frame's
    percent (blocks done of all); ``Rendering frame 12...`` starts a frame (as for xsi)."""

    name = "xsi_redshift"

    def parse_line(self, line: str) -> None:
        if "rendered by GPU" in line:
            match = _BLOCK.search(line)
            if match and int(match[2]) > 0:
                self.frame_progress(int(match[1]) * 100 / int(match[2]))
        super().parse_line(line)
