"""Nuke: ``nuke [-i] [--gpu] [-m threads] [--view left,right] -F first-last[xstep] -X Write1
[-X Write2] -x script.nk``.

Real installs name the program by version (``Nuke15.1``, ``Nuke15.1.exe``): the block says
``nuke``/``Nuke.exe`` and each render maps it to its install (``--program nuke=...``). Nuke takes
its output paths from the Write nodes, so the service takes no output.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from app.services.base import ApplicationService, programs_named


class NukeService(ApplicationService):
    name = "nuke"
    parser = "nuke"
    description = "Foundry Nuke script render (nuke -x)"
    programs: ClassVar[Mapping[str, str]] = programs_named("nuke", "Nuke.exe")
    options: ClassVar[Mapping[str, str]] = {
        "write": "the Write node(s) to render, a comma list, one -X each (default: all)",
        "step": "the frame step, -F first-lastxSTEP (the block's frames_inc; default 1)",
        "threads": "the render threads, -m N (default: Nuke's, all cores)",
        "interactive_licence": "yes: use an interactive (nuke_i) licence, -i (default no)",
        "gpu": "yes: let nodes use the GPU, --gpu (default no)",
        "views": "the views to render, a comma list, --view (default: the Write nodes' own)",
    }
    scene_kind = "the script (.nk)"
    output_refused = "the output is the Write nodes' file: give no output"

    @classmethod
    def batch_args(
        cls, scene: str, output: str, platform: str, options: Mapping[str, str]
    ) -> list[str]:
        args = [cls.program(platform)]
        if cls.flag_option(options, "interactive_licence"):
            args.append("-i")
        if cls.flag_option(options, "gpu"):
            args.append("--gpu")
        if options.get("threads"):
            args += ["-m", str(cls.int_option(options, "threads", 1))]
        views = ",".join(
            view.strip() for view in options.get("views", "").split(",") if view.strip()
        )
        if views:
            args += ["--view", views]
        step = cls.int_option(options, "step", 1)
        args += ["-F", "@#@-@#@" + (f"x{step}" if step > 1 else "")]
        writes = [name.strip() for name in options.get("write", "").split(",")]
        for name in writes:
            if name:
                args += ["-X", name]
        args += ["-x", scene]
        return args
