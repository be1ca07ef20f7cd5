"""Blackmagic Fusion: ``FusionRenderConsole comp.comp /render /start <first> /end <last> /step N
/verbose /quit``.

The flags are the documented ones of Fusion's console render node (eyeon's "Console Slave"
manual: ``[/render [/start <frame>] [/end <frame>] [/step <step>]] [/quit] [/verbose]``); they
are written with ``/`` on every platform. The Saver nodes of the comp name the output files.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from app.services.base import Service, join


class FusionService(Service):
    name = "fusion"
    parser = "fusion"
    description = "Blackmagic Fusion comp render (FusionRenderConsole)"
    programs: ClassVar[Mapping[str, str]] = {
        "linux": "FusionRenderConsole",
        "windows": "FusionRenderConsole.exe",
        "darwin": "FusionRenderConsole",
    }
    options: ClassVar[Mapping[str, str]] = {
        "step": "the frame step, /step (the block's frames_inc; default 1)",
    }

    @classmethod
    def batch_command(
        cls, scene: str = "", output: str = "", platform: str = "linux", **options: str
    ) -> str:
        cls.check_options(platform, options)
        if not scene:
            raise ValueError("service fusion: the comp (.comp) is required")
        if output:
            raise ValueError("service fusion: the comp's Saver nodes name the output: give none")
        text = options.get("step", "") or "1"
        try:
            step = int(text)
        except (TypeError, ValueError):
            raise ValueError(f"service fusion: step must be an integer, not {text!r}") from None
        if step < 1:
            raise ValueError(f"service fusion: step must be at least 1, not {step}")
        args = [cls.program(platform), scene, "/render", "/start", "@#@", "/end", "@#@"]
        args += ["/step", str(step), "/verbose", "/quit"]
        return join(args, platform)
