"""Standalone renderers reading scene files exported per frame: Arnold's kick, V-Ray, Redshift
and RenderMan's prman.

kick, redshiftCmdLine and prman render one exported file each, so their blocks have one frame
per task and the scene name carries the frame: a ``####`` run (or an ``@####@`` token) becomes
the task's frame number. V-Ray standalone renders a frame range of one .vrscene itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import ClassVar

from app.services.base import Service, join

_HASHES_RE = re.compile(r"#+")
_TOKEN_RE = re.compile(r"@#+@")


def frame_tokens(path: str) -> str:
    """A file name with its ``####`` runs written as ``@####@`` tokens (the task's first frame),
    unless it holds tokens already."""
    if _TOKEN_RE.search(path):
        return path
    return _HASHES_RE.sub(lambda match: f"@{match.group(0)}@", path)


class ArnoldService(Service):
    """Arnold's kick: ``kick -i scene.@####@.ass -dw -dp -nstdin -v 2 [-t N] [-o image]`` (no
    window, no progressive passes, stdin ignored)."""

    name = "arnold"
    parser = "arnold"
    description = "Autodesk Arnold standalone render of .ass files (kick), one frame per task"
    programs: ClassVar[Mapping[str, str]] = {
        "linux": "kick",
        "windows": "kick.exe",
        "darwin": "kick",
    }
    options: ClassVar[Mapping[str, str]] = {
        "verbosity": "kick's log verbosity, -v 0-6 (default 2: with progress)",
        "threads": "the render threads, -t N (default: all cores)",
    }

    @classmethod
    def batch_command(
        cls, scene: str = "", output: str = "", platform: str = "linux", **options: str
    ) -> str:
        cls.check_options(platform, options)
        if not scene:
            raise ValueError("service arnold: the .ass file (e.g. /ass/shot.####.ass) is required")
        verbosity = _integer(cls.name, options, "verbosity", 2, low=0, high=6)
        args = [cls.program(platform), "-i", frame_tokens(scene), "-dw", "-dp", "-nstdin"]
        args += ["-v", str(verbosity)]
        if options.get("threads"):
            args += ["-t", str(_integer(cls.name, options, "threads", 0))]
        if output:
            args += ["-o", frame_tokens(output)]
        return join(args, platform)


class VrayService(Service):
    """V-Ray standalone: ``vray -sceneFile=scene.vrscene -frames=<first>-<last> -display=0
    -autoClose=1 -progressUseColor=0 -progressUseCR=0 [-imgFile=image] [-numThreads=N]``
    (progress on lines of their own, no colours, for the parser)."""

    name = "vray"
    parser = "vray"
    description = "Chaos V-Ray standalone render of a .vrscene"
    programs: ClassVar[Mapping[str, str]] = {
        "linux": "vray",
        "windows": "vray.exe",
        "darwin": "vray",
    }
    options: ClassVar[Mapping[str, str]] = {
        "threads": "the render threads, -numThreads=N (default: all cores)",
    }

    @classmethod
    def batch_command(
        cls, scene: str = "", output: str = "", platform: str = "linux", **options: str
    ) -> str:
        cls.check_options(platform, options)
        if not scene:
            raise ValueError("service vray: the .vrscene file is required")
        args = [cls.program(platform), f"-sceneFile={scene}", "-frames=@#@-@#@"]
        args += ["-display=0", "-autoClose=1", "-progressUseColor=0", "-progressUseCR=0"]
        if output:
            args.append(f"-imgFile={output}")
        if options.get("threads"):
            args.append(f"-numThreads={_integer(cls.name, options, 'threads', 0)}")
        return join(args, platform)


class RedshiftService(Service):
    """Redshift's command line: ``redshiftCmdLine scene.@####@.rs [-oip image_dir] [-gpu N
    ...]``."""

    name = "redshift"
    parser = "redshift"
    description = "Maxon Redshift standalone render of .rs files, one frame per task"
    programs: ClassVar[Mapping[str, str]] = {
        "linux": "redshiftCmdLine",
        "windows": "redshiftCmdLine.exe",
        "darwin": "redshiftCmdLine",
    }
    options: ClassVar[Mapping[str, str]] = {
        "gpus": "the GPU ordinals to render on, a comma list, one -gpu each (default: all)",
    }

    @classmethod
    def batch_command(
        cls, scene: str = "", output: str = "", platform: str = "linux", **options: str
    ) -> str:
        cls.check_options(platform, options)
        if not scene:
            raise ValueError("service redshift: the .rs file (e.g. /rs/shot.####.rs) is required")
        args = [cls.program(platform), frame_tokens(scene)]
        if output:
            args += ["-oip", output]
        for gpu in (part.strip() for part in options.get("gpus", "").split(",")):
            if gpu:
                if not gpu.isdigit():
                    raise ValueError(f"service redshift: gpus must be numbers, not {gpu!r}")
                args += ["-gpu", gpu]
        return join(args, platform)


class PrmanService(Service):
    """RenderMan: ``prman -Progress [-t:N] scene.@####@.rib``; the RIB names its images."""

    name = "prman"
    parser = "prman"
    description = "Pixar RenderMan render of .rib files (prman), one frame per task"
    programs: ClassVar[Mapping[str, str]] = {
        "linux": "prman",
        "windows": "prman.exe",
        "darwin": "prman",
    }
    options: ClassVar[Mapping[str, str]] = {
        "threads": "the render threads, -t:N (default: all cores)",
    }

    @classmethod
    def batch_command(
        cls, scene: str = "", output: str = "", platform: str = "linux", **options: str
    ) -> str:
        cls.check_options(platform, options)
        if not scene:
            raise ValueError("service prman: the .rib file (e.g. /rib/shot.####.rib) is required")
        if output:
            raise ValueError("service prman: the RIB names its images: give no output")
        args = [cls.program(platform), "-Progress"]
        if options.get("threads"):
            args.append(f"-t:{_integer(cls.name, options, 'threads', 0)}")
        args.append(frame_tokens(scene))
        return join(args, platform)


def _integer(service: str, options: Mapping[str, str], name: str, default: int,
             low: int = 1, high: int | None = None) -> int:  # fmt: skip
    text = options.get(name, "")
    if text == "":
        return default
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise ValueError(f"service {service}: {name} must be an integer, not {text!r}") from None
    if value < low or (high is not None and value > high):
        bounds = f"{low} to {high}" if high is not None else f"at least {low}"
        raise ValueError(f"service {service}: {name} must be {bounds}, not {value}")
    return value
