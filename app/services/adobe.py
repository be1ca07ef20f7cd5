"""Adobe After Effects: ``aerender -project proj.aep -comp "Comp 1" -s <first> -e <last> [-i
step] [-output path] [-RStemplate name] [-OMtemplate name] [-mp] -v ERRORS_AND_PROGRESS``.

After Effects runs on Windows (``aerender.exe``) and macOS (``aerender``, in the application's
folder); there is no Linux version.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from app.services.base import ApplicationService


class AfterEffectsService(ApplicationService):
    name = "afterfx"
    parser = "afterfx"
    description = "Adobe After Effects render of a composition (aerender)"
    programs: ClassVar[Mapping[str, str]] = {"windows": "aerender.exe", "macos": "aerender"}
    options: ClassVar[Mapping[str, str]] = {
        "comp": "the composition to render, -comp (required unless rqindex is given)",
        "rqindex": "the render queue item to render instead of a composition, -rqindex N",
        "step": "the frame step, -i (the block's frames_inc; default 1)",
        "render_settings": "the render settings template, -RStemplate",
        "output_module": "the output module template, -OMtemplate",
        "multiprocessing": "yes: render several frames at once, -mp (default no)",
    }
    scene_kind = "the project (.aep)"
    runs_on = ("windows", "macos")
    application = "After Effects"

    @classmethod
    def batch_args(
        cls, scene: str, output: str, platform: str, options: Mapping[str, str]
    ) -> list[str]:
        args = [cls.program(platform), "-project", scene]
        if options.get("comp"):
            args += ["-comp", options["comp"]]
        elif options.get("rqindex"):
            args += ["-rqindex", str(cls.int_option(options, "rqindex", 1))]
        else:
            raise ValueError("service afterfx: the option comp (or rqindex) is required")
        args += ["-s", "@#@", "-e", "@#@"]
        step = cls.int_option(options, "step", 1)
        if step > 1:
            args += ["-i", str(step)]
        if output:
            args += ["-output", output]
        for option, flag in (("render_settings", "-RStemplate"), ("output_module", "-OMtemplate")):
            if options.get(option):
                args += [flag, options[option]]
        if cls.flag_option(options, "multiprocessing"):
            args.append("-mp")
        args += ["-v", "ERRORS_AND_PROGRESS"]
        return args
