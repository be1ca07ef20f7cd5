"""The service base class: what a block's tasks are, from the submit dialog to the finished files.

A service has two sides:

- **Submit side** (`batch_command`, a class method): the command pattern of a numeric block for
  an application, e.g. ``blender -b scene.blend -o /out/f_#### -s @#@ -e @#@ -a``, quoted for the
  platform the renders run on. ``@#@`` tokens are the task's first and last frame (the server
  fills them, see core/frames.py).
- **Render side** (an instance per task, made from the assignment): the final command line (the
  capacity coefficient, path maps, the program this render has for the application, and the
  service's own changes), the environment, whether to skip the task because its files exist,
  whether the exit status is a success, whether the rendered files are there, and the command
  that makes a thumbnail of an output image.

A studio's service subclasses `Service` (or one of Corral's), sets `name` and, usually,
`parser`, and overrides what differs; see app/services/registry.py for how it is found. An
application's service subclasses `ApplicationService`: it says what its scene is (`scene_kind`),
whether it refuses an output and where the application runs, and writes the program and its
arguments in `batch_args`; the `int_option` and `flag_option` helpers read option values.
"""

from __future__ import annotations

import os
import shlex
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from app.core.frames import has_number_pattern
from app.core.os_family import OS_FAMILIES, OS_LABELS, OSFamily, os_family
from app.core.path_maps import PathMap
from app.platform import host_os

IMAGE_EXTENSIONS = frozenset(
    ("jpg", "jpeg", "png", "exr", "tif", "tiff", "tga", "dpx", "cin", "bmp", "hdr", "psd", "gif")
)
THUMBNAIL_HEIGHT = 100  # pixels
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")
_WINDOWS_SPECIAL = set(' \t"&|<>^()%!,;=')


def quote(arg: str, platform: str) -> str:
    """One argument quoted for the shell that runs tasks on platform (sh, or cmd.exe)."""
    if platform != "windows":
        return shlex.quote(arg)
    if arg and not _WINDOWS_SPECIAL.intersection(arg):
        return arg
    # The C runtime's rules: backslashes are literal unless a quote follows them; then 2n of
    # them stand for n, and 2n+1 for n and a literal quote (the closing quote counts too).
    out, backslashes = [], 0
    for char in arg:
        if char == "\\":
            backslashes += 1
            continue
        if char == '"':
            out.append("\\" * (2 * backslashes + 1) + '"')
        else:
            out.append("\\" * backslashes + char)
        backslashes = 0
    out.append("\\" * (2 * backslashes))
    return '"' + "".join(out) + '"'


def join(args: Sequence[str], platform: str) -> str:
    """A command line from its arguments, each quoted for platform."""
    return " ".join(quote(arg, platform) for arg in args)


