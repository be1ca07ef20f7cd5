"""Nuke: ``nuke [-i] [--gpu] [-m threads] -F first-last[xstep] -X Write1 [-X Write2] -x
script.nk``.

Real installs name the program by version (``Nuke15.1``, ``Nuke15.1.exe``): the block says
``nuke``/``Nuke.exe`` and each render maps it to its install (``--program nuke=...``). Nuke takes
its output paths from the Write nodes, so the service takes no output.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from app.services.base import Service, join

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


class NukeService(Service):
    name = "nuke"
    parser = "nuke"
    description = "Foundry Nuke script render (nuke -x)"
    programs: ClassVar[Mapping[str, str]] = {
        "linux": "nuke",
        "windows": "Nuke.exe",
        "darwin": "nuke",
    }
    options: ClassVar[Mapping[str, str]] = {
        "write": "the Write node(s) to render, a comma list, one -X each (default: all)",
        "step": "the frame step, -F first-lastxSTEP (the block's frames_inc; default 1)",
        "threads": "the render threads, -m N (default: Nuke's, all cores)",
        "interactive_licence": "yes: use an interactive (nuke_i) licence, -i (default no)",
        "gpu": "yes: let nodes use the GPU, --gpu (default no)",
    }

    @classmethod
    def batch_command(
        cls, scene: str = "", output: str = "", platform: str = "linux", **options: str
    ) -> str:
        cls.check_options(platform, options)
        if not scene:
            raise ValueError("service nuke: the script (.nk) is required")
        if output:
            raise ValueError("service nuke: the output is the Write nodes' file: give no output")
        args = [cls.program(platform)]
        if _flag(options, "interactive_licence"):
            args.append("-i")
        if _flag(options, "gpu"):
            args.append("--gpu")
        threads = _integer(options, "threads")
        if threads is not None:
            args += ["-m", str(threads)]
        step = _integer(options, "step") or 1
        args += ["-F", "@#@-@#@" + (f"x{step}" if step > 1 else "")]
        writes = [name.strip() for name in options.get("write", "").split(",")]
        for name in writes:
            if name:
                args += ["-X", name]
        args += ["-x", scene]
        return join(args, platform)


def _flag(options: Mapping[str, str], name: str) -> bool:
    text = str(options.get(name, "")).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"service nuke: {name} must be yes or no, not {options[name]!r}")


def _integer(options: Mapping[str, str], name: str) -> int | None:
    text = options.get(name, "")
    if text == "":
        return None
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise ValueError(f"service nuke: {name} must be an integer, not {text!r}") from None
    if value < 1:
        raise ValueError(f"service nuke: {name} must be at least 1, not {value}")
    return value
