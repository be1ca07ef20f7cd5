"""Adobe After Effects: ``aerender -project proj.aep -comp "Comp 1" -s <first> -e <last> [-i
step] [-output path] [-RStemplate name] [-OMtemplate name] [-mp] -v ERRORS_AND_PROGRESS``.

After Effects runs on Windows (``aerender.exe``) and macOS (``aerender``, in the application's
folder); there is no Linux version.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from app.services.base import Service, join

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


class AfterEffectsService(Service):
    name = "afterfx"
    parser = "afterfx"
    description = "Adobe After Effects render of a composition (aerender)"
    programs: ClassVar[Mapping[str, str]] = {"windows": "aerender.exe", "darwin": "aerender"}
    options: ClassVar[Mapping[str, str]] = {
        "comp": "the composition to render, -comp (required unless rqindex is given)",
        "rqindex": "the render queue item to render instead of a composition, -rqindex N",
        "step": "the frame step, -i (the block's frames_inc; default 1)",
        "render_settings": "the render settings template, -RStemplate",
        "output_module": "the output module template, -OMtemplate",
        "multiprocessing": "yes: render several frames at once, -mp (default no)",
    }

    @classmethod
    def batch_command(
        cls, scene: str = "", output: str = "", platform: str = "linux", **options: str
    ) -> str:
        cls.check_options(platform, options)
        if platform == "linux":
            raise ValueError("service afterfx: After Effects runs only on Windows and macOS")
        if not scene:
            raise ValueError("service afterfx: the project (.aep) is required")
        args = [cls.program(platform), "-project", scene]
        if options.get("comp"):
            args += ["-comp", options["comp"]]
        elif options.get("rqindex"):
            args += ["-rqindex", str(_integer(options, "rqindex"))]
        else:
            raise ValueError("service afterfx: the option comp (or rqindex) is required")
        args += ["-s", "@#@", "-e", "@#@"]
        step = _integer(options, "step")
        if step > 1:
            args += ["-i", str(step)]
        if output:
            args += ["-output", output]
        for option, flag in (("render_settings", "-RStemplate"), ("output_module", "-OMtemplate")):
            if options.get(option):
                args += [flag, options[option]]
        if _flag(options, "multiprocessing"):
            args.append("-mp")
        args += ["-v", "ERRORS_AND_PROGRESS"]
        return join(args, platform)


def _integer(options: Mapping[str, str], name: str) -> int:
    text = options.get(name, "") or "1"
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise ValueError(f"service afterfx: {name} must be an integer, not {text!r}") from None
    if value < 1:
        raise ValueError(f"service afterfx: {name} must be at least 1, not {value}")
    return value


def _flag(options: Mapping[str, str], name: str) -> bool:
    text = str(options.get(name, "")).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"service afterfx: {name} must be yes or no, not {options[name]!r}")
