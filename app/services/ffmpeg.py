"""ffmpeg: a movie from an image sequence.

``ffmpeg -y -hide_banner -stats -framerate 24 -start_number <first> -i /out/f_%04d.png -c:v
libx264 -pix_fmt yuv420p [-crf N] out.mp4``. The scene is the input sequence written with ``#``
padding (``/out/f_####.png``), which becomes ffmpeg's ``%04d`` (a literal ``%`` becomes
``%%``); a name already holding a ``%d`` pattern is kept. The first image number is the option
``start_number``, by default the task's first frame (``@#@``): the block is one task over the
sequence's range (``single_output``), and a split that would write the one movie from several
tasks is refused. ``%`` is written once on Windows too: cmd /c does not double it (only .bat
files do).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import ClassVar

from app.services.base import ApplicationService, programs_named

_HASHES_RE = re.compile(r"#+")
_PRINTF_RE = re.compile(r"%0?\d*d")
_NAME_RE = re.compile(r"[\w.+-]+")  # codec and pixel format names
_NAMED = (("codec", "-c:v", "libx264"), ("pix_fmt", "-pix_fmt", "yuv420p"))


class FfmpegService(ApplicationService):
    name = "ffmpeg"
    parser = "ffmpeg"
    description = "ffmpeg movie from an image sequence"
    programs: ClassVar[Mapping[str, str]] = programs_named("ffmpeg")
    options: ClassVar[Mapping[str, str]] = {
        "fps": "the frame rate, -framerate (default 24; 23.976 or 24000/1001 style too)",
        "codec": "the video codec, -c:v (default libx264)",
        "pix_fmt": "the pixel format, -pix_fmt (default yuv420p)",
        "crf": "the constant rate factor, -crf N (default: the codec's)",
        "start_number": "the number of the first image (default @#@: the task's first frame)",
    }
    scene_kind = "the input sequence (e.g. /out/f_####.png)"
    single_output = True

    @classmethod
    def batch_args(
        cls, scene: str, output: str, platform: str, options: Mapping[str, str]
    ) -> list[str]:
        if not output:
            raise ValueError("service ffmpeg: the output movie is required")
        fps = options.get("fps") or "24"
        if not re.fullmatch(r"\d+(\.\d+)?(/\d+)?", fps) or float(fps.split("/")[0]) <= 0:
            raise ValueError(f"service ffmpeg: fps must be a positive number, not {fps!r}")
        start = options.get("start_number") or "@#@"
        if start != "@#@" and not start.isdigit():
            raise ValueError(f"service ffmpeg: start_number must be a number, not {start!r}")
        args = [cls.program(platform), "-y", "-hide_banner", "-stats", "-framerate", fps]
        args += ["-start_number", start, "-i", sequence_pattern(scene)]
        for option, flag, default in _NAMED:
            value = options.get(option) or default
            if not _NAME_RE.fullmatch(value):
                raise ValueError(f"service ffmpeg: {option} {value!r} is not a name")
            args += [flag, value]
        if options.get("crf"):
            crf = options["crf"]
            if not crf.isdigit():
                raise ValueError(f"service ffmpeg: crf must be a number, not {crf!r}")
            args += ["-crf", crf]
        args.append(output)
        return args


def sequence_pattern(path: str) -> str:
    """ffmpeg's image2 pattern of a sequence name: ``####`` becomes ``%04d``; ValueError when
    the name has neither ``#`` padding nor a ``%d`` pattern."""
    if _PRINTF_RE.search(path) and "#" not in path:
        return path
    runs = _HASHES_RE.findall(path)
    if len(runs) != 1:
        raise ValueError(
            f"service ffmpeg: the input sequence needs one run of '#' for the frame number "
            f"(e.g. /out/f_####.png), not {path!r}"
        )
    escaped = path.replace("%", "%%")
    return _HASHES_RE.sub(lambda match: f"%0{len(match.group(0))}d", escaped)
