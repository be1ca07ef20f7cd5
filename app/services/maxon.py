"""Maxon Cinema 4D: ``Commandline -nogui -render scene.c4d -frame <first> <last> [step]
[-oimage path] [-take name] [-threads N]``.

Cinema 4D's command line renderer is ``Commandline`` (``Commandline.exe`` on Windows; on macOS
``Commandline.app/Contents/MacOS/Commandline``, which a render maps to its install).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from app.services.base import Service, join


class Cinema4DService(Service):
    name = "c4d"
    parser = "c4d"
    description = "Maxon Cinema 4D render (Commandline -nogui -render)"
    programs: ClassVar[Mapping[str, str]] = {
        "linux": "Commandline",
        "windows": "Commandline.exe",
        "darwin": "Commandline",
    }
    options: ClassVar[Mapping[str, str]] = {
        "step": "the frame step, the third -frame value (the block's frames_inc; default 1)",
        "take": "the take to render, -take",
        "threads": "the render threads, -threads N (default: all cores)",
    }

    @classmethod
    def batch_command(
        cls, scene: str = "", output: str = "", platform: str = "linux", **options: str
    ) -> str:
        cls.check_options(platform, options)
        if not scene:
            raise ValueError("service c4d: the scene (.c4d) is required")
        args = [cls.program(platform), "-nogui", "-render", scene, "-frame", "@#@", "@#@"]
        step = _integer(options, "step")
        if step > 1:
            args.append(str(step))
        if output:
            args += ["-oimage", output]
        if options.get("take"):
            args += ["-take", options["take"]]
        if options.get("threads"):
            args += ["-threads", str(_integer(options, "threads"))]
        return join(args, platform)


def _integer(options: Mapping[str, str], name: str) -> int:
    text = options.get(name, "") or "1"
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise ValueError(f"service c4d: {name} must be an integer, not {text!r}") from None
    if value < 1:
        raise ValueError(f"service c4d: {name} must be at least 1, not {value}")
    return value
