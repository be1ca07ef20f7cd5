"""Maya batch rendering: the `Render` command line (one service per renderer's parser).

``Render -r <renderer> -s <first> -e <last> -b <step> [-rl layer] [-cam camera] [-proj dir]
[-rd output_dir] [-im image_name] scene.mb``. ``-b`` is Maya's "by frame" step: the block's
frames_inc, given as the option ``step`` (default 1). ``-r file`` (the default of the `maya`
service) renders with the renderer saved in the scene.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from app.services.base import ApplicationService, programs_named

RENDERERS = ("file", "sw", "hw2", "arnold", "redshift", "vray", "renderman")

_COMMON_OPTIONS = {
    "step": "the frame step, Maya's -b 'by frame' (the block's frames_inc; default 1)",
    "layer": "the render layer to render (-rl)",
    "camera": "the camera to render (-cam)",
    "project": "the Maya project directory the scene is loaded in (-proj)",
    "image": "the image file name, Maya's -im (the scene's image prefix when not given)",
}


class MayaService(ApplicationService):
    """Maya's `Render` command; the renderer is the option ``renderer`` (default ``file``: the
    one saved in the scene). The output, when given, is the image directory (``-rd``)."""

    name = "maya"
    parser = "maya"
    description = "Autodesk Maya batch render (Render -r <renderer>)"
    programs: ClassVar[Mapping[str, str]] = programs_named("Render")
    options: ClassVar[Mapping[str, str]] = {
        "renderer": f"the renderer, one of {', '.join(RENDERERS)} (default file: the scene's)",
        **_COMMON_OPTIONS,
    }
    # The renderer of the per-renderer services (None: the option renderer).
    renderer: ClassVar[str | None] = None

    scene_kind = "the scene file"

    @classmethod
    def batch_args(
        cls, scene: str, output: str, platform: str, options: Mapping[str, str]
    ) -> list[str]:
        renderer = cls.renderer or options.get("renderer") or "file"
        if renderer not in RENDERERS:
            raise ValueError(
                f"service {cls.name}: renderer must be one of {', '.join(RENDERERS)}, "
                f"not {renderer!r}"
            )
        step = cls.int_option(options, "step", 1)
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
        return args

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
        verbosity = cls.int_option(options, "verbosity", 2, minimum=0, maximum=3)
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
