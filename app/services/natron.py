"""Natron: ``NatronRenderer -w <writer> [<output>] <first>-<last> project.ntp``.

NatronRenderer's ``-w`` takes the Write node's script name, then optionally an output file name
and a frame range ``first-last``; several ``-w`` render several Write nodes over the same range.
A range has no step: blocks of this service use frames_inc 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from app.services.base import Service, join


class NatronService(Service):
    name = "natron"
    parser = "natron"
    description = "Natron project render (NatronRenderer)"
    programs: ClassVar[Mapping[str, str]] = {
        "linux": "NatronRenderer",
        "windows": "NatronRenderer.exe",
        "darwin": "NatronRenderer",
    }
    options: ClassVar[Mapping[str, str]] = {
        "write": "the Write node(s) to render, a comma list, one -w each (required)",
    }

    @classmethod
    def batch_command(
        cls, scene: str = "", output: str = "", platform: str = "linux", **options: str
    ) -> str:
        cls.check_options(platform, options)
        if not scene:
            raise ValueError("service natron: the project (.ntp) is required")
        writes = [name.strip() for name in options.get("write", "").split(",") if name.strip()]
        if not writes:
            raise ValueError("service natron: the option write (the Write node) is required")
        if output and len(writes) > 1:
            raise ValueError("service natron: an output needs a single Write node")
        args = [cls.program(platform)]
        for name in writes:
            args += ["-w", name, *([output] if output else []), "@#@-@#@"]
        args.append(scene)
        return join(args, platform)
