"""``corral submit``: a job from a JSON file, a command line or a scene file, sent to the server."""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from app.api import CorralError, numeric_job, tasks_job
from app.cli import parsing
from app.cli.actions import client
from app.cli.output import print_json
from app.cli.parsing import UsageError

_PATTERN_RE = re.compile(r"(@#+@)")

_USAGE = (
    "corral submit [options] FILE.json|-\n"
    "       corral submit [options] TEMPLATE.yaml [-p NAME=VALUE ...]\n"
    "       corral submit [--name N] [--frames 1-100[xSTEP]] [--fpt N] [options] -- COMMAND ..."
)
_EPILOG = """\
In the command, @#@ is replaced by the first and last frame of each task (@####@ pads to 4
digits), for example:
  corral submit --name shot010 --frames 1-100 --fpt 10 -- blender -b shot.blend -s @#@ -e @#@ -a
Without --frames the command runs once, as a job with one task.
An Open Job Description job template (YAML or JSON, see docs/openjd.md) takes its job
parameters with -p, for example:
  corral submit render.yaml -p Frames=1-100 -p Scene=/proj/shot.blend"""


def add_verbs(verbs: Any, common: argparse.ArgumentParser) -> None:
    p = verbs.add_parser(
        "submit",
        parents=[common],
        help="submit a job from a JSON file or a command line",
        usage=_USAGE,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Submit a job. Prints 'Job N submitted' and a warning for each key the "
        'server does not know ({"id": N, "warnings": [...]} with --json).',
    )
    p.add_argument(
        "file", nargs="?", metavar="FILE", help="job JSON or OpenJD template file, '-' for stdin"
    )
    p.add_argument(
        "-p",
        "--param",
        dest="params",
        type=parsing.option,
        action="append",
        metavar="NAME=VALUE",
        help="a job parameter of an Open Job Description template; repeatable",
    )
    p.add_argument("--name", help="job name (default: the command's program name)")
    p.add_argument(
        "--frames",
        type=parsing.parse_frames,
        metavar="RANGE",
        help="frames FIRST-LAST or FIRST-LASTxSTEP (e.g. 1-100x2)",
    )
    p.add_argument(
        "--fpt",
        type=int,
        metavar="N",
        help="frames per task (default: 1; ffmpeg: the whole range, one movie)",
    )
    p.add_argument("--service", help="service (default: generic); see `corral services`")
    p.add_argument("--scene", metavar="FILE", help="scene file: the service writes the command")
    p.add_argument("--output", metavar="PATH", help="output path for --scene (e.g. /out/f_####)")
    p.add_argument(
        "--option",
        dest="options",
        type=parsing.option,
        action="append",
        metavar="KEY=VALUE",
        help="a service option for --scene (e.g. engine=CYCLES); repeatable",
    )
    p.add_argument(
        "--platform",
        choices=("linux", "windows", "macos", "darwin"),
        help="the renders' platform for --scene's command line (default: this host's)",
    )
    p.add_argument("--priority", type=int, help="job priority, 0-250 (default: 99)")
    p.add_argument("--user", help="user name (default: your login)")
    p.add_argument(
        "--cwd", metavar="DIR", help="working directory of the tasks (default: this folder)"
    )
    p.add_argument("--paused", action="store_true", help="submit the job paused (offline)")
    p.add_argument(
        "--strict",
        action="store_true",
        help="refuse the job if it has keys the server does not know (default: warn)",
    )
    p.set_defaults(func=cmd_submit, command=None, usage_parser=p)


def build_command(words: Sequence[str]) -> str:
    """Join command words into one shell line, quoting each word but leaving ``@#@`` as is.

    ``["echo", "frame @#@", "a.@####@.exr"]`` → ``echo 'frame '@#@ a.@####@.exr``: the server
    fills the patterns with frame numbers, which never need quoting.
    """
    out = []
    for word in words:
        if word == "":
            out.append("''")
            continue
        pieces = _PATTERN_RE.split(word)
        out.append(
            "".join(
                piece if i % 2 else (shlex.quote(piece) if piece else "")
                for i, piece in enumerate(pieces)
            )
        )
    return " ".join(out)


def _read_job_file(name: str, params: list[tuple[str, str]]) -> dict:
    """The job of a JSON file, or of an OpenJD template given its parameters."""
    label = "stdin" if name == "-" else name
    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise CorralError(f"cannot read job file {label}: {reason}") from None
    from app.services.openjd import is_template

    if is_template(text):
        return _template_job(text, label, Path(name).parent, params)
    if params:
        raise UsageError("-p applies to an Open Job Description template")
    try:
        job = json.loads(text)
    except ValueError as exc:
        raise CorralError(f"invalid job: {label} is not valid JSON: {exc}") from None
    # Afanasy wraps jobs as {"job": {...}}: accept that too.
    if isinstance(job, dict) and list(job) == ["job"] and isinstance(job["job"], dict):
        job = job["job"]
    if not isinstance(job, dict):
        raise CorralError(f"invalid job: {label} must hold a JSON object")
    return job


def _template_job(text: str, label: str, folder: Path, params: list[tuple[str, str]]) -> dict:
    """The job of an OpenJD template (text) given its parameters (-p)."""
    from app.services.openjd import NEEDS_EXTRA

    try:
        from app.services.openjd import template
    except ImportError:
        raise CorralError(NEEDS_EXTRA) from None
    try:
        return template.template_job(
            template.load_template(text, label), dict(params), folder, Path.cwd()
        )
    except template.TemplateError as exc:
        raise CorralError(str(exc)) from None


