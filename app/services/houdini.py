"""Houdini: ROPs rendered by hython through Corral's wrapper script, husk (Karma) and mantra.

``hbatch`` and its per-renderer variants run
``hython @CORRAL_SCRIPTS@/houdini_render.py --hip scene.hip --rop /out/mantra1 --start <first>
--end <last> --step N [--output path]``. ``@CORRAL_SCRIPTS@`` is a token the render replaces
with its own directory of Corral's scripts (app/services/scripts), so a block does not depend on
where Corral is installed. The script loads the hip file, turns on the ROP's progress output and
renders the ROP frame by frame, printing ``CORRAL_ROP: <rop> frame <f>`` before each frame.

``karma`` runs husk: ``husk --verbose a3 -R BRAY_HdKarma -f <first> -n <count> -i <step> ...
scene.usd``. husk takes a frame COUNT, which a command pattern cannot compute from ``@#@``
tokens: the block holds the token ``@CORRAL_FRAME_COUNT@`` and the render replaces it with the
task's count, (frame_end - frame_start) // frames_inc + 1.

``mantra`` renders IFD files, one frame per task (frames_per_task 1): ``mantra -V 2a -f
/ifd/shot.@####@.ifd [image]``; a ``####`` run in the scene or output name becomes the task's
frame.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from app.services.base import ApplicationService, programs_named, quote
from app.services.renderers import frame_tokens

SCRIPTS_TOKEN = "@CORRAL_SCRIPTS@"
FRAME_COUNT_TOKEN = "@CORRAL_FRAME_COUNT@"
SCRIPTS_DIR = Path(__file__).resolve().parent / "scripts"
# The token followed by a script name, as an unquoted argument.
_SCRIPT_RE = re.compile(re.escape(SCRIPTS_TOKEN) + r"[/\\]([\w.-]+)")


class HbatchService(ApplicationService):
    """A Houdini ROP rendered by hython with Corral's wrapper script; the output, when given,
    replaces the ROP's output file (``$F4`` style frame variables are Houdini's)."""

    name = "hbatch"
    parser = "hbatch"
    description = "SideFX Houdini ROP render (hython with Corral's houdini_render.py)"
    programs: ClassVar[Mapping[str, str]] = programs_named("hython")
    options: ClassVar[Mapping[str, str]] = {
        "rop": "the ROP node to render, e.g. /out/mantra1 (required)",
        "step": "the frame step (the block's frames_inc; default 1)",
    }
    scene_kind = "the hip file"

    @classmethod
    def batch_args(
        cls, scene: str, output: str, platform: str, options: Mapping[str, str]
    ) -> list[str]:
        rop = options.get("rop", "")
        if not rop:
            raise ValueError(f"service {cls.name}: the option rop is required (e.g. /out/mantra1)")
        step = cls.int_option(options, "step", 1)
        args = [cls.program(platform), f"{SCRIPTS_TOKEN}/houdini_render.py"]
        args += ["--hip", scene, "--rop", rop, "--start", "@#@", "--end", "@#@"]
        args += ["--step", str(step)]
        if output:
            args += ["--output", output]
        return args

    def adjust_command(self, command: str) -> str:
        """``@CORRAL_SCRIPTS@/name`` becomes this render's path of Corral's script, quoted."""
        return replace_scripts_token(command, self.platform)


class HbatchMantraService(HbatchService):
    name = "hbatch_mantra"
    parser = "hbatch_mantra"
    description = "SideFX Houdini Mantra ROP render (hython)"


class HbatchKarmaService(HbatchService):
    name = "hbatch_karma"
    parser = "hbatch_karma"
    description = "SideFX Houdini Karma / USD render ROP render (hython)"


class HbatchRedshiftService(HbatchService):
    name = "hbatch_redshift"
    parser = "hbatch_redshift"
    description = "SideFX Houdini Redshift ROP render (hython)"


class HbatchArnoldService(HbatchService):
    name = "hbatch_arnold"
    parser = "hbatch_arnold"
    description = "SideFX Houdini Arnold (HtoA) ROP render (hython)"


class KarmaService(ApplicationService):
    """USD rendered by husk with Karma; the output is husk's ``-o`` (``$F4`` is husk's frame)."""

    name = "karma"
    parser = "karma"
    description = "SideFX Karma USD render (husk)"
    programs: ClassVar[Mapping[str, str]] = programs_named("husk")
    options: ClassVar[Mapping[str, str]] = {
        "step": "the frame step, -i (the block's frames_inc; default 1)",
        "xpu": "yes: render with Karma XPU, BRAY_HdKarmaXPU (default no: Karma CPU)",
        "camera": "the camera prim, -c",
        "settings": "the render settings prim, -s (e.g. /Render/rendersettings)",
        "verbosity": "husk's --verbose value (default a3: level 3 with Alfred-style progress)",
    }
    scene_kind = "the USD file"

    @classmethod
    def batch_args(
        cls, scene: str, output: str, platform: str, options: Mapping[str, str]
    ) -> list[str]:
        delegate = "BRAY_HdKarmaXPU" if cls.flag_option(options, "xpu") else "BRAY_HdKarma"
        step = cls.int_option(options, "step", 1)
        args = [cls.program(platform), "--verbose", options.get("verbosity") or "a3"]
        args += ["-R", delegate, "-f", "@#@", "-n", FRAME_COUNT_TOKEN, "-i", str(step)]
        for option, flag in (("camera", "-c"), ("settings", "-s")):
            if options.get(option):
                args += [flag, options[option]]
        if output:
            args += ["-o", output]
        args.append(scene)
        return args

    def adjust_command(self, command: str) -> str:
        """``@CORRAL_FRAME_COUNT@`` becomes the task's frame count."""
        task = self.task
        count = (task.frame_end - task.frame_start) // max(1, task.frames_inc) + 1
        return command.replace(FRAME_COUNT_TOKEN, str(count))


class MantraService(ApplicationService):
    """Mantra rendering IFD files, one frame per task; ``-V 2a`` prints Alfred-style progress."""

    name = "mantra"
    parser = "mantra"
    description = "SideFX Mantra IFD render, one frame per task"
    programs: ClassVar[Mapping[str, str]] = programs_named("mantra")
    options: ClassVar[Mapping[str, str]] = {
        "threads": "the render threads, -j N (default: all cores)",
    }
    scene_kind = "the IFD file (e.g. /ifd/shot.####.ifd)"

    @classmethod
    def batch_args(
        cls, scene: str, output: str, platform: str, options: Mapping[str, str]
    ) -> list[str]:
        args = [cls.program(platform), "-V", "2a"]
        if options.get("threads"):
            args += ["-j", str(cls.int_option(options, "threads", 0))]
        args += ["-f", frame_tokens(scene)]
        if output:
            args.append(frame_tokens(output))
        return args


def replace_scripts_token(command: str, platform: str) -> str:
    """A command with each ``@CORRAL_SCRIPTS@/<name>`` argument replaced by the path of that
    script of Corral's, quoted for platform."""
    return _SCRIPT_RE.sub(lambda match: quote(str(SCRIPTS_DIR / match.group(1)), platform), command)
