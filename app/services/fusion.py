"""Blackmagic Fusion: ``FusionRenderConsole comp.comp /render /start <first> /end <last> /step N
/verbose /quit``.

The flags are the documented ones of Fusion's console render node (eyeon's "Console Slave"
manual: ``[/render [/start <frame>] [/end <frame>] [/step <step>]] [/quit] [/verbose]``); they
are written with ``/`` on every platform. The Saver nodes of the comp name the output files.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from app.services.base import ApplicationService, programs_named


class FusionService(ApplicationService):
    name = "fusion"
    parser = "fusion"
    description = "Blackmagic Fusion comp render (FusionRenderConsole)"
    programs: ClassVar[Mapping[str, str]] = programs_named("FusionRenderConsole")
    options: ClassVar[Mapping[str, str]] = {
        "step": "the frame step, /step (the block's frames_inc; default 1)",
    }
    scene_kind = "the comp (.comp)"
    output_refused = "the comp's Saver nodes name the output: give none"

    @classmethod
    def batch_args(
        cls, scene: str, output: str, platform: str, options: Mapping[str, str]
    ) -> list[str]:
        step = cls.int_option(options, "step", 1)
        args = [cls.program(platform), scene, "/render", "/start", "@#@", "/end", "@#@"]
        args += ["/step", str(step), "/verbose", "/quit"]
        return args
