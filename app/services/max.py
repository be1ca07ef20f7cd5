"""Autodesk 3ds Max: ``3dsmaxcmd -start:<first> -end:<last> [-nthFrame:step] [-outputName:path]
[-camera:name] scene.max``. 3ds Max runs only on Windows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from app.services.base import Service, join


class MaxService(Service):
    name = "max"
    parser = "max"
    description = "Autodesk 3ds Max render (3dsmaxcmd), Windows only"
    programs: ClassVar[Mapping[str, str]] = {"windows": "3dsmaxcmd.exe"}
    options: ClassVar[Mapping[str, str]] = {
        "step": "the frame step, -nthFrame: (the block's frames_inc; default 1)",
        "camera": "the camera to render, -camera:",
        "verbosity": "3dsmaxcmd's log verbosity, -v:0-5 (default: 3dsmaxcmd's)",
    }

    @classmethod
    def batch_command(
        cls, scene: str = "", output: str = "", platform: str = "linux", **options: str
    ) -> str:
        cls.check_options(platform, options)
        if platform != "windows":
            raise ValueError("service max: 3ds Max runs only on Windows")
        if not scene:
            raise ValueError("service max: the scene (.max) is required")
        args = [cls.program(platform), "-start:@#@", "-end:@#@"]
        step = _integer(options, "step", 1)
        if step > 1:
            args.append(f"-nthFrame:{step}")
        if output:
            args.append(f"-outputName:{output}")
        if options.get("camera"):
            args.append(f"-camera:{options['camera']}")
        if options.get("verbosity"):
            verbosity = _integer(options, "verbosity", 0)
            if verbosity > 5:
                raise ValueError(f"service max: verbosity must be 0 to 5, not {verbosity}")
            args.append(f"-v:{verbosity}")
        args.append(scene)
        return join(args, platform)


def _integer(options: Mapping[str, str], name: str, low: int) -> int:
    text = options.get(name, "") or str(low)
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise ValueError(f"service max: {name} must be an integer, not {text!r}") from None
    if value < low:
        raise ValueError(f"service max: {name} must be at least {low}, not {value}")
    return value
