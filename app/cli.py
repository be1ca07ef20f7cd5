"""The ``corral`` command: run a server or a render, and drive the farm from a terminal.

Only the standard library and app.api are imported at module level so that ``corral --help`` and
the client verbs start fast; the server, the render and aiohttp are imported inside their verbs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import socket
import sys
import time
from collections.abc import Callable, Coroutine, Iterable, Sequence
from pathlib import Path
from typing import Any

from app import __version__
from app.api import (
    RENDER_ACTIONS,
    TASK_ACTIONS,
    Client,
    CorralError,
    default_server,
    numeric_job,
    tasks_job,
)

PROG = "corral"

# -- pure helpers (unit tested) ----------------------------------------------------------------


class UsageError(Exception):
    """A usage problem found after parsing: reported like argparse's own errors (exit 2)."""


_FRAMES_RE = re.compile(r"^\s*(-?\d+)(?:\s*-\s*(-?\d+))?(?:\s*x\s*(\d+))?\s*$")
_PATTERN_RE = re.compile(r"(@#+@)")


def parse_frames(text: str) -> tuple[int, int, int]:
    """``"1-100"`` → (1, 100, 1); ``"1-100x2"`` → (1, 100, 2); ``"7"`` → (7, 7, 1)."""
    match = _FRAMES_RE.match(text)
    if not match:
        raise argparse.ArgumentTypeError(
            f"invalid frame range {text!r}: expected FIRST-LAST or FIRST-LASTxSTEP, e.g. 1-100x2"
        )
    first = int(match[1])
    last = int(match[2]) if match[2] is not None else first
    step = int(match[3]) if match[3] is not None else 1
    if last < first:
        raise argparse.ArgumentTypeError(
            f"invalid frame range {text!r}: the last frame is before the first"
        )
    if step < 1:
        raise argparse.ArgumentTypeError(f"invalid frame range {text!r}: the step must be >= 1")
    return first, last, step


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


def has_frame_pattern(command: str) -> bool:
    return bool(_PATTERN_RE.search(command))


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return " ".join(_cell(v) for v in value) or "-"
    return str(value)


_NUMERIC_CELL_RE = re.compile(r"^-?\d+(\.\d+)?(/-?\d+(\.\d+)?)?$")


def format_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Plain aligned columns, two spaces apart; columns holding only numbers align right."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, text in enumerate(row):
            widths[i] = max(widths[i], len(text))
    right = [
        bool(cells) and all(_NUMERIC_CELL_RE.match(row[i]) or row[i] == "-" for row in cells)
        for i in range(len(headers))
    ]

    def line(texts: Sequence[str]) -> str:
        parts = [
            t.rjust(widths[i]) if right[i] else t.ljust(widths[i]) for i, t in enumerate(texts)
        ]
        return "  ".join(parts).rstrip()

    return "\n".join([line(list(headers))] + [line(row) for row in cells])


def format_fields(pairs: Iterable[tuple[str, Any]]) -> str:
    """``key  value`` lines with the values aligned."""
    pairs = [(k, _cell(v)) for k, v in pairs]
    width = max((len(k) for k, _ in pairs), default=0)
    return "\n".join(f"{k.ljust(width)}  {v}".rstrip() for k, v in pairs)


def format_time(value: Any) -> str:
    """Epoch seconds (or milliseconds) as local time; strings pass through; empty as ``-``."""
    if value in (None, "", 0):
        return "-"
    if isinstance(value, (int, float)):
        seconds = value / 1000 if value > 1e11 else value
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(seconds))
    return str(value)


def format_duration(start: Any, end: Any) -> str:
    if not isinstance(start, (int, float)) or not isinstance(end, (int, float)) or end < start:
        return "-"
    seconds = int(round(end - start))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_SETTING_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _no_json_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # NaN and Infinity stay text


def parse_setting(text: str) -> tuple[str, Any]:
    """``KEY=VALUE`` → (key, value): the value as JSON when it parses, else as text.

    ``priority=120`` → 120, ``offline=true`` → True, ``pools={"/gpu/":10}`` → a dict,
    ``hosts_mask=gpu`` → "gpu", ``annotation=`` → "".
    """
    key, sep, value = text.partition("=")
    if not sep or not _SETTING_KEY_RE.match(key):
        raise argparse.ArgumentTypeError(
            f"invalid setting {text!r}: expected KEY=VALUE, e.g. priority=120"
        )
    try:
        return key, json.loads(value, parse_constant=_no_json_constant)
    except (ValueError, RecursionError):
        return key, value


def settings_dict(pairs: Iterable[tuple[str, Any]]) -> dict:
    """The (key, value) pairs from parse_setting as one dict; a key given twice is an error."""
    settings: dict = {}
    for key, value in pairs:
        if key in settings:
            raise UsageError(f"{key} is given twice")
        settings[key] = value
    return settings


# -- argument parsing --------------------------------------------------------------------------


def _number(convert: Callable[[str], float], what: str, lo: float, hi: float | None = None):
    """An argparse type: text converted by convert, within lo..hi."""

    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid {what} {text!r}") from None
        if value < lo or (hi is not None and value > hi):
            limit = f"{lo}..{hi}" if hi is not None else f">= {lo}"
            raise argparse.ArgumentTypeError(f"invalid {what} {text!r}: must be {limit}")
        return value

    return parse


def _regex(text: str) -> str:
    """An argparse type: a regular expression (checked here, matched by the server)."""
    if not text:
        raise argparse.ArgumentTypeError("invalid regular expression: it is empty")
    try:
        re.compile(text)
    except (re.error, RecursionError, OverflowError) as exc:
        raise argparse.ArgumentTypeError(f"invalid regular expression {text!r}: {exc}") from None
    return text


def _key_value(what: str):
    def parse(text: str) -> tuple[str, str]:
        name, sep, value = text.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise argparse.ArgumentTypeError(f"expected {what}, not {text!r}")
        return name.strip(), value.strip()

    return parse


_program = _key_value("NAME=COMMAND")
_option = _key_value("KEY=VALUE")
_port = _number(int, "port", 0, 65535)
_positive_int = _number(int, "number", 1)
_block_number = _number(int, "block number", 0)
_task_number = _number(int, "task number", 0)
_seconds = _number(float, "number of seconds", 0)


_JOB_VERBS = {
    "pause": ("paused", "pause jobs: no new tasks start, running ones finish"),
    "start": ("started", "start paused jobs"),
    "stop": ("stopped", "stop running tasks and pause the jobs"),
    "restart": ("restarted", "restart all tasks of the jobs"),
    "restart-errors": ("errors restarted", "restart the tasks that failed"),
    "reset-error-hosts": ("error hosts reset", "forget where tasks failed (avoided hosts)"),
    "delete": ("deleted", "delete jobs (running tasks are stopped)"),
}

