"""Autodesk Softimage (XSI): ``xsibatch -render scene.scn -frames <first>,<last>,<step> [-pass
name] [-output_dir dir]``. Softimage ran on Windows (``xsibatch.bat``) and Linux; never on
macOS."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from app.services.base import ApplicationService


class XsiService(ApplicationService):
    name = "xsi"
    parser = "xsi"
    description = "Autodesk Softimage batch render (xsibatch -render)"
    programs: ClassVar[Mapping[str, str]] = {"linux": "xsibatch", "windows": "xsibatch.bat"}
    options: ClassVar[Mapping[str, str]] = {
        "step": "the frame step, the third -frames value (the block's frames_inc; default 1)",
        "pass": "the render pass to render, -pass (default: the current pass)",
    }
    scene_kind = "the scene (.scn)"
    runs_on = ("windows", "linux")
    application = "Softimage"

    @classmethod
    def batch_args(
        cls, scene: str, output: str, platform: str, options: Mapping[str, str]
    ) -> list[str]:
        step = cls.int_option(options, "step", 1)
        args = [cls.program(platform), "-render", scene, "-frames", f"@#@,@#@,{step}"]
        if options.get("pass"):
            args += ["-pass", options["pass"]]
        if output:
            args += ["-output_dir", output]
        return args


class XsiArnoldService(XsiService):
    name = "xsi_arnold"
    parser = "xsi_arnold"
    description = "Autodesk Softimage batch render with Arnold (SItoA)"


class XsiRedshiftService(XsiService):
    name = "xsi_redshift"
    parser = "xsi_redshift"
    description = "Autodesk Softimage batch render with Redshift"
