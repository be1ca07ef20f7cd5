"""Blender: `blender -b scene.blend -o OUT -s @#@ -e @#@ -a`, with Corral's progress lines.

Blender 5 prints its render statistics through its logger at a level that is off by default, so
a background render shows only `Saved: '...'` lines. The render side therefore runs our own
script inside Blender (`-P scripts/blender_progress.py`, placed right after the blend file so
its handlers are there before `-a`/`-f` render), which prints `Fra:<frame> <stats>` for each
`render_stats` callback: the classic Blender line shape that the `blender` parser reads.

A render without a Blender install but with the PyPI `bpy` module runs the same arguments
through scripts/blender_bpy_runner.py (a command-line runner for the module).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import sys
from collections.abc import Mapping
from typing import ClassVar

from app.services.base import Service, join

SCRIPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scripts")
PROGRESS_SCRIPT = os.path.join(SCRIPTS, "blender_progress.py")
BPY_RUNNER = os.path.join(SCRIPTS, "blender_bpy_runner.py")

# What Blender's -F takes (BKE_imtype_from_arg; some are build options).
FORMATS = frozenset(
    (
        "TGA",
        "RAWTGA",
        "JPEG",
        "IRIS",
        "IRIZ",
        "AVIRAW",
        "AVIJPEG",
        "PNG",
        "BMP",
        "HDR",
        "TIFF",
        "EXR",
        "MULTILAYER",
        "OPEN_EXR",
        "OPEN_EXR_MULTILAYER",
        "FFMPEG",
        "MPEG",
        "CINEON",
        "DPX",
        "DDS",
        "JP2",
        "WEBP",
    )
)
_ENGINE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_BACKGROUND = ("-b", "--background")
_FRAMES = "@#@"


class BlenderService(Service):
    """Blender in the background: one task renders frames first..last of the block."""

    name: ClassVar[str] = "blender"
    parser: ClassVar[str] = "blender"
    description: ClassVar[str] = "Blender batch render (blender -b scene.blend ... -a)"
    programs: ClassVar[Mapping[str, str]] = {
        "linux": "blender",
        "windows": "blender.exe",
        "macos": "/Applications/Blender.app/Contents/MacOS/Blender",
    }
    options: ClassVar[Mapping[str, str]] = {
        "engine": "render engine (-E), e.g. CYCLES, BLENDER_EEVEE, BLENDER_WORKBENCH",
        "format": "image format (-F), e.g. PNG, OPEN_EXR, JPEG",
        "step": "frame step inside a task (-j), a positive integer",
        "threads": "render threads (-t), 0 for all processors",
        "scene_name": "the scene of the file to render (-S)",
        "python": "a Python script to run after the file is loaded (-P)",
    }

    # -- submit side ---------------------------------------------------------------------------

    @classmethod
    def batch_command(
        cls, scene: str = "", output: str = "", platform: str = "linux", **options: str
    ) -> str:
        """``blender -b SCENE [-P python] [-S name] [-E engine] [-o OUTPUT] [-F format]
        [-t threads] -s @#@ -e @#@ [-j step] -a``: Blender processes its arguments in order,
        so every setting comes before -a."""
        platform = cls.check_options(platform, options)
        if not scene:
            raise ValueError("service blender needs a scene (the .blend file)")
        args = [cls.program(platform), "-b", scene]
        if options.get("python"):
            args += ["-P", options["python"]]
        if options.get("scene_name"):
            args += ["-S", options["scene_name"]]
        engine = options.get("engine", "")
        if engine:
            if not _ENGINE.match(engine):
                raise ValueError(f"service blender: engine {engine!r} is not an engine name")
            args += ["-E", engine]
        if output:
            args += ["-o", output]
        fmt = options.get("format", "")
        if fmt:
            if fmt.upper() not in FORMATS:
                known = ", ".join(sorted(FORMATS))
                raise ValueError(f"service blender: unknown format {fmt!r} (known: {known})")
            args += ["-F", fmt.upper()]
        if options.get("threads", "") != "":
            args += ["-t", str(cls.int_option(options, "threads", 0, minimum=0))]
        tail = ["-s", _FRAMES, "-e", _FRAMES]  # unquoted: the server fills the tokens
        if options.get("step", "") != "":
            tail += ["-j", str(cls.int_option(options, "step", 1))]
        return f"{join(args, platform)} {' '.join(tail)} -a"

    # -- render side ---------------------------------------------------------------------------

    def adjust_command(self, command: str) -> str:
        """Our progress script right after the `-b FILE` pair; or, when this host has no
        Blender but Python has the `bpy` module, the bpy runner with the same arguments. The
        rest of the line is kept as it was written (shell operators, variables, quoting)."""
        try:
            words = _words(command, self.platform)
        except ValueError:
            return command  # a broken quote: run it as it is and let the shell say so
        if not words or any(word == PROGRESS_SCRIPT for word, _, _ in words):
            return command
        program, start, end = words[0]
        if self.use_bpy_runner(program):
            runner = join([sys.executable, BPY_RUNNER], self.platform)
            return command[:start] + runner + command[end:]
        at = words[_progress_index(words) - 1][2]
        return f"{command[:at]} {join(['-P', PROGRESS_SCRIPT], self.platform)}{command[at:]}"

    def use_bpy_runner(self, program: str) -> bool:
        """Whether the program is Blender as submitted (not this render's mapped install),
        is not installed here, and the `bpy` module is."""
        name = os.path.basename(program.replace("\\", "/")).lower()
        if name.endswith(".exe"):
            name = name[:-4]
        mapped = {key.lower() for key in self.render_programs}
        if name != "blender" or mapped & {"blender", "blender.exe"}:
            return False
        if shutil.which(program) is not None:
            return False
        return importlib.util.find_spec("bpy") is not None


def _progress_index(words: list[tuple[str, int, int]]) -> int:
    """Where `-P <progress script>` goes among the words: after the blend file that follows -b
    (or after -b when no file follows it, or after the program when there is no -b)."""
    for i, (word, _, _) in enumerate(words[1:], 1):
        if word in _BACKGROUND:
            if i + 1 < len(words) and not words[i + 1][0].startswith("-"):
                return i + 2
            return i + 1
    return 1


def _words(command: str, platform: str) -> list[tuple[str, int, int]]:
    """(word without its quotes, start, end) of each blank-separated word of a command line;
    ValueError when a quote is not closed. Quotes: '...' and "..." with backslash escapes for
    sh; "..." (\\" inside) for cmd.exe."""
    words: list[tuple[str, int, int]] = []
    windows = platform == "windows"
    escapable = '"' if windows else '"\\$`'  # what a backslash escapes inside "..."
    i, n = 0, len(command)
    while i < n:
        if command[i] in " \t":
            i += 1
            continue
        start, text, quote = i, [], ""
        while i < n:
            char = command[i]
            if quote:
                if char == quote:
                    quote = ""
                elif char == "\\" and quote == '"' and i + 1 < n and command[i + 1] in escapable:
                    i += 1
                    text.append(command[i])
                else:
                    text.append(char)
            elif char in " \t":
                break
            elif char == '"' or (char == "'" and not windows):
                quote = char
            elif char == "\\" and not windows and i + 1 < n:
                i += 1
                text.append(command[i])
            else:
                text.append(char)
            i += 1
        if quote:
            raise ValueError("no closing quotation")
        words.append(("".join(text), start, i))
    return words