_MOVES = ("up", "down", "top", "bottom")
_RENDER_VERBS = {
    "nimby": "set to nimby",
    "NIMBY": "set to NIMBY",
    "free": "set free",
    "pause": "paused",
    "unpause": "unpaused",
    "eject": "ejected",
    "eject-not-mine": "ejected (tasks of other users)",
    "exit": "told to exit",
    "delete": "deleted",
    "sleep": "told to sleep",
    "wake": "told to wake",
}

_SUBMIT_USAGE = (
    "corral submit [options] FILE.json|-\n"
    "       corral submit [--name N] [--frames 1-100[xSTEP]] [--fpt N] [options] -- COMMAND ..."
)
_SUBMIT_EPILOG = """\
In the command, @#@ is replaced by the first and last frame of each task (@####@ pads to 4
digits), for example:
  corral submit --name shot010 --frames 1-100 --fpt 10 -- blender -b shot.blend -s @#@ -e @#@ -a
Without --frames the command runs once, as a job with one task."""


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print the raw JSON answer (for scripts)",
    )
    common.add_argument(
        "--server",
        metavar="URL",
        default=argparse.SUPPRESS,
        help="server URL (default: $CORRAL_SERVER, else http://127.0.0.1:51000)",
    )
    logging_opts = argparse.ArgumentParser(add_help=False)
    logging_opts.add_argument(
        "--log-level",
        default="info",
        choices=["debug", "info", "warning", "error"],
        help="how much to log on stderr (default: info)",
    )

    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Corral render farm manager: server, render client and command line.",
        epilog="Run 'corral VERB --help' for the options of one verb.",
    )
    parser.add_argument("--version", action="version", version=f"corral {__version__}")
    parser.add_argument(
        "--json", action="store_true", default=False, help="print raw JSON (for scripts)"
    )
    parser.add_argument(
        "--server",
        metavar="URL",
        default=None,
        help="server URL (default: $CORRAL_SERVER, else http://127.0.0.1:51000)",
    )
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)

    # server
    p = verbs.add_parser(
        "server",
        parents=[logging_opts],
        help="run the farm server",
        description="Run the farm server until SIGINT/SIGTERM.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback)")
    p.add_argument("--port", type=_port, default=51000, help="port to listen on (default: 51000)")
    p.add_argument("--data", metavar="DIR", help="data directory (default: the user data dir)")
    p.add_argument("--db", metavar="URL", help="database URL (default: SQLite in the data dir)")
    p.add_argument(
        "--farm", metavar="FILE", help="JSON pools tree, reloaded whenever the file changes"
    )
    p.add_argument(
        "--zombie-time",
        type=_seconds,
        metavar="S",
        help="a render silent this long is gone and its tasks return to ready",
    )
    p.add_argument(
        "--heartbeat", type=_seconds, metavar="S", help="seconds between render heartbeats"
    )
    p.add_argument(
        "--reconnect-grace",
        type=_seconds,
        metavar="S",
        help="after a restart, wait this long for renders to re-register",
    )
    p.set_defaults(func=cmd_server, usage_parser=p)

    # render
    p = verbs.add_parser(
        "render",
        parents=[logging_opts],
        help="run a render client on this host (or 'render set': change a render's settings)",
        usage="corral render [options]\n       corral render set NAME KEY=VALUE ...",
        description="Connect to the server and run tasks until SIGINT/SIGTERM. "
        "With 'set', change a render's settings instead (see 'corral render set --help').",
    )
    p.add_argument(
        "--server",
        metavar="URL",
        default=argparse.SUPPRESS,
        help="server URL (default: $CORRAL_SERVER, else http://127.0.0.1:51000)",
    )
    p.add_argument("--name", help="render name (default: the host name)")
    p.add_argument("--max-tasks", type=_positive_int, metavar="N", help="tasks run at once")
    p.add_argument("--capacity", type=_positive_int, metavar="C", help="capacity of this render")
    p.add_argument("--heartbeat", type=_seconds, metavar="S", help="seconds between heartbeats")
    p.add_argument(
        "--wol-target",
        metavar="HOST:PORT",
        help="where to send Wake-on-LAN packets for other renders (default 255.255.255.255:9)",
    )
    p.add_argument("--sleep-command", metavar="CMD", help="command that puts this host to sleep")
    p.add_argument(
        "--path-map",
        metavar="MAP",
        help="map the paths in tasks to this host's: 'SERVER=CLIENT;...' prefixes "
        "(e.g. 'X:/proj=/mnt/proj;//srv/share=/net/share') or a JSON array of "
        '{"server": ..., "client": ...}',
    )
    p.add_argument(
        "--plugins",
        metavar="DIR",
        help="load custom resource meters, parsers and services from every *.py file in DIR",
    )
    p.add_argument(
        "--program",
        dest="programs",
        type=_program,
        action="append",
        metavar="NAME=COMMAND",
        help="run COMMAND for the application program NAME (e.g. blender=/opt/blender/blender); "
        "repeatable",
    )
    start = p.add_mutually_exclusive_group()
    start.add_argument(
        "--nimby",
        dest="nimby",
        action="store_const",
        const="nimby",
        help="start in nimby: only the render's user's jobs run here",
    )
    start.add_argument(
        "--NIMBY",
        dest="nimby",
        action="store_const",
        const="NIMBY",
        help="start in NIMBY: no task starts here",
    )
    p.add_argument("--paused", action="store_true", default=None, help="start paused")
    p.add_argument(
        "--exit-no-task",
        type=_seconds,
        metavar="S",
        help="exit (code 0) after S seconds without any task (cloud hosts)",
    )
    p.add_argument(
        "--on-exit",
        choices=["finish", "return", "kill"],
        help="on SIGTERM/SIGINT: finish the running tasks (taking no new one), return them to "
        "the server at once (default), or kill them without reporting",
    )
    p.add_argument(
        "--log-file",
        metavar="FILE",
        help="also log to FILE as JSON lines (time, level, logger, message)",
    )
    p.add_argument(
        "--config",
        metavar="FILE",
        help="TOML settings file (default: render.toml in the user config directory, if any); "
        "flags beat $CORRAL_SERVER, $CORRAL_RENDER_NAME, $CORRAL_MAX_TASKS, $CORRAL_CAPACITY, "
        "which beat the file",
    )
    p.set_defaults(func=cmd_render, usage_parser=p)
    _add_render_set(p, common)

    # up
    p = verbs.add_parser(
        "up",
        parents=[logging_opts],
        help="run a server and a local render: a farm on this machine",
        description="Run a server on loopback and one render on this machine in one process.",
    )
    p.add_argument("--port", type=_port, default=51000, help="port to listen on (default: 51000)")
    p.add_argument("--data", metavar="DIR", help="data directory (default: the user data dir)")
    p.add_argument("--max-tasks", type=_positive_int, metavar="N", help="tasks run at once")
    p.set_defaults(func=cmd_up, usage_parser=p)

    # monitor, tray
    p = verbs.add_parser(
        "monitor",
        help="open the monitor window",
        description="Open the monitor window (needs PyQt6); the saved settings fill in the rest.",
    )
    p.add_argument("--server", metavar="URL", default=argparse.SUPPRESS, help="server URL")
    p.add_argument("--user", metavar="NAME", help="user name")
    p.set_defaults(func=cmd_monitor)
    p = verbs.add_parser(
        "tray",
        help="run a render client with a tray icon (workstations)",
        description="Run a render on this host with a tray icon for NIMBY and pause (needs PyQt6).",
    )
    p.add_argument("--server", metavar="URL", default=argparse.SUPPRESS, help="server URL")
    p.add_argument("--user", metavar="NAME", help="user name (the render's owner)")
    p.add_argument("--name", help="render name (default: the host name)")
    p.add_argument("--max-tasks", type=_positive_int, metavar="N", help="tasks run at once")
    p.add_argument("--capacity", type=_positive_int, metavar="C", help="capacity of this render")
    p.add_argument("--paused", action="store_true", default=None, help="start paused")
    p.set_defaults(func=cmd_tray)

    # submit
    p = verbs.add_parser(
        "submit",
        parents=[common],
        help="submit a job from a JSON file or a command line",
        usage=_SUBMIT_USAGE,
        epilog=_SUBMIT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Submit a job. Prints 'Job N submitted' ({\"id\": N} with --json).",
    )
    p.add_argument("file", nargs="?", metavar="FILE", help="job JSON file, '-' for stdin")
    p.add_argument("--name", help="job name (default: the command's program name)")
    p.add_argument(
        "--frames",
        type=parse_frames,
        metavar="RANGE",
        help="frames FIRST-LAST or FIRST-LASTxSTEP (e.g. 1-100x2)",
    )
    p.add_argument("--fpt", type=int, metavar="N", help="frames per task (default: 1)")
    p.add_argument("--service", help="service (default: generic); see `corral services`")
    p.add_argument("--scene", metavar="FILE", help="scene file: the service writes the command")
    p.add_argument("--output", metavar="PATH", help="output path for --scene (e.g. /out/f_####)")
    p.add_argument(
        "--option",
        dest="options",
        type=_option,
        action="append",
        metavar="KEY=VALUE",
        help="a service option for --scene (e.g. engine=CYCLES); repeatable",
    )
    p.add_argument(
        "--platform",
        choices=("linux", "windows", "darwin"),
        help="the renders' platform for --scene's command line (default: this host's)",
    )
    p.add_argument("--priority", type=int, help="job priority, 0-250 (default: 99)")
    p.add_argument("--user", help="user name (default: your login)")
    p.add_argument("--cwd", metavar="DIR", help="working directory of the tasks")
    p.add_argument("--paused", action="store_true", help="submit the job paused (offline)")
    p.set_defaults(func=cmd_submit, command=None, usage_parser=p)

    # jobs
    p = verbs.add_parser("jobs", parents=[common], help="list jobs")
    p.set_defaults(func=cmd_jobs)

    _add_job_verbs(verbs, common)
    _add_task_verbs(verbs, common)

    p = verbs.add_parser(
        "services", parents=[common], help="list the services and parsers this host has"
    )
    p.add_argument("--plugins", metavar="DIR", help="also load the *.py plugins of DIR")
    p.set_defaults(func=cmd_services, usage_parser=p)

    p = verbs.add_parser("users", parents=[common], help="list users")
    p.set_defaults(func=cmd_users)
    p = verbs.add_parser("user", parents=[common], help="change a user's settings")
    user_verbs = p.add_subparsers(dest="user_verb", metavar="ACTION", required=True)
    q = user_verbs.add_parser(
        "set", parents=[common], help="change settings: priority, max_running_tasks, ..."
    )
    q.add_argument("name", metavar="NAME")
    _settings_arg(q)
    q.set_defaults(func=cmd_user_set, usage_parser=q)

    p = verbs.add_parser("renders", parents=[common], help="list renders")
    p.set_defaults(func=cmd_renders)
    p = verbs.add_parser(
        "render-ctl",
        parents=[common],
        help="act on renders: nimby, NIMBY, free, pause, unpause, eject, exit, delete",
        description="Act on renders. nimby: only the render's user's jobs start there; "
        "NIMBY: no new task starts; free: both off; eject: stop its tasks (ready again); "
        "eject-not-mine: those of other users; exit: the render client exits; delete: forget "
        "an offline render.",
    )
    p.add_argument("action", choices=RENDER_ACTIONS, metavar="ACTION")
    p.add_argument("names", nargs="*", metavar="NAME")
    _mask_arg(p, "render")
    p.set_defaults(func=cmd_render_ctl, usage_parser=p)

    _add_pool_verbs(verbs, common)
    return parser


def _mask_arg(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument(
        "--mask",
        type=_regex,
        metavar="REGEX",
        help=f"act on every {what} whose whole name matches REGEX (instead of naming them)",
    )


def _add_pool_verbs(verbs: Any, common: argparse.ArgumentParser) -> None:
    p = verbs.add_parser("pools", parents=[common], help="list pools with their effective settings")
    p.set_defaults(func=cmd_pools)
    p = verbs.add_parser("pool", parents=[common], help="add, change or delete a pool")
    pool_verbs = p.add_subparsers(dest="pool_verb", metavar="ACTION", required=True)
    q = pool_verbs.add_parser(
        "add",
        parents=[common],
        help="add a pool: pool add /gpu/ pattern=gpu.* capacity_host=2000",
        description="Add a pool (its parent must exist). Renders whose names fully match its "
        "pattern move into it. Settings not given are inherited (-1).",
    )
    q.add_argument("path", metavar="PATH", help="pool path, e.g. /gpu/ or /gpu/big/")
    q.add_argument(
        "settings", nargs="*", type=parse_setting, metavar="KEY=VALUE", help=_SETTINGS_HELP
    )
    q.set_defaults(func=cmd_pool_add, usage_parser=q)
    q = pool_verbs.add_parser(
        "set",
        parents=[common],
        help="change a pool's settings: capacity_host=2000 ...",
        description="Change a pool's settings: pattern, priority, paused, capacity_host, "
        "max_tasks_host, power_host, properties_host, services, services_disabled, "
        "heartbeat_period, zombie_time, sick_errors_count, tickets_pool, tickets_host, "
        "annotation. -1 (or empty) inherits from the parent pool.",
    )
    q.add_argument("path", metavar="PATH")
    _settings_arg(q)
    q.set_defaults(func=cmd_pool_set, usage_parser=q)
    q = pool_verbs.add_parser(
        "delete",
        parents=[common],
        help="delete a pool without child pools (its renders go to the next pool matching them)",
    )
    q.add_argument("path", metavar="PATH")
    q.set_defaults(func=cmd_pool_delete)


_SETTINGS_HELP = 'values are JSON when they parse (120, true, {"/gpu/": 10}), else text'


def _settings_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "settings", nargs="+", type=parse_setting, metavar="KEY=VALUE", help=_SETTINGS_HELP
    )


def _add_job_verbs(verbs: Any, common: argparse.ArgumentParser) -> None:
    p = verbs.add_parser("job", parents=[common], help="show, change or act on jobs")
    job_verbs = p.add_subparsers(dest="job_verb", metavar="ACTION", required=True)
    q = job_verbs.add_parser("show", parents=[common], help="show jobs and their blocks")
    q.add_argument("ids", nargs="+", type=int, metavar="ID")
    q.set_defaults(func=cmd_job_show)
    for action, (_, text) in _JOB_VERBS.items():
        q = job_verbs.add_parser(action, parents=[common], help=text)
        q.add_argument("ids", nargs="*", type=int, metavar="ID")
        _mask_arg(q, "job")
        q.set_defaults(func=cmd_job_action, action=action, usage_parser=q)
    q = job_verbs.add_parser(
        "set", parents=[common], help="change a job's (or a block's) settings: priority=120 ..."
    )
    q.add_argument("id", type=int, metavar="ID")
    q.add_argument("--block", type=_block_number, metavar="N", help="change block N instead")
    _settings_arg(q)
    q.set_defaults(func=cmd_job_set, usage_parser=q)
    q = job_verbs.add_parser("move", parents=[common], help="move a job in its user's queue")
    q.add_argument("id", type=int, metavar="ID")
    q.add_argument("to", choices=_MOVES, help="where: " + ", ".join(_MOVES))
    q.set_defaults(func=cmd_job_move)
    q = job_verbs.add_parser(
        "why", parents=[common], help="why a job runs or not, render by render"
    )
    q.add_argument("id", type=int, metavar="ID")
    q.set_defaults(func=cmd_job_why)


def _add_task_verbs(verbs: Any, common: argparse.ArgumentParser) -> None:
    p = verbs.add_parser("task", parents=[common], help="show tasks, their output, act on them")
    task_verbs = p.add_subparsers(dest="task_verb", metavar="ACTION", required=True)
    q = task_verbs.add_parser("show", parents=[common], help="show a task and its runs")
    _task_key_args(q)
    q.set_defaults(func=cmd_task_show)
    q = task_verbs.add_parser("log", parents=[common], help="print the output of a task run")
    _task_key_args(q)
    q.add_argument("--run", type=_positive_int, metavar="N", help="run number (default: latest)")
    q.set_defaults(func=cmd_task_log)
    q = task_verbs.add_parser(
        "do",
        parents=[common],
        help="skip, restart, ... tasks of a block",
        description="Apply ACTION to tasks of a block (all of them when no TASK is given). "
        "ACTION is one of: " + ", ".join(TASK_ACTIONS) + ".",
    )
    q.add_argument("action", choices=TASK_ACTIONS, metavar="ACTION")
    q.add_argument("job", type=int, metavar="JOB")
    q.add_argument("block", type=_block_number, metavar="BLOCK")
    q.add_argument("tasks", nargs="*", type=_task_number, metavar="TASK")
    q.set_defaults(func=cmd_task_do)


def _add_render_set(render: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    """``corral render set NAME KEY=VALUE...``: a sub-verb of ``render``, which runs a render
    client when no sub-verb is given."""
    render_verbs = render.add_subparsers(dest="render_verb", metavar="ACTION", required=False)
    q = render_verbs.add_parser(
        "set",
        parents=[common],
        help="change a render's settings",
        description="Change a render's settings: user_name, nimby, paused, priority, pool, "
        "services_disabled.",
    )
    q.add_argument("name", metavar="NAME")
    _settings_arg(q)
    q.set_defaults(func=cmd_render_set, usage_parser=q)


def _task_key_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("job", type=int, metavar="JOB")
    p.add_argument("block", type=int, metavar="BLOCK")
    p.add_argument("task", type=int, metavar="TASK")


def split_command(argv: list[str]) -> tuple[list[str], list[str] | None]:
    """Split ``argv`` at the first ``--``: (options, command words or None)."""
    if "--" in argv:
        i = argv.index("--")
        return argv[:i], argv[i + 1 :]
    return argv, None


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Parse a command line (raises SystemExit like argparse). For ``submit``, the words after
    ``--`` are the command, in ``args.command``."""
    argv = list(argv)
    parser = build_parser()
    head, command = split_command(argv)
    args = parser.parse_args(head)
    if args.verb == "submit":
        args.command = command
    elif command is not None:
        args = parser.parse_args(argv)  # no other verb takes "--": let argparse judge
    return args


# -- output ------------------------------------------------------------------------------------


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


def _counts(item: dict) -> str:
    return f"{item.get('tasks_done', 0)}/{item.get('tasks_total', 0)}"


def _client(args: argparse.Namespace) -> Client:
    return Client(args.server or default_server())


# -- client verbs ------------------------------------------------------------------------------


def _read_job_file(name: str) -> dict:
    label = "stdin" if name == "-" else name
    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise CorralError(f"cannot read job file {label}: {reason}") from None
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


def _scene_job(args: argparse.Namespace) -> dict:
    """A numeric job whose command the service writes for a scene file."""
    from app.services import get_service
    from app.services.base import host_platform

    if args.file is not None or args.command is not None:
        raise UsageError("--scene replaces the job FILE and the command after --")
    if not args.service or args.service == "generic":
        raise UsageError("--scene needs --service (see `corral services`)")
    if args.frames is None:
        raise UsageError("--scene needs --frames")
    service = get_service(args.service)
    if service.name != args.service:
        raise UsageError(f"unknown service {args.service!r} (see `corral services`)")
    try:
        command = service.batch_command(
            args.scene, args.output or "", args.platform or host_platform(),
            **dict(args.options or []),
        )  # fmt: skip
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    first, last, step = args.frames
    name = args.name or os.path.basename(args.scene) or args.service
    return numeric_job(
        name, command, first, last, per_task=args.fpt or 1, inc=step, service=service.name,
        user_name=args.user, priority=args.priority, working_directory=args.cwd,
        paused=args.paused,
    )  # fmt: skip


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
    if args.file is not None:
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
        job = _read_job_file(args.file)
        if args.name is not None:
            job["name"] = args.name
        if args.user is not None:
            job["user_name"] = args.user
        if args.priority is not None:
            job["priority"] = args.priority
        if args.paused:
            job["offline"] = True
        return job

    if not args.command:
        raise UsageError("the command after -- is empty")
    command = build_command(args.command)
    name = args.name or os.path.basename(args.command[0]) or "command"
    common = {
        "service": args.service or "generic",
        "user_name": args.user,
        "priority": args.priority,
        "working_directory": args.cwd,
        "paused": args.paused,
    }
    if args.frames is None:
        if args.fpt is not None:
            raise UsageError("--fpt needs --frames")
        if has_frame_pattern(command):
            raise UsageError("the command uses @#@ frame patterns: give --frames")
        return tasks_job(name, [(name, command)], **common)
    first, last, step = args.frames
    per_task = args.fpt if args.fpt is not None else 1
    return numeric_job(name, command, first, last, per_task=per_task, inc=step, **common)


def cmd_submit(args: argparse.Namespace) -> int:
    job = make_submit_job(args)
    try:
        job_id = _client(args).submit(job)
    except CorralError as exc:
        if exc.status in (400, 422) and not exc.message.lower().startswith("invalid job"):
            raise CorralError(
                f"invalid job: {exc.detail()}", status=exc.status, field=exc.field
            ) from None
        raise
    if args.json:
        _print_json({"id": job_id})
    else:
        print(f"Job {job_id} submitted")
    return 0


def _printed_raw_or_empty(args: argparse.Namespace, items: list, empty: str) -> bool:
    """For list verbs: print the raw JSON (--json) or the empty message; True if done."""
    if args.json:
        _print_json(items)
    elif not items:
        print(empty)
    return args.json or not items


def cmd_services(args: argparse.Namespace) -> int:
    """The services and parsers found here (built-in, entry points, --plugins), with sources."""
    from app.parsers import PARSERS, load_parsers
    from app.services import SERVICES, load_services

    if args.plugins is not None and not Path(args.plugins).is_dir():
        raise UsageError(f"argument --plugins: {args.plugins} is not a directory")
    load_services(args.plugins)
    load_parsers(args.plugins)
    services = [
        {"name": name, "parser": cls.parser, "description": cls.description,
         "options": dict(cls.options), "source": source}
        for name, cls, source in SERVICES.items()
    ]  # fmt: skip
    parsers = [{"name": name, "source": source} for name, _, source in PARSERS.items()]
    if getattr(args, "json", False):
        _print_json({"services": services, "parsers": parsers})
        return 0
    rows = [(s["name"], s["parser"], s["source"], s["description"]) for s in services]
    print(format_table(["SERVICE", "PARSER", "SOURCE", "DESCRIPTION"], rows))
    print()
    print(format_table(["PARSER", "SOURCE"], [(p["name"], p["source"]) for p in parsers]))
    return 0


def cmd_jobs(args: argparse.Namespace) -> int:
    jobs = _client(args).jobs()
    if _printed_raw_or_empty(args, jobs, "No jobs."):
        return 0
    rows = [
        (
            j.get("id"),
            j.get("name"),
            j.get("user_name"),
            j.get("state"),
            j.get("priority"),
            _counts(j),
            j.get("tasks_running", 0),
            j.get("tasks_error", 0),
        )
        for j in jobs
    ]
    print(format_table(["ID", "NAME", "USER", "STATE", "PRI", "DONE/TOTAL", "RUN", "ERR"], rows))
    return 0


def format_job(job: dict) -> str:
    head = f"Job {job.get('id')}: {job.get('name')}"
    user = job.get("user_name") or "-"
    if job.get("host_name"):
        user = f"{user}@{job['host_name']}"
    tasks = (
        f"{_counts(job)} done, {job.get('tasks_running', 0)} running, "
        f"{job.get('tasks_error', 0)} error, {job.get('tasks_skipped', 0)} skipped, "
        f"{job.get('tasks_ready', 0)} ready"
    )
    fields = format_fields(
        [
            ("state", job.get("state")),
            ("user", user),
            ("priority", job.get("priority")),
            ("tasks", tasks),
            ("created", format_time(job.get("time_created"))),
            ("started", format_time(job.get("time_started"))),
            ("done", format_time(job.get("time_done"))),
        ]
    )
    blocks = format_table(
        ["BLOCK", "NAME", "SERVICE", "STATE", "DONE/TOTAL", "RUN", "ERR"],
        [
            (
                b.get("num"),
                b.get("name"),
                b.get("service"),
                b.get("state"),
                _counts(b),
                b.get("tasks_running", 0),
                b.get("tasks_error", 0),
            )
            for b in job.get("blocks") or []
        ],
    )
    indented = "\n".join("  " + line for line in fields.splitlines())
    return f"{head}\n{indented}\n\n{blocks}"


def cmd_job_show(args: argparse.Namespace) -> int:
    client = _client(args)
    jobs, failed = [], False
    for job_id in args.ids:
        try:
            jobs.append(client.job(job_id))
        except CorralError as exc:
            if exc.status is None:
                raise
            _error(exc.detail())
            failed = True
    if args.json:
        if jobs:
            _print_json(jobs[0] if len(args.ids) == 1 else jobs)
    elif jobs:
        print("\n\n".join(format_job(j) for j in jobs))
    return 1 if failed else 0


def _act_on_each(
    args: argparse.Namespace,
    items: Sequence[Any],
    act: Callable[[Any], Any],
    label: str,
    done_text: str,
) -> int:
    """act(item) for each item (a job id or a render name): ``LABEL ITEM DONE_TEXT`` lines, or
    a JSON list of the answers.

    An item the server refuses is reported and the others are still done; then exit 1.
    """
    key = "id" if label == "Job" else "name"
    results, failed = [], False
    for item in items:
        try:
            answer = act(item)
        except CorralError as exc:
            if exc.status is None:
                raise
            _error(exc.detail())
            results.append({key: item, "ok": False, "error": exc.detail()})
            failed = True
            continue
        result = {key: item}
        result.update(answer if isinstance(answer, dict) else {"ok": True})
        results.append(result)
        if not args.json:
            print(f"{label} {item} {done_text}")
    if args.json:
        _print_json(results)
    return 1 if failed else 0


def _check_selection(items: Sequence[Any], mask: str | None, what: str) -> None:
    if items and mask is not None:
        raise UsageError(f"give {what}s or --mask, not both")
    if not items and mask is None:
        raise UsageError(f"the following arguments are required: {what} (or --mask REGEX)")


def _act_on_mask(
    args: argparse.Namespace, chosen: Sequence[Any], label: str, done_text: str
) -> int:
    """The answer of a bulk action by mask, printed like :func:`_act_on_each`."""
    key = "id" if label == "Job" else "name"
    if args.json:
        _print_json([{key: item, "ok": True} for item in chosen])
    elif not chosen:
        print(f"No {label.lower()} name matches {args.mask!r}")
    else:
        print("\n".join(f"{label} {item} {done_text}" for item in chosen))
    return 0


def cmd_job_action(args: argparse.Namespace) -> int:
    client = _client(args)
    done = _JOB_VERBS[args.action][0]
    _check_selection(args.ids, args.mask, "ID")
    if args.mask is not None:
        answer = client.jobs_action(args.action, mask=args.mask)
        return _act_on_mask(args, answer.get("jobs") or [], "Job", done)
    if args.action == "delete":
        return _act_on_each(args, args.ids, client.delete_job, "Job", done)
    return _act_on_each(args, args.ids, lambda i: client.job_action(i, args.action), "Job", done)


def _edit(change: Callable[..., Any], *params: Any) -> Any:
    """change(*params); a refused value becomes ``invalid: FIELD: reason``."""
    try:
        return change(*params)
    except CorralError as exc:
        if exc.status == 400:
            message = f"invalid: {exc.detail()}"
            raise CorralError(message, status=exc.status, field=exc.field) from None
        raise


def cmd_job_set(args: argparse.Namespace) -> int:
    settings = settings_dict(args.settings)
    job = _edit(_client(args).edit_job, args.id, settings, args.block)
    if args.json:
        _print_json(job)
    else:
        print(format_job(job))
    return 0


def cmd_job_move(args: argparse.Namespace) -> int:
    answer = _client(args).move_job(args.id, args.to)
    if args.json:
        _print_json({"id": args.id, **(answer if isinstance(answer, dict) else {"ok": True})})
    else:
        where = f"to the {args.to}" if args.to in ("top", "bottom") else args.to
        print(f"Job {args.id} moved {where}")
    return 0


def format_explain(answer: dict) -> str:
    """The explainer's answer: the job's state, then one line per online render."""
    head = (
        f"Job {answer.get('job')}: {answer.get('state') or '-'}, {answer.get('running', 0)} running"
    )
    renders = answer.get("renders") or []
    if not renders:
        return head + "\nNo online renders."
    rows = [(r.get("render"), r.get("reason")) for r in renders]
    return head + "\n\n" + format_table(["RENDER", "REASON"], rows)


def cmd_job_why(args: argparse.Namespace) -> int:
    answer = _client(args).explain(args.id)
    if args.json:
        _print_json(answer)
    else:
        print(format_explain(answer))
    return 0


def format_task(job_id: int, block: int, task: dict) -> str:
    frames = None
    if task.get("frame_start") is not None:
        start, end = task.get("frame_start"), task.get("frame_end")
        frames = start if end in (None, start) else f"{start}-{end}"
    head = f"Task {job_id}/{block}/{task.get('num')}: {task.get('name')}"
    fields = format_fields(
        [
            ("state", task.get("state")),
            ("frames", frames),
            ("command", task.get("command")),
            ("directory", task.get("working_directory")),
            ("render", task.get("render")),
            ("starts", task.get("starts")),
            ("errors", task.get("errors")),
            ("started", format_time(task.get("time_start"))),
            ("done", format_time(task.get("time_done"))),
        ]
    )
    env = task.get("environment") or {}
    if env:
        fields += "\nenvironment\n" + "\n".join(f"  {k}={v}" for k, v in sorted(env.items()))
    out = head + "\n" + "\n".join("  " + line for line in fields.splitlines())
    runs = task.get("runs") or []
    if runs:
        table = format_table(
            ["RUN", "RENDER", "STATE", "EXIT", "SIGNAL", "STARTED", "TIME", "ERROR"],
            [
                (
                    r.get("run"),
                    r.get("render"),
                    r.get("state"),
                    r.get("exit_code"),
                    r.get("signal"),
                    format_time(r.get("time_start")),
                    format_duration(r.get("time_start"), r.get("time_done")),
                    r.get("error"),
                )
                for r in runs
            ],
        )
        out += "\n\n" + table
    return out


def cmd_task_show(args: argparse.Namespace) -> int:
    task = _client(args).task(args.job, args.block, args.task)
    if args.json:
        _print_json(task)
    else:
        print(format_task(args.job, args.block, task))
    return 0


def cmd_task_log(args: argparse.Namespace) -> int:
    client = _client(args)
    run = args.run
    if run is None:
        task = client.task(args.job, args.block, args.task)
        runs = [r.get("run") for r in task.get("runs") or [] if isinstance(r.get("run"), int)]
        if not runs:
            raise CorralError(f"task {args.job}/{args.block}/{args.task} has not run yet")
        run = max(runs)
    text = client.task_output(args.job, args.block, args.task, run)
    if args.json:
        _print_json(
            {"job": args.job, "block": args.block, "task": args.task, "run": run, "output": text}
        )
        return 0
    sys.stdout.write(text)
    if text and not text.endswith("\n"):
        sys.stdout.write("\n")
    return 0


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def cmd_task_do(args: argparse.Namespace) -> int:
    tasks = args.tasks or None  # no task numbers: every task of the block
    answer = _client(args).task_actions(args.job, args.block, args.action, tasks)
    if args.json:
        _print_json(answer)
    else:
        print(f"{_plural(int(answer.get('count', 0)), 'task')} changed")
    return 0


def _limit(value: Any) -> Any:
    """-1 (no limit) as ``-``."""
    return None if isinstance(value, int) and value < 0 else value


def _need(value: Any) -> Any:
    return f"{value:.1f}" if isinstance(value, (int, float)) else value


def cmd_users(args: argparse.Namespace) -> int:
    users = _client(args).users()
    if _printed_raw_or_empty(args, users, "No users."):
        return 0
    rows = [
        (
            u.get("name"),
            u.get("priority"),
            u.get("running_tasks", 0),
            _limit(u.get("max_running_tasks")),
            u.get("solve_method"),
            _need(u.get("need")),
        )
        for u in users
    ]
    print(format_table(["NAME", "PRI", "RUN", "MAX_RUN", "SOLVE", "NEED"], rows))
    return 0


def _user_value(key: str, value: Any) -> Any:
    if key.startswith("time_"):
        return format_time(value)
    return None if value == "" else value


def format_user(user: dict) -> str:
    fields = format_fields((k, _user_value(k, v)) for k, v in user.items() if k != "name")
    return f"User {user.get('name')}\n" + "\n".join("  " + line for line in fields.splitlines())


def cmd_user_set(args: argparse.Namespace) -> int:
    user = _edit(_client(args).edit_user, args.name, settings_dict(args.settings))
    if args.json:
        _print_json(user)
    else:
        print(format_user(user))
    return 0


def _render_tasks(render: dict) -> Any:
    running = render.get("tasks", render.get("running", render.get("tasks_running")))
    if isinstance(running, (list, tuple, dict)):
        running = len(running)
    limit = render.get("max_tasks")
    if running is None:
        return limit
    return f"{running}/{limit}" if limit is not None else running


def _render_capacity(render: dict) -> Any:
    used = render.get("capacity_used")
    total = render.get("capacity")
    if used is None:
        return total
    return f"{used}/{total}" if total is not None else used


def cmd_renders(args: argparse.Namespace) -> int:
    renders = _client(args).renders()
    if _printed_raw_or_empty(args, renders, "No renders."):
        return 0
    rows = [
        (
            r.get("name"),
            r.get("state"),
            _render_tasks(r),
            _render_capacity(r),
            r.get("nimby"),
            r.get("paused"),
            r.get("pool"),
            r.get("user_name") or None,
        )
        for r in renders
    ]
    headers = ["NAME", "STATE", "TASKS", "CAPACITY", "NIMBY", "PAUSED", "POOL", "USER"]
    print(format_table(headers, rows))
    return 0


def cmd_render_ctl(args: argparse.Namespace) -> int:
    client = _client(args)
    done = _RENDER_VERBS.get(args.action, args.action)
    _check_selection(args.names, args.mask, "NAME")
    if args.mask is not None:
        answer = client.renders_action(args.action, mask=args.mask)
        return _act_on_mask(args, answer.get("renders") or [], "Render", done)

    def act(name: str) -> dict:
        return client.render_action(name, args.action)

    return _act_on_each(args, args.names, act, "Render", done)


def format_render(render: dict) -> str:
    fields = format_fields(
        [
            ("state", render.get("state")),
            ("user", render.get("user_name") or None),
            ("nimby", render.get("nimby")),
            ("paused", render.get("paused")),
            ("priority", render.get("priority")),
            ("pool", render.get("pool")),
            ("services disabled", render.get("services_disabled")),
            ("tasks", _render_tasks(render)),
            ("capacity", _render_capacity(render)),
        ]
    )
    lines = "\n".join("  " + line for line in fields.splitlines())
    return f"Render {render.get('name')}\n{lines}"


def cmd_render_set(args: argparse.Namespace) -> int:
    render = _edit(_client(args).edit_render, args.name, settings_dict(args.settings))
    if args.json:
        _print_json(render)
    else:
        print(format_render(render))
    return 0


def _some_names(names: Any, shown: int = 4) -> Any:
    """At most ``shown`` names, then ``+N``: a pool may hold hundreds of renders."""
    if not isinstance(names, list) or len(names) <= shown:
        return names
    return names[:shown] + [f"+{len(names) - shown}"]


def format_pools(answer: dict) -> str:
    """The pools table from the "effective" settings, parents before their children."""
    effective = answer.get("effective") or {}
    rows = [
        (
            path,
            pool.get("capacity_host"),
            pool.get("max_tasks_host"),
            pool.get("priority"),
            pool.get("paused"),
            pool.get("services"),
            pool.get("services_disabled"),
            _some_names(pool.get("renders")),
        )
        for path, pool in sorted(effective.items())  # sorted paths keep subtrees together
    ]
    headers = ["PATH", "CAPACITY", "MAX_TASKS", "PRIORITY", "PAUSED", "SERVICES", "DISABLED"]
    return format_table(headers + ["RENDERS"], rows)


def pool_key(path: str) -> str:
    """``/gpu/`` from ``gpu``, ``/gpu`` or ``/gpu/``, as the server names pools."""
    inner = path.strip("/")
    return f"/{inner}/" if inner else "/"


def format_pool(path: str, answer: dict) -> str:
    """One pool: its pattern and effective settings, ``(inherited)`` where its own is -1."""
    key = pool_key(path)
    own = (answer.get("pools") or {}).get(key)
    pool = (answer.get("effective") or {}).get(key)
    if not isinstance(own, dict) or not isinstance(pool, dict):
        return f"Pool {key}"

    def value(name: str) -> Any:
        if own.get(name) == -1 and key != "/":
            return f"{_cell(pool.get(name))} (inherited)"
        return pool.get(name)

    fields = format_fields(
        [
            ("pattern", own.get("pattern") or None),
            ("capacity", value("capacity_host")),
            ("max tasks", value("max_tasks_host")),
            ("priority", pool.get("priority")),
            ("paused", pool.get("paused")),
            ("properties", pool.get("properties") or None),
            ("services", pool.get("services")),
            ("disabled", pool.get("services_disabled")),
            ("heartbeat", value("heartbeat_period")),
            ("zombie time", value("zombie_time")),
            ("renders", pool.get("renders")),
            ("annotation", own.get("annotation") or None),
        ]
    )
    return f"Pool {key}\n" + "\n".join("  " + line for line in fields.splitlines())


def cmd_pools(args: argparse.Namespace) -> int:
    answer = _client(args).pools()
    if args.json:
        _print_json(answer)
    else:
        print(format_pools(answer))
    return 0


def _pool_answer(args: argparse.Namespace, answer: dict) -> int:
    if args.json:
        _print_json(answer)
    else:
        print(format_pool(args.path, answer))
    return 0


def cmd_pool_add(args: argparse.Namespace) -> int:
    settings = settings_dict(args.settings)
    if "path" in settings:
        raise UsageError("the pool's path is PATH, not a setting")
    return _pool_answer(args, _edit(_client(args).add_pool, args.path, settings))


def cmd_pool_set(args: argparse.Namespace) -> int:
    settings = settings_dict(args.settings)
    return _pool_answer(args, _edit(_client(args).edit_pool, args.path, settings))


def cmd_pool_delete(args: argparse.Namespace) -> int:
    answer = _client(args).delete_pool(args.path)
    if args.json:
        _print_json(answer)
    else:
        print(f"Pool {pool_key(args.path)} deleted")
    return 0


# -- long-running verbs ------------------------------------------------------------------------


def _setup_logging(level: str) -> None:
    import logging

    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def _data_dir(value: str | None) -> Path:
    if value:
        return Path(value).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("corral"))


def run_service(make_coro: Callable[[], Coroutine[Any, Any, Any]], what: str) -> int:
    """Run a long-lived coroutine until it ends or SIGINT/SIGTERM cancels it.

    The first signal cancels the coroutine, which cleans up (stops tasks, closes sockets) and
    ends; a second signal while it is cleaning up exits at once. Returns the exit code.
    """
    import asyncio
    import signal

    async def runner() -> bool:
        loop = asyncio.get_running_loop()
        task = asyncio.ensure_future(make_coro())
        stopping = []

        def on_signal(signame: str) -> None:
            if stopping:
                print(f"corral: {signame} again: exiting without cleanup", file=sys.stderr)
                sys.stderr.flush()
                os._exit(130)
            stopping.append(signame)
            print(f"corral: {signame}: stopping the {what}...", file=sys.stderr)
            task.cancel()

        installed = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, on_signal, sig.name)
                installed.append(sig)
            except (NotImplementedError, RuntimeError, ValueError):
                pass  # Windows, or not the main thread: KeyboardInterrupt still works
        try:
            await task
        except asyncio.CancelledError:
            if not (stopping and task.cancelled()):
                raise
        finally:
            for sig in installed:
                loop.remove_signal_handler(sig)
        return bool(stopping)

    try:
        stopped = asyncio.run(runner())
    except KeyboardInterrupt:
        stopped = True
    except OSError as exc:  # typically: the port is in use
        print(f"corral: the {what} failed: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        import traceback

        traceback.print_exc()
        print(f"corral: the {what} failed: {exc}", file=sys.stderr)
        return 1
    if stopped:
        print(f"corral: the {what} stopped", file=sys.stderr)
    return 0


def _import_failed(what: str, exc: ImportError) -> int:
    print(f"corral: the {what} is not available: {exc}", file=sys.stderr)
    return 1


def cmd_server(args: argparse.Namespace) -> int:
    from app.server.config import ServerConfig

    options = {
        "data_dir": _data_dir(args.data),
        "host": args.host,
        "port": args.port,
        "db_url": args.db,
        "farm_file": args.farm,
    }
    for name, value in (
        ("heartbeat_period", args.heartbeat),
        ("zombie_time", args.zombie_time),
        ("reconnect_grace", args.reconnect_grace),
    ):
        if value is not None:
            options[name] = value
    try:
        config = ServerConfig(**options)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    try:
        from app.server.main import serve
    except ImportError as exc:
        return _import_failed("server", exc)
    if not is_loopback(config.host):
        print(
            f"corral: warning: listening on {config.host}: no authentication yet: "
            "anyone who can reach this port controls the farm",
            file=sys.stderr,
        )
    config.data_dir.mkdir(parents=True, exist_ok=True)
    _setup_logging(args.log_level)
    return run_service(lambda: serve(config), "server")


def make_render_config(
    server_url: str,
    name: str | None = None,
    max_tasks: int | None = None,
    capacity: int | None = None,
    heartbeat: float | None = None,
    wol_target: str | None = None,
    sleep_command: str | None = None,
    path_map: str | None = None,
    plugins_dir: str | None = None,
    **more: Any,
) -> Any:
    """The render's settings; `more` are further RenderConfig fields (None: the default)."""
    from app.core.errors import SpecError
    from app.core.path_maps import PathMap
    from app.render.config import RenderConfig

    options: dict[str, Any] = {"server_url": server_url, "name": name or socket.gethostname()}
    if path_map is not None:
        try:
            options["path_map"] = PathMap.parse(path_map)
        except SpecError as exc:
            raise UsageError(f"argument --path-map: {exc}") from None
    for key, value in (
        ("max_tasks", max_tasks),
        ("capacity", capacity),
        ("heartbeat_period", heartbeat),
        ("wol_target", wol_target),
        ("sleep_command", sleep_command),
        ("plugins_dir", plugins_dir),
        *more.items(),
    ):
        if value is not None:
            options[key] = value
    try:
        return RenderConfig(**options)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


_RENDER_FLAGS = (  # `corral render` options that a settings file may also give
    "server", "name", "max_tasks", "capacity", "heartbeat", "wol_target", "sleep_command",
    "path_map", "plugins", "programs", "nimby", "paused", "exit_no_task", "on_exit", "log_file",
)  # fmt: skip


def render_settings(args: argparse.Namespace, environ: Any = None) -> dict[str, Any]:
    """The render's settings: flags > environment > settings file > defaults (left out)."""
    from app.render import settings_file

    flags = {key: getattr(args, key, None) for key in _RENDER_FLAGS}
    if flags["programs"] is not None:
        flags["programs"] = dict(flags["programs"])
    try:
        return settings_file.resolve(flags, os.environ if environ is None else environ,
                                     args.config)  # fmt: skip
    except settings_file.SettingsError as exc:
        raise UsageError(str(exc)) from None


def cmd_render(args: argparse.Namespace) -> int:
    from app.api import DEFAULT_SERVER

    settings = render_settings(args)
    server = settings.pop("server", None) or DEFAULT_SERVER
    try:
        config = make_render_config(
            server,
            settings.pop("name", None),
            settings.pop("max_tasks", None),
            settings.pop("capacity", None),
            settings.pop("heartbeat", None),
            settings.pop("wol_target", None),
            settings.pop("sleep_command", None),
            settings.pop("path_map", None),
            settings.pop("plugins", None),
            nimby=settings.pop("nimby", None),
            paused=settings.pop("paused", None),
            exit_no_task=settings.pop("exit_no_task", None),
            on_exit=settings.pop("on_exit", None),
            programs=settings.pop("programs", None),
        )
        from app.render.agent import run_render
    except ImportError as exc:
        return _import_failed("render", exc)
    if config.plugins_dir is not None and not config.plugins_dir.is_dir():
        raise UsageError(f"argument --plugins: {config.plugins_dir} is not a directory")
    log_file = settings.pop("log_file", None)
    _setup_logging(args.log_level)
    if log_file is not None:
        try:
            add_json_log(Path(log_file).expanduser())
        except OSError as exc:
            raise UsageError(f"argument --log-file: {exc}") from None
    return run_service(lambda: run_render(config), "render")


def add_json_log(path: Path) -> Any:
    """Also log to path, one JSON object a line: time (epoch), level, logger, message (and
    exception, when there is one). Returns the handler."""
    import json
    import logging

    class JsonLines(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            line = {
                "time": record.created,
                "level": record.levelname,
                "logger": record.name,
                "message": record.getMessage(),
            }
            if record.exc_info:
                line["exception"] = self.formatException(record.exc_info)
            return json.dumps(line, ensure_ascii=False)

    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(JsonLines())
    logging.getLogger().addHandler(handler)
    return handler


def cmd_up(args: argparse.Namespace) -> int:
    try:
        from app import up
        from app.server.config import ServerConfig

        server_config = ServerConfig(data_dir=_data_dir(args.data), port=args.port)
        render_config = make_render_config(
            f"http://127.0.0.1:{server_config.port}", max_tasks=args.max_tasks
        )
    except ImportError as exc:
        return _import_failed("farm", exc)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    server_config.data_dir.mkdir(parents=True, exist_ok=True)
    _setup_logging(args.log_level)
    return run_service(lambda: up.run_up(server_config, render_config), "farm")


def cmd_monitor(args: argparse.Namespace) -> int:
    try:
        from app.ui.app import run_monitor
    except ImportError as exc:
        return _import_failed("monitor", exc)
    server = getattr(args, "server", None) or os.environ.get("CORRAL_SERVER")
    return run_monitor(server, args.user)


def cmd_tray(args: argparse.Namespace) -> int:
    try:
        from app.ui.tray import run_tray
    except ImportError as exc:
        return _import_failed("tray", exc)
    render_args = {
        key: value
        for key, value in (("name", args.name), ("max_tasks", args.max_tasks),
                           ("capacity", args.capacity), ("paused", args.paused))
        if value is not None
    }  # fmt: skip
    return run_tray(getattr(args, "server", None) or default_server(), args.user or "", render_args)


# -- entry point -------------------------------------------------------------------------------


def _error(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``corral`` command; return its exit code (0 ok, 1 error, 2 usage error)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    try:
        return args.func(args)
    except UsageError as exc:
        args.usage_parser.print_usage(sys.stderr)
        print(f"{args.usage_parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    except CorralError as exc:
        _error(exc.detail())
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # corral jobs | head
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
