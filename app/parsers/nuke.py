"""Nuke (``nuke -x`` / ``-F`` renders)."""

from __future__ import annotations

import re

from app.parsers.failures import is_failure
from app.parsers.generic import GenericParser

# "Writing /out/comp.0005.exr took 0.44 seconds" (Nuke >= 13); older builds print the file and
# then progress dots with the tens of the frame's percent: "Writing /out/comp.0005.exr .1.2.3"
_WRITING = re.compile(
    r"^\s*Writing (.+?)(?:\s+took\s+(\d+(?:\.\d*)?)\s+seconds?|\s+((?:\.\d)+)\.?)?\s*$"
)
_FILE_FRAME = re.compile(r"[._](-?\d+)\.\w+$")
_FRAME_OF = re.compile(r"^\s*Frame\s+(-?\d+)\s+\((\d+)\s+of\s+(\d+)\)")
_TOTAL = re.compile(r"Total render time:\s*(\d+(?:\.\d*)?)\s*seconds?")
_VIEW = re.compile(r'EXECUTING VIEW\s+"([^"]*)"')
_LICENCE = re.compile(
    r"licen[cs]e.*(?:could not|couldn't|unable|not available|failed|invalid|expired|error)"
    r"|(?:could not get|no|unable to get|failed to get|invalid) (?:a )?licen[cs]e"
    r"|\[FLEXlm\]|RLM.*(?:error|denied)",
    re.IGNORECASE,
)
# Cheap checks first: a line with none of these words holds no error.
_TRIGGERS = (
    "rror",
    "RROR",
    "icen",
    "fault",
    "emory",
    "bad_alloc",
    "No such file",
    "failed",
    "FLEXlm",
    "RLM",
    "open",
)
_ERRORS = (
    "Segmentation fault",
    "Worker process failed",
    "Node execution error",
    "out of memory",
    "Out of memory",
    "std::bad_alloc",
    "Cache Memory exhausted",
    "Can't open",
    "Cannot open",
    "failed to open",
)


class NukeParser(GenericParser):
    """``Frame 5 (5 of 10)`` starts a frame, ``Writing <file> took N seconds`` ends it (the
    frame is the file name's frame number; without one, each new file name is the next frame)
    and adds the file; the progress dots of older builds give the frame's percent;
    ``EXECUTING VIEW "left"`` is the activity; ``Total render time`` ends the task. Errors:
    ``ERROR:`` lines, ``Worker process failed``, crashes, Python tracebacks, out of memory;
    licence failures and a missing script (``comp.nk: No such file or directory``) are fatal."""

    name = "nuke"

    def __init__(self, frame_start: int = 0, frame_end: int = 0, frames_inc: int = 1) -> None:
        super().__init__(frame_start, frame_end, frames_inc)
        self._last_file = ""

    def parse_line(self, line: str) -> None:
        if "Writing " in line:
            self._writing(line)
        elif "Frame " in line and " of " in line:
            match = _FRAME_OF.match(line)
            if match:
                self.set_frame(int(match[1]))
                self.frame_progress(0)
        elif "Total render time" in line:
            match = _TOTAL.search(line)
            if match:
                self.note_resource("render_time_s", float(match[1]))
                self.set_percent(100)
        elif "EXECUTING VIEW" in line:
            match = _VIEW.search(line)
            if match:
                self.activity = f"view {match[1]}"
        if any(word in line for word in _TRIGGERS):
            self._errors(line)
        elif is_failure(line):
            self.error(line.strip())
        super().parse_line(line)

    def _writing(self, line: str) -> None:
        match = _WRITING.match(line)
        if not match:
            return
        path = match[1].strip()
        number = _FILE_FRAME.search(path)
        low, high = sorted((self.frame_start, self.frame_end))
        if number and low <= int(number[1]) <= high:
            self.set_frame(int(number[1]))
        elif self.frame is None:
            self.frame = 0
        elif self._last_file and path != self._last_file:
            self.frame = min(self.frames - 1, self.frame + 1)
        self._last_file = path
        if match[2] is not None:  # "took N seconds": the file is written
            self.add_file(path)
            self.frame_progress(100)
        elif match[3]:  # ".1.2.3": tens of the frame's percent
            self.frame_progress(int(match[3][-1]) * 10)

    def _errors(self, line: str) -> None:
        text = line.strip()
        if _LICENCE.search(line):
            self.error(text, fatal=True)
        elif "No such file or directory" in line:
            # the script itself is missing: nothing to retry; a missing input is an error
            self.error(text, fatal=".nk:" in line or line.rstrip().endswith(".nk"))
        elif (
            text.upper().startswith("ERROR")
            or any(word in line for word in _ERRORS)
            or is_failure(line)
        ):
            self.error(text)
