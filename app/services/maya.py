"""Maya batch rendering: the `Render` command line (one service per renderer's parser).

``Render -r <renderer> -s <first> -e <last> -b <step> [-rl layer] [-cam camera] [-proj dir]
[-rd output_dir] [-im image_name] scene.mb``. ``-b`` is Maya's "by frame" step: the block's
frames_inc, given as the option ``step`` (default 1). ``-r file`` (the default of the `maya`
service) renders with the renderer saved in the scene.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from app.services.base import Service, join

RENDERERS = ("file", "sw", "hw2", "arnold", "redshift", "vray", "renderman")

_COMMON_OPTIONS = {
    "step": "the frame step, Maya's -b 'by frame' (the block's frames_inc; default 1)",
    "layer": "the render layer to render (-rl)",
    "camera": "the camera to render (-cam)",
    "project": "the Maya project directory the scene is loaded in (-proj)",
    "image": "the image file name, Maya's -im (the scene's image prefix when not given)",
}


class MayaService(Service):
    """Maya's `Render` command; the renderer is the option ``renderer`` (default ``file``: the
    one saved in the scene). The output, when given, is the image directory (``-rd``)."""

    name = "maya"
    parser = "maya"
    description = "Autodesk Maya batch render (Render -r <renderer>)"
    programs: ClassVar[Mapping[str, str]] = {
        "linux": "Render",
        "windows": "Render.exe",
        "darwin": "Render",
    }
    options: ClassVar[Mapping[str, str]] = {
        "renderer": f"the renderer, one of {', '.join(RENDERERS)} (default file: the scene's)",
        **_COMMON_OPTIONS,
    }
    # The renderer of the per-renderer services (None: the option renderer).
    renderer: ClassVar[str | None] = None

    @classmethod
    def batch_command(
        cls, scene: str = "", output: str = "", platform: str = "linux", **options: str
    ) -> str:
        cls.check_options(platform, options)
        if not scene:
            raise ValueError(f"service {cls.name}: the scene file is required")
        renderer = cls.renderer or options.get("renderer") or "file"
        if renderer not in RENDERERS:
            raise ValueError(
                f"service {cls.name}: renderer must be one of {', '.join(RENDERERS)}, "
                f"not {renderer!r}"
            )
        step = _positive_int(cls.name, options, "step", 1)
        args = [cls.program(platform), "-r", renderer, *cls.renderer_args(options)]
        args += ["-s", "@#@", "-e", "@#@", "-b", str(step)]
        for option, flag in (("layer", "-rl"), ("camera", "-cam"), ("project", "-proj")):
            if options.get(option):
                args += [flag, options[option]]
        if output:
            args += ["-rd", output]
        if options.get("image"):
            args += ["-im", options["image"]]
        args.append(scene)
        return join(args, platform)

    @classmethod
    def renderer_args(cls, options: Mapping[str, str]) -> list[str]:
        """The renderer's own flags, written after ``-r``; none here."""
        return []


class MayaArnoldService(MayaService):
    """Maya with Arnold (MtoA); ``-ai:lve`` sets the log verbosity (2: info, with the
    ``% done`` progress lines the parser reads)."""

    name = "maya_arnold"
    parser = "maya_arnold"
    description = "Autodesk Maya batch render with Arnold (Render -r arnold)"
    options: ClassVar[Mapping[str, str]] = {
        **_COMMON_OPTIONS,
        "verbosity": "Arnold's log verbosity, -ai:lve 0-3 (default 2)",
    }
    renderer = "arnold"

    @classmethod
    def renderer_args(cls, options: Mapping[str, str]) -> list[str]:
        verbosity = _positive_int(cls.name, options, "verbosity", 2, low=0)
        if verbosity > 3:
            raise ValueError(f"service {cls.name}: verbosity must be 0 to 3, not {verbosity}")
        return ["-ai:lve", str(verbosity)]


class MayaRedshiftService(MayaService):
    name = "maya_redshift"
    parser = "maya_redshift"
    description = "Autodesk Maya batch render with Redshift (Render -r redshift)"
    options: ClassVar[Mapping[str, str]] = dict(_COMMON_OPTIONS)
    renderer = "redshift"


class MayaVrayService(MayaService):
    name = "maya_vray"
    parser = "maya_vray"
    description = "Autodesk Maya batch render with V-Ray (Render -r vray)"
    options: ClassVar[Mapping[str, str]] = dict(_COMMON_OPTIONS)
    renderer = "vray"


class MayaPrmanService(MayaService):
    name = "maya_prman"
    parser = "maya_prman"
    description = "Autodesk Maya batch render with RenderMan (Render -r renderman)"
    options: ClassVar[Mapping[str, str]] = dict(_COMMON_OPTIONS)
    renderer = "renderman"


def _positive_int(service: str, options: Mapping[str, str], name: str, default: int,
                  low: int = 1) -> int:  # fmt: skip
    """An integer option (at least low), or its default when not given."""
    text = options.get(name, "")
    if text == "":
        return default
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise ValueError(f"service {service}: {name} must be an integer, not {text!r}") from None
    if value < low:
        raise ValueError(f"service {service}: {name} must be at least {low}, not {value}")
    return value