def split(command: str, platform: str) -> list[str]:
    """A command line's arguments (sh rules, or cmd.exe's double quotes); ValueError when a
    quote is not closed."""
    if platform != "windows":
        return shlex.split(command)
    args, current, quoted, has_arg = [], [], False, False
    i = 0
    while i < len(command):
        char = command[i]
        if char == "\\":  # the C runtime's rules, as in quote()
            run = len(command[i:]) - len(command[i:].lstrip("\\"))
            i += run
            if command[i : i + 1] != '"':
                current.append("\\" * run)
                continue
            current.append("\\" * (run // 2))
            if run % 2:
                current.append('"')
                i += 1
                continue
            char = '"'
        if char == '"':
            quoted, has_arg = not quoted, True
        elif char in " \t" and not quoted:
            if current or has_arg:
                args.append("".join(current))
            current, has_arg = [], False
        else:
            current.append(char)
        i += 1
    if quoted:
        raise ValueError("no closing quotation")
    if current or has_arg:
        args.append("".join(current))
    return args


def split_program(command: str) -> tuple[str, str]:
    """(the program, the rest of the line as written) of a command line; a quoted program is
    unquoted."""
    line = command.lstrip()
    if line[:1] in ("'", '"'):
        end = line.find(line[0], 1)
        if end > 0:
            return line[1:end], line[end + 1 :]
    parts = line.split(None, 1)
    if not parts:
        return "", ""
    return parts[0], line[len(parts[0]) :]


def programs_named(
    linux: str, windows: str | None = None, macos: str | None = None
) -> dict[str, str]:
    """An application's programs on the three OS families: by default the Linux name, with
    ``.exe`` on Windows."""
    return {"linux": linux, "windows": windows or f"{linux}.exe", "macos": macos or linux}


@dataclass(frozen=True)
class TaskInfo:
    """What the render knows of a task when it starts it (the `assign.task` message)."""

    command: str
    working_directory: str | None = None
    environment: Mapping[str, str] = field(default_factory=dict)
    files: tuple[str, ...] = ()
    frame_start: int = 0
    frame_end: int = 0
    frames_inc: int = 1
    capacity_coeff: int = 1
    service: str = "generic"
    parser: str = ""
    skip_existing_files: bool = False
    check_rendered_files: bool = False
    skip_thumbnails: bool = False
    file_size_min: int = -1
    file_size_max: int = -1
    parser_coeff: int = 1
    hosts: tuple[str, ...] = ()  # a multihost task's renders: @AF_HOSTS@

    @classmethod
    def from_assignment(cls, task: Mapping[str, Any]) -> TaskInfo:
        """The task of an assignment; ValueError names the first malformed field."""
        if not isinstance(task, Mapping):
            raise ValueError(f"task must be an object, not {type(task).__name__}")
        values: dict[str, Any] = {"command": _field(task, "command", str)}
        for name, kind in _OPTIONAL_FIELDS.items():
            value = _field(task, name, kind, optional=True)
            if value is not None:
                values[name] = value
        environment = values.get("environment", {})
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in environment.items()):
            raise ValueError("task.environment must map strings to strings")
        files = values.get("files", [])
        if not all(isinstance(path, str) for path in files):
            raise ValueError("task.files must be a list of strings")
        values["files"] = tuple(files)
        hosts = values.get("hosts", [])
        if not all(isinstance(name, str) for name in hosts):
            raise ValueError("task.hosts must be a list of strings")
        values["hosts"] = tuple(hosts)
        frame_end = values.setdefault("frame_end", values.get("frame_start", 0))
        if frame_end < values.get("frame_start", 0):
            raise ValueError("task.frame_end must not be below task.frame_start")
        values["frames_inc"] = max(1, values.get("frames_inc", 1))
        return cls(**values)


_OPTIONAL_FIELDS: dict[str, type] = {
    "working_directory": str,
    "environment": dict,
    "files": list,
    "frame_start": int,
    "frame_end": int,
    "frames_inc": int,
    "capacity_coeff": int,
    "service": str,
    "parser": str,
    "skip_existing_files": bool,
    "check_rendered_files": bool,
    "skip_thumbnails": bool,
    "file_size_min": int,
    "file_size_max": int,
    "parser_coeff": int,
    "hosts": list,
}


def _field(task: Mapping[str, Any], name: str, kind: type, optional: bool = False) -> Any:
    value = task.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise ValueError(f"task.{name} must be {'null or ' if optional else ''}{kind.__name__}")
    return value


class Service:
    """The generic service: runs the block's command as it is, read by the generic parser."""

    name: ClassVar[str] = "generic"
    parser: ClassVar[str] = "generic"  # the default parser of the service's blocks
    description: ClassVar[str] = "any command line; PROGRESS: NN% and FRAME: N lines"
    # The application's program per OS family, as batch_command writes it (a render may map it
    # to its own install: `corral render --program blender=/opt/blender/blender`).
    programs: ClassVar[Mapping[str, str]] = {}
    # The options batch_command takes besides scene and output, with what they mean.
    options: ClassVar[Mapping[str, str]] = {"command": "the command line (required)"}
    # The whole block makes one output file (a movie): by default one task for the whole range.
    single_output: ClassVar[bool] = False

    # -- submit side ---------------------------------------------------------------------------

    @classmethod
    def frames_per_task(
        cls, first: int, last: int, step: int, per_task: int | None, output: str
    ) -> int:
        """The frames per task of a block over first-last (every step-th frame): per_task when
        given, else 1, or the whole range for a single-output service. ValueError when a split
        would make several tasks write the one output file (no ``@#@`` in its name)."""
        frames = (last - first) // step + 1
        if per_task is None:
            return frames if cls.single_output else 1
        tasks = -(-frames // per_task)
        if cls.single_output and tasks > 1 and not has_number_pattern(output):
            raise ValueError(
                f"service {cls.name}: {tasks} tasks would each write {output}; give one task "
                f"the whole range ({frames} frames per task) or put @#@ in the output name"
            )
        return per_task

    @classmethod
    def batch_command(
        cls, scene: str = "", output: str = "", platform: str = "linux", **options: str
    ) -> str:
        """The command pattern of a numeric block (``@#@`` = first, then last frame of a task).
        ValueError for an unknown option, a missing required one or an unknown platform."""
        cls.check_options(platform, options)
        command = options.get("command", "")
        if not command:
            raise ValueError("the generic service needs the option command")
        return command

    @classmethod
    def check_options(cls, platform: str, options: Mapping[str, str]) -> OSFamily:
        """The OS family platform names (app/core/os_family.py: ``darwin`` is ``macos``);
        ValueError for an unknown platform or option."""
        family = os_family(platform, "platform")
        unknown = sorted(set(options) - set(cls.options))
        if unknown:
            known = ", ".join(sorted(cls.options)) or "none"
            raise ValueError(f"service {cls.name}: unknown option {unknown[0]!r} (known: {known})")
        return family

    @classmethod
    def program(cls, platform: OSFamily) -> str:
        """The application's program name on an OS family (`programs` may spell it ``darwin``),
        else its Linux name."""
        for name, program in cls.programs.items():
            if os_family(name, "programs") == platform and program:
                return program
        return cls.programs.get("linux", "")

    @classmethod
    def int_option(
        cls,
        options: Mapping[str, str],
        name: str,
        default: int,
        minimum: int = 1,
        maximum: int | None = None,
    ) -> int:
        """An integer option within minimum and maximum, or default when it is not given;
        ValueError naming the service and the option."""
        text = options.get(name, "")
        if text == "":
            return default
        try:
            value = int(text)
        except (TypeError, ValueError):
            raise ValueError(
                f"service {cls.name}: {name} must be an integer, not {text!r}"
            ) from None
        if value < minimum or (maximum is not None and value > maximum):
            bounds = f"at least {minimum}" if maximum is None else f"{minimum} to {maximum}"
            raise ValueError(f"service {cls.name}: {name} must be {bounds}, not {value}")
        return value

    @classmethod
    def flag_option(cls, options: Mapping[str, str], name: str) -> bool:
        """A yes/no option (1/0, true/false, on/off too; not given: no); ValueError naming the
        service and the option."""
        text = str(options.get(name, "")).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(f"service {cls.name}: {name} must be yes or no, not {options[name]!r}")

    # -- render side ---------------------------------------------------------------------------

    def __init__(
        self,
        task: TaskInfo,
        *,
        path_map: PathMap | None = None,
        programs: Mapping[str, str] | None = None,
        platform: str | None = None,
    ) -> None:
        self.task = task
        self.path_map = path_map
        self.render_programs = dict(programs or {})
        self.platform: OSFamily = os_family(platform, "platform") if platform else host_os()

    def to_client(self, path: str) -> str:
        """A path of the job as this render mounts it."""
        return self.path_map.to_client(path) if self.path_map is not None else path

    def command(self) -> str:
        """The final command line this render runs."""
        command = self.task.command.replace("@AF_CAPACITY@", str(self.task.capacity_coeff))
        if self.task.hosts:
            command = command.replace("@AF_HOSTS@", " ".join(self.task.hosts))
        if self.path_map is not None:
            command = self.path_map.in_text(command, "to_client")
        return self.adjust_command(self.map_program(command))

    def adjust_command(self, command: str) -> str:
        """A service's own change to the command line (e.g. a progress script); none here."""
        return command

    def map_program(self, command: str) -> str:
        """The command with its program replaced by this render's install of it, when the render
        maps that program name (`corral render --program NAME=COMMAND`); the rest of the line is
        kept as it is."""
        if not self.render_programs:
            return command
        program, rest = split_program(command)
        name = os.path.basename(program.replace("\\", "/"))
        stem = name[:-4] if name.lower().endswith(".exe") else name
        local = self.render_programs.get(name) or self.render_programs.get(stem)
        return command if local is None else local + rest

    def working_directory(self) -> str | None:
        wd = self.task.working_directory
        return None if wd is None else self.to_client(wd)

    def environment(self) -> dict[str, str]:
        """The task's own variables (paths mapped), added to the render's environment."""
        if self.path_map is None:
            return dict(self.task.environment)
        return {
            name: self.path_map.in_text(value, "to_client")
            for name, value in self.task.environment.items()
        }

    def files(self) -> list[str]:
        """The task's output files (the block's `files` patterns filled), as this render sees
        them; relative ones are under the working directory."""
        base = self.working_directory()
        out = []
        for path in self.task.files:
            path = self.to_client(path)
            if base and not os.path.isabs(path):
                path = os.path.join(base, path)
            out.append(path)
        return out

    def parser_name(self) -> str:
        """The block's parser, or the service's default."""
        return self.task.parser or self.parser

    def check_exit_status(self, code: int) -> bool:
        """Whether an exit code means success."""
        return code == 0

    def skip_reason(self) -> str | None:
        """Why the task need not run (skip_existing_files and all its files are there in size),
        or None."""
        if not self.task.skip_existing_files:
            return None
        files = self.files()
        if not files or any(self._file_problem(path) for path in files):
            return None
        return f"all {len(files)} output files exist"

    def rendered_files_error(self, reported: Sequence[str] = ()) -> str | None:
        """With check_rendered_files: what is wrong with the task's files (the block's, else
        those the output reported), or None."""
        if not self.task.check_rendered_files:
            return None
        files = self.files() or [self._absolute(path) for path in reported]
        if not files:
            return "check_rendered_files: the task names no files to check"
        for path in files:
            problem = self._file_problem(path)
            if problem:
                return f"rendered file {path} {problem}"
        return None

    def thumbnail_command(self, image: str, thumbnail: str) -> list[str] | None:
        """The command that writes a small JPEG of an output image, or None (no image, no tool,
        or skip_thumbnails). ImageMagick is preferred; ffmpeg reads the common formats too."""
        ext = os.path.splitext(image)[1].lower().lstrip(".")
        if self.task.skip_thumbnails or ext not in IMAGE_EXTENSIONS:
            return None
        magick = shutil.which("magick")
        tool = [magick] if magick else None
        if tool is None and shutil.which("convert"):
            tool = [shutil.which("convert") or "convert"]
        if tool is not None:
            # how to read the image's values (set on the image once it is read)
            colourspace = {"exr": "RGB", "dpx": "Log", "cin": "Log"}
            pre = ["-set", "colorspace", colourspace[ext]] if ext in colourspace else []
            return [*tool, f"{image}[0]", *pre, "-thumbnail", f"x{THUMBNAIL_HEIGHT}", thumbnail]
        ffmpeg = shutil.which("ffmpeg")
        if ffmpeg:
            scale = f"scale=-2:{THUMBNAIL_HEIGHT}"
            return [
                ffmpeg,
                "-v",
                "error",
                "-y",
                "-i",
                image,
                "-vf",
                scale,
                "-frames:v",
                "1",
                thumbnail,
            ]
        return None

    def _absolute(self, path: str) -> str:
        base = self.working_directory()
        path = self.to_client(path)
        return os.path.join(base, path) if base and not os.path.isabs(path) else path

    def _file_problem(self, path: str) -> str | None:
        try:
            size = os.stat(path).st_size
        except OSError:
            return "is missing"
        low, high = self.task.file_size_min, self.task.file_size_max
        if low >= 0 and size < low:
            return f"is {size} bytes, below file_size_min {low}"
        if high >= 0 and size > high:
            return f"is {size} bytes, above file_size_max {high}"
        return None


class ApplicationService(Service):
    """An application's service: batch_command checks what every application shares (options,
    platform, scene, output), then quotes the program and arguments that batch_args writes."""

    # What the scene is, for the error when it is missing ("the comp (.comp)"); empty: the
    # service needs no scene.
    scene_kind: ClassVar[str] = ""
    # Why the service takes no output (e.g. the scene names its files); empty: it takes one.
    output_refused: ClassVar[str] = ""
    # The OS families the application runs on (a block for another is refused), and its name
    # in that refusal.
    runs_on: ClassVar[tuple[OSFamily, ...]] = OS_FAMILIES
    application: ClassVar[str] = ""

    @classmethod
    def batch_command(
        cls, scene: str = "", output: str = "", platform: str = "linux", **options: str
    ) -> str:
        platform = cls.check_options(platform, options)
        runs_on = [os_family(name, "runs_on") for name in cls.runs_on]  # darwin is macos too
        if platform not in runs_on:
            where = " and ".join(OS_LABELS[family] for family in runs_on)
            raise ValueError(f"service {cls.name}: {cls.application} runs only on {where}")
        if cls.scene_kind and not scene:
            raise ValueError(f"service {cls.name}: {cls.scene_kind} is required")
        if cls.output_refused and output:
            raise ValueError(f"service {cls.name}: {cls.output_refused}")
        return join(cls.batch_args(scene, output, platform, options), platform)

    @classmethod
    def batch_args(
        cls, scene: str, output: str, platform: str, options: Mapping[str, str]
    ) -> list[str]:
        """The program and its arguments, unquoted (``@#@`` for the task's frames); ValueError
        for what the service cannot render (a platform, an option's value)."""
        raise NotImplementedError(f"service {cls.name} writes no batch command")
