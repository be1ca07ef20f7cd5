"""ffmpeg: percent from ``frame=``/``time=`` progress lines, output files, errors."""

from __future__ import annotations

import re

from app.parsers.failures import is_failure
from app.parsers.generic import GenericParser

_DURATION = re.compile(r"^\s*Duration:\s*(\d+):(\d\d):(\d\d(?:\.\d+)?)")
_FPS = re.compile(r"Video:.*?,\s*(\d+(?:\.\d+)?)\s*fps\b")
_OUTPUT = re.compile(r"^[\"']?Output #\d+,\s*[^,]+,\s*to '(.*)':[\"']?\s*$")  # wrappers may quote
_FRAME = re.compile(r"\bframe=\s*(\d+)")
_EMPTY = re.compile(r"Lsize=\s*0\s*[kKmM]?i?B\b")  # nothing was written: not the end of a render
_TIME = re.compile(r"\btime=\s*(-?)(\d+):(\d\d):(\d\d(?:\.\d+)?)")

# Lines after which retrying the task cannot help (a file or an option the command names).
_FATAL = (
    "No such file or directory",
    "Unrecognized option",
    "Error splitting the argument list",
    "Unknown encoder",
    "Unknown decoder",
    "Requested output format",  # "... is not a suitable output format"
    "Permission denied",
)
_ERRORS = (
    "Invalid argument",
    "Invalid data found when processing input",
    "Error opening input",
    "Error opening output",
    "Error while opening encoder",
    "Impossible to open",
    "Conversion failed!",
)


def _seconds(hours: str, minutes: str, seconds: str) -> float:
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


class FfmpegParser(GenericParser):
    """``Duration: 00:00:04.00`` of the first input and ``time=00:00:01.50`` give the percent;
    so does ``frame=   12`` over the task's frame count (an image sequence spread over the
    task's frames) or over the input's frame count (duration × fps). ``Output #0, mp4, to
    'out.mp4':`` is an output file; ``Output file is empty`` is a bad result. A missing file or
    a bad option is fatal; other failures (``Conversion failed!``, ``Invalid argument``) are
    errors; other ``invalid`` lines and ``deprecated pixel format`` are warnings."""

    name = "ffmpeg"

    def __init__(self, frame_start: int = 0, frame_end: int = 0, frames_inc: int = 1) -> None:
        super().__init__(frame_start, frame_end, frames_inc)
        self._duration = 0.0  # seconds, of the first input
        self._fps = 0.0  # of the first input's first video stream
        self._inputs_done = False  # an Output # section began: later streams are not inputs
        self._encoded = False  # a progress line counted some frames or time

    def parse_line(self, line: str) -> None:
        if "frame=" in line or "time=" in line:
            self._progress(line)  # the frequent lines: nothing else to look for in them
        else:
            if not self._inputs_done:
                self._input(line)
            if "Output #" in line:
                match = _OUTPUT.match(line)
                if match:
                    self._inputs_done = True
                    self.add_file(match[1])
            if "[ PARSER " not in line:  # Afanasy's markers: the generic parser's
                self._messages(line)
        super().parse_line(line)

    def _input(self, line: str) -> None:
        if "Duration:" in line and not self._duration:
            match = _DURATION.match(line)
            if match:
                self._duration = _seconds(match[1], match[2], match[3])
        elif "Video:" in line and not self._fps and "fps" in line:
            match = _FPS.search(line)
            if match:
                self._fps = float(match[1])

    def _progress(self, line: str) -> None:
        estimates = []
        match = _FRAME.search(line)
        if match:
            done = int(match[1])
            if self.frames > 1:
                estimates.append(done * 100 / self.frames)
                if done:
                    self.set_frame(self.frame_start + (done - 1) * self.frames_inc)
            elif self._duration and self._fps:
                estimates.append(done * 100 / (self._duration * self._fps))
            self._encoded = self._encoded or done > 0
        match = _TIME.search(line)
        if match and not match[1]:
            elapsed = _seconds(match[2], match[3], match[4])
            if self._duration:
                estimates.append(elapsed * 100 / self._duration)
            self._encoded = self._encoded or elapsed > 0
        if "Lsize=" in line and self._encoded and not _EMPTY.search(line):
            estimates.append(100)  # the last statistics line: all was written
        if estimates:
            self.set_percent(max(max(estimates), self.percent or 0))

    def _messages(self, line: str) -> None:
        text = line.strip()
        if "Output file is empty" in line:
            self.bad_result = True
            self.warning(text)
            return
        if "deprecated pixel format" in line:
            self.warning(text)
            return
        for pattern in _FATAL:
            if pattern in line:
                self.error(text, fatal=True)
                return
        for pattern in _ERRORS:
            if pattern in line:
                self.error(text)
                return
        if is_failure(line):  # a crash, or the wrapper's "ERROR! Failed to ..."
            self.error(text)
            return
        if "invalid" in line.lower():
            self.warning(text)
