"""Natron: ``NatronRenderer -w <writer> [<output>] <first>-<last> project.ntp``.

NatronRenderer's ``-w`` takes the Write node's script name, then optionally an output file name
and a frame range ``first-last``; several ``-w`` render several Write nodes over the same range.
A range has no step: blocks of this service use frames_inc 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from app.services.base import ApplicationService, programs_named


class NatronService(ApplicationService):
    name = "natron"
    parser = "natron"
    description = "Natron project render (NatronRenderer)"
    programs: ClassVar[Mapping[str, str]] = programs_named("NatronRenderer")
    options: ClassVar[Mapping[str, str]] = {
        "write": "the Write node(s) to render, a comma list, one -w each (required)",
    }
    scene_kind = "the project (.ntp)"

    @classmethod
    def batch_args(
        cls, scene: str, output: str, platform: str, options: Mapping[str, str]
    ) -> list[str]:
        writes = [name.strip() for name in options.get("write", "").split(",") if name.strip()]
        if not writes:
            raise ValueError("service natron: the option write (the Write node) is required")
        if output and len(writes) > 1:
            raise ValueError("service natron: an output needs a single Write node")
        args = [cls.program(platform)]
        for name in writes:
            args += ["-w", name, *([output] if output else []), "@#@-@#@"]
        args.append(scene)
        return args
