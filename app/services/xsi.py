"""Autodesk Softimage (XSI): ``xsibatch -render scene.scn -frames <first>,<last>,<step> [-pass
name] [-output_dir dir]``. Softimage ran on Windows (``xsibatch.bat``) and Linux; never on
macOS."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from app.services.base import Service, join


class XsiService(Service):
    name = "xsi"
    parser = "xsi"
    description = "Autodesk Softimage batch render (xsibatch -render)"
    programs: ClassVar[Mapping[str, str]] = {"linux": "xsibatch", "windows": "xsibatch.bat"}
    options: ClassVar[Mapping[str, str]] = {
        "step": "the frame step, the third -frames value (the block's frames_inc; default 1)",
        "pass": "the render pass to render, -pass (default: the current pass)",
    }

    @classmethod
    def batch_command(
        cls, scene: str = "", output: str = "", platform: str = "linux", **options: str
    ) -> str:
        cls.check_options(platform, options)
        if platform == "darwin":
            raise ValueError(f"service {cls.name}: Softimage runs only on Windows and Linux")
        if not scene:
            raise ValueError(f"service {cls.name}: the scene (.scn) is required")
        text = options.get("step", "") or "1"
        try:
            step = int(text)
        except (TypeError, ValueError):
            raise ValueError(f"service {cls.name}: step must be an integer, not {text!r}") from None
        if step < 1:
            raise ValueError(f"service {cls.name}: step must be at least 1, not {step}")
        args = [cls.program(platform), "-render", scene, "-frames", f"@#@,@#@,{step}"]
        if options.get("pass"):
            args += ["-pass", options["pass"]]
        if output:
            args += ["-output_dir", output]
        return join(args, platform)


class XsiArnoldService(XsiService):
    name = "xsi_arnold"
    parser = "xsi_arnold"
    description = "Autodesk Softimage batch render with Arnold (SItoA)"


class XsiRedshiftService(XsiService):
    name = "xsi_redshift"
    parser = "xsi_redshift"
    description = "Autodesk Softimage batch render with Redshift"