def _absolute(path: str) -> str:
    """A relative path made absolute from where `corral submit` runs (renders run tasks in a
    folder of their own); a path absolute on any OS (POSIX, a drive letter, UNC) as given."""
    if not path or path.startswith(("/", "\\")) or re.match(r"[A-Za-z]:[\\/]", path):
        return path
    return os.path.abspath(path)


def _working_directory(args: argparse.Namespace) -> str:
    """The tasks' working directory: --cwd, else where `corral submit` runs."""
    return _absolute(args.cwd) if args.cwd is not None else os.getcwd()


_SEQUENCE_RE = re.compile(r"#|%0?\d*d|@")  # an image sequence's frame pattern (ffmpeg's input)


def _check_scene(scene: str) -> None:
    """A scene file for renders of this host's OS must exist here (an image sequence's pattern
    aside): a missing file would fail every task."""
    path = _absolute(scene)
    if not _SEQUENCE_RE.search(os.path.basename(path)) and not os.path.isfile(path):
        raise UsageError(
            f"scene file {scene!r} does not exist (looked for {path}): give the path of an "
            "existing scene, or --platform OS when it is a path on the renders' OS"
        )


def _scene_job(args: argparse.Namespace) -> dict:
    """A numeric job whose command the service writes for a scene file."""
    from app.platform import host_os
    from app.services import SERVICES

    if args.file is not None or args.command is not None:
        raise UsageError("--scene replaces the job FILE and the command after --")
    if not args.service or args.service == "generic":
        raise UsageError("--scene needs --service (see `corral services`)")
    if args.frames is None:
        raise UsageError("--scene needs --frames")
    service = SERVICES.get(args.service)  # no warning: the usage error says it
    if service is None:
        raise UsageError(f"unknown service {args.service!r} (see `corral services`)")
    first, last, step = args.frames
    output = _absolute(args.output or "")
    try:
        command = service.batch_command(
            _absolute(args.scene),
            output,
            args.platform or host_os(),
            **dict(args.options or []),
        )
        per_task = service.frames_per_task(first, last, step, args.fpt, output)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.platform is None:
        _check_scene(args.scene)
    name = args.name or os.path.basename(args.scene) or args.service
    return numeric_job(
        name,
        command,
        first,
        last,
        per_task=per_task,
        inc=step,
        service=service.name,
        user_name=args.user,
        priority=args.priority,
        working_directory=_working_directory(args),
        paused=args.paused,
    )


def _file_job(args: argparse.Namespace) -> dict:
    """The job of a JSON file, with --name, --user, --priority and --paused applied."""
    block_opts = [
        opt
        for opt, value in (
            ("--frames", args.frames),
            ("--fpt", args.fpt),
            ("--service", args.service),
            ("--cwd", args.cwd),
            ("--scene", args.scene),
        )
        if value is not None
    ]
    if block_opts:
        raise UsageError(f"{', '.join(block_opts)} only apply to a command after --")
    job = _read_job_file(args.file, args.params or [])
    if args.name is not None:
        job["name"] = args.name
    if args.user is not None:
        job["user_name"] = args.user
    if args.priority is not None:
        job["priority"] = args.priority
    if args.paused:
        job["offline"] = True
    return job


def _command_job(args: argparse.Namespace) -> dict:
    """The job of the command after ``--``: numeric with --frames, else one task."""
    if not args.command:
        raise UsageError("the command after -- is empty")
    command = build_command(args.command)
    name = args.name or os.path.basename(args.command[0]) or "command"
    common = {
        "service": args.service or "generic",
        "user_name": args.user,
        "priority": args.priority,
        "working_directory": _working_directory(args),
        "paused": args.paused,
    }
    if args.frames is None:
        if args.fpt is not None:
            raise UsageError("--fpt needs --frames")
        if _PATTERN_RE.search(command):
            raise UsageError("the command uses @#@ frame patterns: give --frames")
        return tasks_job(name, [(name, command)], **common)
    first, last, step = args.frames
    per_task = args.fpt if args.fpt is not None else 1
    return numeric_job(name, command, first, last, per_task=per_task, inc=step, **common)


def make_submit_job(args: argparse.Namespace) -> dict:
    """The job dict that ``corral submit`` sends; raises UsageError for bad combinations."""
    if args.scene is not None:
        return _scene_job(args)
    if args.output is not None or args.options or args.platform is not None:
        raise UsageError("--output, --option and --platform apply to --scene")
    if args.file is not None and args.command is not None:
        raise UsageError("give either a job FILE or a command after --, not both")
    if args.file is None and args.command is None:
        raise UsageError("give a job FILE ('-' for stdin), a command after -- or a --scene")
    if args.params and args.file is None:
        raise UsageError("-p applies to an Open Job Description template FILE")
    return _file_job(args) if args.file is not None else _command_job(args)


def cmd_submit(args: argparse.Namespace) -> int:
    job = make_submit_job(args)
    try:
        answer = client(args).submit_job(job, strict=args.strict)
    except CorralError as exc:
        if exc.status in (400, 422) and not exc.message.lower().startswith("invalid job"):
            raise CorralError(
                f"invalid job: {exc.detail()}", status=exc.status, field=exc.field
            ) from None
        raise
    if args.json:
        print_json(answer)
        return 0
    for warning in answer["warnings"]:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"Job {answer['id']} submitted")
    return 0
