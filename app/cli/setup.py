"""``corral setup server|render|workstation``: a host's first-run configuration, asked for or
given by flags, written to the settings files the services read.

- ``server``: server.toml (app/server/settings_file.py: address, port, data folder, farm name,
  announcement) and the data folder's secret files, the farm secret taken from a file when one
  is given (a farm moving to a new server); with ``--render``, this host's render.toml too.
- ``render``: render.toml (app/render/settings_file.py: server, or the farm to find on the
  network; render name, tasks at once) and a private copy of the farm secret beside it.
- ``workstation``: as ``render``, and the tray started with the desktop session.

Without flags (and without ``--yes``) every setting is asked for on stdin, its default in
brackets (Enter keeps it; the end of input keeps the rest); any flag means no questions, the
defaults standing for what the flags leave out. A file already there gives the defaults and
keeps the keys setup does not ask about. Every answer is checked before anything is written: a
refused one writes nothing. ``corral up`` needs none of this.
"""

from __future__ import annotations

import argparse
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.cli import parsing
from app.cli.parsing import UsageError
from app.credentials import default_data_dir

FARM_SECRET_COPY = "farm-secret"  # the render's copy, beside its render.toml


@dataclass(frozen=True)
class Question:
    """One setting: its flag's dest, the prompt, and how an answer becomes its value
    (ValueError: why not)."""

    dest: str
    text: str
    parse: Callable[[str], Any]


def _yes_no(text: str) -> bool:
    if text.lower() in ("y", "yes", "true", "1"):
        return True
    if text.lower() in ("n", "no", "false", "0"):
        return False
    raise ValueError("answer yes or no")


def _typed(argparse_type: Callable[[str], Any]) -> Callable[[str], Any]:
    """An argparse type as a question's parse (its error as ValueError)."""

    def parse(text: str) -> Any:
        try:
            return argparse_type(text)
        except argparse.ArgumentTypeError as exc:
            raise ValueError(str(exc)) from None

    return parse


