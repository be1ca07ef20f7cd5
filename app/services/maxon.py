"""Maxon Cinema 4D: ``Commandline -nogui -render scene.c4d -frame <first> <last> [step]
[-oimage path] [-take name] [-threads N]``.

Cinema 4D's command line renderer is ``Commandline`` (``Commandline.exe`` on Windows; on macOS
``Commandline.app/Contents/MacOS/Commandline``, which a render maps to its install).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from app.services.base import ApplicationService, programs_named


class Cinema4DService(ApplicationService):
    name = "c4d"
    parser = "c4d"
    description = "Maxon Cinema 4D render (Commandline -nogui -render)"
    programs: ClassVar[Mapping[str, str]] = programs_named("Commandline")
    options: ClassVar[Mapping[str, str]] = {
        "step": "the frame step, the third -frame value (the block's frames_inc; default 1)",
        "take": "the take to render, -take",
        "threads": "the render threads, -threads N (default: all cores)",
    }
    scene_kind = "the scene (.c4d)"

    @classmethod
    def batch_args(
        cls, scene: str, output: str, platform: str, options: Mapping[str, str]
    ) -> list[str]:
        args = [cls.program(platform), "-nogui", "-render", scene, "-frame", "@#@", "@#@"]
        step = cls.int_option(options, "step", 1)
        if step > 1:
            args.append(str(step))
        if output:
            args += ["-oimage", output]
        if options.get("take"):
            args += ["-take", options["take"]]
        if options.get("threads"):
            args += ["-threads", str(cls.int_option(options, "threads", 1))]
        return args
