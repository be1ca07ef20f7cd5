"""Autodesk 3ds Max: ``3dsmaxcmd -start:<first> -end:<last> [-nthFrame:step] [-outputName:path]
[-camera:name] scene.max``. 3ds Max runs only on Windows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from app.services.base import ApplicationService


class MaxService(ApplicationService):
    name = "max"
    parser = "max"
    description = "Autodesk 3ds Max render (3dsmaxcmd), Windows only"
    programs: ClassVar[Mapping[str, str]] = {"windows": "3dsmaxcmd.exe"}
    options: ClassVar[Mapping[str, str]] = {
        "step": "the frame step, -nthFrame: (the block's frames_inc; default 1)",
        "camera": "the camera to render, -camera:",
        "verbosity": "3dsmaxcmd's log verbosity, -v:0-5 (default: 3dsmaxcmd's)",
    }
    scene_kind = "the scene (.max)"
    runs_on = ("windows",)
    application = "3ds Max"

    @classmethod
    def batch_args(
        cls, scene: str, output: str, platform: str, options: Mapping[str, str]
    ) -> list[str]:
        args = [cls.program(platform), "-start:@#@", "-end:@#@"]
        step = cls.int_option(options, "step", 1)
        if step > 1:
            args.append(f"-nthFrame:{step}")
        if output:
            args.append(f"-outputName:{output}")
        if options.get("camera"):
            args.append(f"-camera:{options['camera']}")
        if options.get("verbosity"):
            verbosity = cls.int_option(options, "verbosity", 0, minimum=0, maximum=5)
            args.append(f"-v:{verbosity}")
        args.append(scene)
        return args