def _optional(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """ "-" (or nothing, with no default) leaves the setting out."""
    return lambda text: None if text in ("", "-") else parse(text)


def _url(text: str) -> str:
    from app.settings_files import url

    text = text.rstrip("/")
    if not url(text):
        raise ValueError(f"{text!r} is not an http:// or https:// URL")
    return text


def _text(text: str) -> str:
    if not text:
        raise ValueError("it must not be empty")
    return text


def _path(text: str) -> Path:
    return Path(_text(text)).expanduser()


SERVER_QUESTIONS = (
    Question("host", "Address to listen on (0.0.0.0: every network)", _text),
    Question("port", "Port", _typed(parsing.port)),
    Question("data", "Data folder (jobs, logs, the farm's secrets)", _path),
    Question("farm_name", "Farm name (announced on the network)", _text),
    Question("announce", "Announce the server on the local network (y/n)", _yes_no),
    Question("farm_secret_file", "Farm secret file to keep (- for a new secret)", _optional(_path)),
    Question("render", "Also run a render on this host (y/n)", _yes_no),
)
RENDER_QUESTIONS = (
    Question("server", "Server URL (- to find it on the local network)", _optional(_url)),
    Question("farm_name", "Farm to find (- for the only one that answers)", _optional(_text)),
    Question("farm_secret_file", "Farm secret file (a copy of the server's)", _path),
    Question("name", "Render name", _text),
    Question(
        "max_tasks",
        "Tasks at once (- for what its pool says)",
        _optional(_typed(parsing.positive_int)),
    ),
)
WORKSTATION_QUESTIONS = (
    *RENDER_QUESTIONS,
    Question("tray_at_login", "Start the tray when you log in (y/n)", _yes_no),
)
QUESTIONS = {
    "server": SERVER_QUESTIONS,
    "render": RENDER_QUESTIONS,
    "workstation": WORKSTATION_QUESTIONS,
}


def add_verbs(verbs: Any) -> None:
    p = verbs.add_parser(
        "setup",
        help="configure this host: a farm's server, a render, or a workstation",
        description="Write this host's settings files (asking for each setting, or from flags).",
    )
    roles = p.add_subparsers(dest="role", metavar="ROLE", required=True)
    server = roles.add_parser(
        "server",
        help="this host is the farm's server",
        description="Write server.toml and make the data folder with the farm's secrets. "
        "Without flags each setting is asked for on stdin.",
    )
    server.add_argument("--host", metavar="ADDRESS", help="listen on (default: 0.0.0.0)")
    server.add_argument("--port", type=parsing.port, help="port (default: 51000)")
    server.add_argument(
        "--data", type=Path, metavar="DIR", help="data folder (default: the user data folder)"
    )
    server.add_argument(
        "--farm-name", metavar="NAME", help="the farm's name (default: this host's name)"
    )
    server.add_argument(
        "--announce",
        action=argparse.BooleanOptionalAction,
        help="announce the server on the local network (default: yes)",
    )
    server.add_argument(
        "--farm-secret-file",
        type=Path,
        metavar="FILE",
        help="the farm secret for a new data folder (default: a new one)",
    )
    server.add_argument(
        "--render",
        action=argparse.BooleanOptionalAction,
        help="this host also runs a render (default: no)",
    )
    for role, what in (("render", "a farm host"), ("workstation", "a person's workstation")):
        r = roles.add_parser(
            role,
            help=f"this host is {what}: a render"
            + (" with the tray started at login" if role == "workstation" else ""),
            description="Write render.toml and a private copy of the farm secret beside it. "
            "Without flags each setting is asked for on stdin.",
        )
        r.add_argument(
            "--server",
            type=_url_type,
            metavar="URL",
            help="the server's URL (default: found on the local network at each start)",
        )
        r.add_argument("--farm-name", metavar="NAME", help="the farm to find on the network")
        r.add_argument(
            "--farm-secret-file",
            type=Path,
            metavar="FILE",
            help="a copy of the server's DATA/farm-secret",
        )
        r.add_argument("--name", metavar="NAME", help="render name (default: the host name)")
        r.add_argument(
            "--max-tasks",
            type=parsing.positive_int,
            metavar="N",
            help="tasks at once (default: as its pool says)",
        )
        if role == "workstation":
            r.add_argument(
                "--tray-at-login",
                action=argparse.BooleanOptionalAction,
                help="start the tray with the desktop session (default: yes)",
            )
    for sub in roles.choices.values():
        sub.add_argument(
            "--config-dir",
            type=Path,
            metavar="DIR",
            help="where to write the settings files (default: the user config directory; "
            "the system services read /etc/corral)",
        )
        sub.add_argument(
            "--yes",
            "-y",
            action="store_true",
            help="ask nothing: the defaults for what the flags leave out",
        )
        sub.set_defaults(func=cmd_setup, usage_parser=sub)


def _url_type(text: str) -> str:
    try:
        return _url(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def ask(question: Question, default: Any, read: Callable[[], str], write: Callable) -> Any:
    """The answer to question (default: Enter, or the end of input); a refused answer is said
    and asked again."""
    shown = (
        "-"
        if default is None
        else ("y" if default is True else "n" if default is False else default)
    )
    while True:
        write(f"{question.text} [{shown}]: ")
        line = read()
        if not line:  # end of input
            write("\n")
            return default
        answer = line.strip()
        if not answer and default is not None:
            return default
        try:
            return question.parse(answer)
        except ValueError as exc:
            write(f"  {exc}\n")


def cmd_setup(args: argparse.Namespace) -> int:
    from app import settings_files

    config_dir = args.config_dir or settings_files.config_dir()
    questions = QUESTIONS[args.role]
    given = {q.dest: getattr(args, q.dest) for q in questions}
    plan = ServerSetup(config_dir) if args.role == "server" else RenderSetup(config_dir, args.role)
    try:
        values = plan.defaults()
        values.update({k: v for k, v in given.items() if v is not None})
        if not args.yes and all(v is None for v in given.values()):
            for question in questions:
                values[question.dest] = ask(
                    question, values.get(question.dest), sys.stdin.readline, _say
                )
        written = plan.apply(values)
    except settings_files.SettingsError as exc:
        raise UsageError(str(exc)) from None
    for line in written:
        print(line)
    return 0


def _say(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _secret(path: Path) -> str:
    """The farm secret in path (its first line); UsageError when there is none."""
    from app.render.join_secrets import first_line

    try:
        return first_line(path.expanduser())
    except (OSError, ValueError) as exc:
        raise UsageError(f"the farm secret file: {exc}") from None


def _existing(path: Path, keys: Any) -> dict[str, Any]:
    """The settings already in path (none when it does not exist); a broken file is refused."""
    from app import settings_files

    return settings_files.load(path, keys) if path.is_file() else {}


class ServerSetup:
    """server.toml, the data folder's secrets, and with ``render`` this host's render.toml."""

    def __init__(self, config_dir: Path) -> None:
        from app.server import settings_file

        self.keys = settings_file.KEYS
        self.path = config_dir / settings_file.FILE_NAME
        self.render_path = config_dir / "render.toml"

    def defaults(self) -> dict[str, Any]:
        existing = _existing(self.path, self.keys)
        return {
            "host": existing.get("host", "0.0.0.0"),
            "port": existing.get("port", 51000),
            "data": Path(existing.get("data", default_data_dir())),
            "farm_name": existing.get("farm_name", socket.gethostname()),
            "announce": existing.get("announce", True),
            "farm_secret_file": None,
            "render": False,
        }

    def apply(self, values: dict[str, Any]) -> list[str]:
        from app import settings_files
        from app.cli import up
        from app.render import settings_file as render_file
        from app.server.auth import FARM_SECRET_FILE, SecretFileError, load_or_create, read_secret
        from app.server.config import ServerConfig

        data = Path(values["data"]).expanduser().absolute()
        settings = {
            **_existing(self.path, self.keys),
            "host": values["host"],
            "port": values["port"],
            "data": str(data),
            "farm_name": values["farm_name"],
            "announce": values["announce"],
        }
        settings_files.validate(settings, str(self.path), self.keys)
        secret = _secret(values["farm_secret_file"]) if values["farm_secret_file"] else None
        kept = data / FARM_SECRET_FILE
        try:
            if secret is not None and kept.exists() and read_secret(kept) != secret:
                raise UsageError(
                    f"{kept} holds another farm secret: its renders would be refused; delete it "
                    "first to change the farm's secret"
                )
        except SecretFileError as exc:
            raise UsageError(str(exc)) from None
        render = None
        if values["render"]:
            local = ServerConfig(data_dir=data, host=values["host"], port=values["port"])
            render = {
                **_existing(self.render_path, render_file.KEYS),
                "server": up.local_url(local),
                "farm_secret_file": str(kept),
            }
            settings_files.validate(render, str(self.render_path), render_file.KEYS)
        data.mkdir(parents=True, exist_ok=True)
        try:
            load_or_create(data, secret)
        except (OSError, SecretFileError) as exc:
            raise UsageError(f"the data folder {data}: {exc}") from None
        settings_files.write(self.path, settings, self.keys, "corral server's settings")
        lines = [f"wrote {self.path}", f"the farm's secrets are in {data}"]
        if render is not None:
            settings_files.write(self.render_path, render, render_file.KEYS, HEADER)
            lines.append(f"wrote {self.render_path}")
        lines += [
            f"start the server: corral server{_config_flag(self.path)}"
            + (f"; the render: corral render{_config_flag(self.render_path)}" if render else ""),
            f"renders join with a copy of {kept}: corral setup render --farm-secret-file COPY",
        ]
        return lines


HEADER = "corral render's settings (and the tray's)"


def _config_flag(path: Path) -> str:
    """` --config path` unless path is where the service looks by itself."""
    from app import settings_files

    return "" if path.parent == settings_files.config_dir() else f" --config {path}"


class RenderSetup:
    """render.toml and the farm secret's copy beside it; for a workstation the tray's
    autostart entry."""

    def __init__(self, config_dir: Path, role: str) -> None:
        from app.render import settings_file

        self.keys = settings_file.KEYS
        self.path = config_dir / settings_file.FILE_NAME
        self.copy = config_dir / FARM_SECRET_COPY
        self.workstation = role == "workstation"

    def defaults(self) -> dict[str, Any]:
        existing = _existing(self.path, self.keys)
        kept = existing.get("farm_secret_file")
        return {
            "server": existing.get("server"),
            "farm_name": existing.get("farm_name"),
            "farm_secret_file": Path(kept) if kept else None,
            "name": existing.get("name", socket.gethostname()),
            "max_tasks": existing.get("max_tasks"),
            "tray_at_login": True,
        }

    def apply(self, values: dict[str, Any]) -> list[str]:
        from app import settings_files
        from app.platform import autostart_entry, autostart_file
        from app.render.join_secrets import save_secret

        if values["farm_secret_file"] is None:
            raise UsageError(
                "a render joins with the farm secret: give --farm-secret-file FILE (a copy of "
                "the server's DATA/farm-secret)"
            )
        secret = _secret(values["farm_secret_file"])
        settings = _existing(self.path, self.keys)
        for key in ("server", "farm_name", "name", "max_tasks"):
            settings.pop(key, None)
            if values[key] is not None:
                settings[key] = values[key]
        settings["farm_secret_file"] = str(self.copy.absolute())
        settings_files.validate(settings, str(self.path), self.keys)
        save_secret(self.copy, secret)
        settings_files.write(self.path, settings, self.keys, HEADER)
        lines = [f"wrote {self.path}", f"wrote {self.copy} (mode 0600)"]
        if not self.workstation:
            return [*lines, f"start the render: corral render{_config_flag(self.path)}"]
        autostart = autostart_file()
        if values["tray_at_login"]:
            autostart.parent.mkdir(parents=True, exist_ok=True)
            config = None if self.path.parent == settings_files.config_dir() else self.path
            autostart.write_text(autostart_entry(config=config))
            lines.append(f"wrote {autostart}: the tray starts when you log in")
        else:
            autostart.unlink(missing_ok=True)
        return [*lines, f"start the tray now: corral tray{_config_flag(self.path)}"]
