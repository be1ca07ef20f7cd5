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

from app.services.base import ApplicationService, programs_named

_HASHES_RE = re.compile(r"#+")
_TOKEN_RE = re.compile(r"@#+@")


def frame_tokens(path: str) -> str:
    """A file name with its ``####`` runs written as ``@####@`` tokens (the task's first frame),
    unless it holds tokens already."""
    if _TOKEN_RE.search(path):
        return path
    return _HASHES_RE.sub(lambda match: f"@{match.group(0)}@", path)


class ArnoldService(ApplicationService):
    """Arnold's kick: ``kick -i scene.@####@.ass -dw -dp -nstdin -v 2 [-t N] [-o image]`` (no
    window, no progressive passes, stdin ignored)."""

    name = "arnold"
    parser = "arnold"
    description = "Autodesk Arnold standalone render of .ass files (kick), one frame per task"
    programs: ClassVar[Mapping[str, str]] = programs_named("kick")
    options: ClassVar[Mapping[str, str]] = {
        "verbosity": "kick's log verbosity, -v 0-6 (default 2: with progress)",
        "threads": "the render threads, -t N (default: all cores)",
    }
    scene_kind = "the .ass file (e.g. /ass/shot.####.ass)"

    @classmethod
    def batch_args(
        cls, scene: str, output: str, platform: str, options: Mapping[str, str]
    ) -> list[str]:
        verbosity = cls.int_option(options, "verbosity", 2, minimum=0, maximum=6)
        args = [cls.program(platform), "-i", frame_tokens(scene), "-dw", "-dp", "-nstdin"]
        args += ["-v", str(verbosity)]
        if options.get("threads"):
            args += ["-t", str(cls.int_option(options, "threads", 0))]
        if output:
            args += ["-o", frame_tokens(output)]
        return args


class VrayService(ApplicationService):
    """V-Ray standalone: ``vray -sceneFile=scene.vrscene -frames=<first>-<last> -display=0
    -autoClose=1 -progressUseColor=0 -progressUseCR=0 [-imgFile=image] [-numThreads=N]``
    (progress on lines of their own, no colours, for the parser)."""

    name = "vray"
    parser = "vray"
    description = "Chaos V-Ray standalone render of a .vrscene"
    programs: ClassVar[Mapping[str, str]] = programs_named("vray")
    options: ClassVar[Mapping[str, str]] = {
        "threads": "the render threads, -numThreads=N (default: all cores)",
    }
    scene_kind = "the .vrscene file"

    @classmethod
    def batch_args(
        cls, scene: str, output: str, platform: str, options: Mapping[str, str]
    ) -> list[str]:
        args = [cls.program(platform), f"-sceneFile={scene}", "-frames=@#@-@#@"]
        args += ["-display=0", "-autoClose=1", "-progressUseColor=0", "-progressUseCR=0"]
        if output:
            args.append(f"-imgFile={output}")
        if options.get("threads"):
            args.append(f"-numThreads={cls.int_option(options, 'threads', 0)}")
        return args


class RedshiftService(ApplicationService):
    """Redshift's command line: ``redshiftCmdLine scene.@####@.rs [-oip image_dir] [-gpu N
    ...]``."""

    name = "redshift"
    parser = "redshift"
    description = "Maxon Redshift standalone render of .rs files, one frame per task"
    programs: ClassVar[Mapping[str, str]] = programs_named("redshiftCmdLine")
    options: ClassVar[Mapping[str, str]] = {
        "gpus": "the GPU ordinals to render on, a comma list, one -gpu each (default: all)",
    }
    scene_kind = "the .rs file (e.g. /rs/shot.####.rs)"

    @classmethod
    def batch_args(
        cls, scene: str, output: str, platform: str, options: Mapping[str, str]
    ) -> list[str]:
        args = [cls.program(platform), frame_tokens(scene)]
        if output:
            args += ["-oip", output]
        for gpu in (part.strip() for part in options.get("gpus", "").split(",")):
            if gpu:
                if not gpu.isdigit():
                    raise ValueError(f"service redshift: gpus must be numbers, not {gpu!r}")
                args += ["-gpu", gpu]
        return args


class PrmanService(ApplicationService):
    """RenderMan: ``prman -Progress [-t:N] scene.@####@.rib``; the RIB names its images."""

    name = "prman"
    parser = "prman"
    description = "Pixar RenderMan render of .rib files (prman), one frame per task"
    programs: ClassVar[Mapping[str, str]] = programs_named("prman")
    options: ClassVar[Mapping[str, str]] = {
        "threads": "the render threads, -t:N (default: all cores)",
    }
    scene_kind = "the .rib file (e.g. /rib/shot.####.rib)"
    output_refused = "the RIB names its images: give no output"

    @classmethod
    def batch_args(
        cls, scene: str, output: str, platform: str, options: Mapping[str, str]
    ) -> list[str]:
        args = [cls.program(platform), "-Progress"]
        if options.get("threads"):
            args.append(f"-t:{cls.int_option(options, 'threads', 0)}")
        args.append(frame_tokens(scene))
        return args
