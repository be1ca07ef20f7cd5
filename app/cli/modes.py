"""The long-running modes: ``corral server``, ``render``, ``up``, ``monitor`` and ``tray``.

The server, the render, aiohttp and PyQt6 are imported inside the verbs, never here.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from pathlib import Path
from typing import Any

from app.cli import parsing
from app.cli.parsing import UsageError
from app.cli.running import add_json_log, import_failed, run_service, setup_logging
from app.cli.servers import server_for
from app.core.quotas import DEFAULT_MAX_JOBS_PER_MINUTE, DEFAULT_MAX_QUEUED_TASKS, QuotaDefaults
from app.credentials import default_data_dir


def add_verbs(verbs: Any) -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    """server, render, up, monitor, tray; returns the ``server`` and ``render`` parsers
    (``server config|stats`` and ``render set`` go under them)."""
    logging_opts = parsing.logging_options()
    p = verbs.add_parser(
        "server",
        parents=[logging_opts],
        help="run the farm server (or 'server config|stats': the running server's)",
        description="Run the farm server until SIGINT/SIGTERM.",
    )
    p.add_argument("--host", help="address to listen on (default: loopback, 127.0.0.1)")
    _add_port_and_data(p, port=None)
    p.add_argument("--db", metavar="URL", help="database URL (default: SQLite in the data dir)")
    p.add_argument(
        "--farm", metavar="FILE", help="JSON pools tree, reloaded whenever the file changes"
    )
    p.add_argument(
        "--zombie-time",
        type=parsing.seconds,
        metavar="S",
        help="a render silent this long is gone and its tasks return to ready",
    )
    p.add_argument(
        "--heartbeat", type=parsing.seconds, metavar="S", help="seconds between render heartbeats"
    )
    p.add_argument(
        "--reconnect-grace",
        type=parsing.seconds,
        metavar="S",
        help="after a restart, wait this long for renders to re-register",
    )
    p.add_argument(
        "--journal-backlog",
        type=int,
        metavar="N",
        help="start no task while N or more store operations wait for their commit "
        "(default 1000): bounds how long a result waits for its acknowledgement",
    )
    p.add_argument(
        "--header-timeout",
        type=parsing.seconds,
        metavar="S",
        help="close a connection that has not sent its request headers within S seconds "
        "(default 15)",
    )
    p.add_argument(
        "--idle-timeout",
        type=parsing.seconds,
        metavar="S",
        help="close a keep-alive connection idle for S seconds (default 75)",
    )
    p.add_argument(
        "--tls-cert",
        type=Path,
        metavar="FILE",
        help="serve https with this certificate chain (PEM); needs --tls-key",
    )
    p.add_argument(
        "--tls-key", type=Path, metavar="FILE", help="the certificate's private key (PEM)"
    )
    _add_quotas(p)
    p.add_argument(
        "--farm-name",
        metavar="NAME",
        help="the farm's name, announced on the local network (default: this host's name)",
    )
    p.add_argument(
        "--announce",
        action=argparse.BooleanOptionalAction,
        help="announce the server on the local network (mDNS/DNS-SD), so renders, monitors "
        "and commands find it without an address (default: when --host is not loopback)",
    )
    p.add_argument(
        "--plugins",
        type=Path,
        metavar="DIR",
        help="the services of every *.py file in DIR (as the renders' --plugins) may be named by "
        "jobs; a job naming a service the server does not know is refused",
    )
    p.add_argument(
        "--afanasy-port",
        type=parsing.port,
        metavar="PORT",
        help="also answer Afanasy's protocol on PORT, so CGRU's af.py and submitters work "
        "unchanged (off by default; see docs/migrating-from-afanasy.md)",
    )
    p.add_argument(
        "--afanasy-trust",
        metavar="CIDR[,CIDR...]",
        help="networks whose Afanasy requests are answered, beside loopback (Afanasy's "
        "clients send no token: a request acts as the Corral user it names)",
    )
    p.add_argument(
        "--job-commands",
        action="store_true",
        help="run jobs' and blocks' command_pre (at submit) and command_post (after deletion) "
        "on this server, as its account: whoever may submit then runs programs here (off by "
        "default; see SECURITY.md)",
    )
    p.add_argument(
        "--job-commands-timeout",
        type=parsing.seconds,
        metavar="S",
        help="kill such a command after S seconds (default 60)",
    )
    p.add_argument(
        "--config",
        metavar="FILE",
        help="TOML settings file of the options above with underscores (host, port, data, db, "
        "farm_name, announce, tls_cert, tls_key; default: server.toml in the user config "
        "directory, if any); flags beat it",
    )
    p.set_defaults(func=cmd_server, usage_parser=p)
    server = p

    render = verbs.add_parser(
        "render",
        parents=[logging_opts],
        help="run a render client on this host (or 'render set': change a render's settings)",
        usage="corral render [options]\n       corral render set NAME KEY=VALUE ...",
        description="Connect to the server and run tasks until SIGINT/SIGTERM. "
        "With 'set', change a render's settings instead (see 'corral render set --help').",
    )
    _add_render_options(render)
    render.set_defaults(func=cmd_render, usage_parser=render)

    p = verbs.add_parser(
        "up",
        parents=[logging_opts],
        help="run a server and a local render: a farm on this machine",
        description="Run a server on loopback and one render on this machine in one process; "
        "with a display, also the monitor window and the tray icon (the desktop all-in-one, "
        "also what 'corral' with no arguments starts there).",
    )
    _add_port_and_data(p)
    _add_max_tasks(p)
    _add_quotas(p)
    window = p.add_mutually_exclusive_group()
    window.add_argument(
        "--headless",
        dest="desktop",
        action="store_false",
        default=None,
        help="no window or tray, even with a display",
    )
    window.add_argument(
        "--desktop",
        dest="desktop",
        action="store_true",
        help="the window and the tray even where no display is named (e.g. Qt offscreen)",
    )
    p.set_defaults(func=cmd_up, usage_parser=p)

    p = verbs.add_parser(
        "monitor",
        help="open the monitor window",
        description="Open the monitor window (needs PyQt6); the saved settings fill in the rest.",
    )
    parsing.add_server(p)
    parsing.add_credentials(p)
    p.add_argument("--user", metavar="NAME", help="user name")
    p.set_defaults(func=cmd_monitor)
    p = verbs.add_parser(
        "tray",
        help="run a render client with a tray icon (workstations)",
        description="Run a render on this host with a tray icon for NIMBY and pause (needs PyQt6).",
    )
    parsing.add_server(p)
    parsing.add_credentials(p)
    p.add_argument("--user", metavar="NAME", help="user name (the render's owner)")
    _add_name_and_capacity(p)
    _add_paused(p)
    _add_join_options(p)
    _add_config(p)
    p.set_defaults(func=cmd_tray)
    return server, render


def _add_port_and_data(p: argparse.ArgumentParser, port: int | None = 51000) -> None:
    """--port (default ``port``; None: the settings file's, else 51000) and --data."""
    p.add_argument(
        "--port", type=parsing.port, default=port, help="port to listen on (default: 51000)"
    )
    p.add_argument("--data", metavar="DIR", help="data directory (default: the user data dir)")


def _add_quotas(p: argparse.ArgumentParser) -> None:
    """The server's quotas per user (a user's own, `corral user set`, replaces them)."""
    p.add_argument(
        "--max-queued-tasks-per-user",
        type=parsing.limit,
        default=DEFAULT_MAX_QUEUED_TASKS,
        metavar="N",
        help="tasks of a user's jobs not yet done; a submit beyond is refused "
        f"(0: no limit; default: {DEFAULT_MAX_QUEUED_TASKS:,})",
    )
    p.add_argument(
        "--max-jobs-per-minute-per-user",
        type=parsing.limit,
        default=DEFAULT_MAX_JOBS_PER_MINUTE,
        metavar="N",
        help=f"jobs a user submits in any minute (0: no limit; default: "
        f"{DEFAULT_MAX_JOBS_PER_MINUTE})",
    )


def _quotas(args: argparse.Namespace) -> QuotaDefaults:
    return QuotaDefaults(args.max_queued_tasks_per_user, args.max_jobs_per_minute_per_user)


def _add_max_tasks(p: argparse.ArgumentParser) -> None:
    p.add_argument("--max-tasks", type=parsing.positive_int, metavar="N", help="tasks run at once")


def _add_name_and_capacity(p: argparse.ArgumentParser) -> None:
    """--name, --max-tasks, --capacity: of a render (``render`` and ``tray``)."""
    p.add_argument("--name", help="render name (default: the host name)")
    _add_max_tasks(p)
    p.add_argument(
        "--capacity", type=parsing.positive_int, metavar="C", help="capacity of this render"
    )


def _add_paused(p: argparse.ArgumentParser) -> None:
    p.add_argument("--paused", action="store_true", default=None, help="start paused")


def _add_join_options(p: argparse.ArgumentParser) -> None:
    """--farm-secret-file, --token-file: how a render joins (``render`` and ``tray``)."""
    p.add_argument(
        "--farm-secret-file",
        type=Path,
        metavar="FILE",
        help="join with the farm secret in FILE (a copy of the server's DATA/farm-secret, mode "
        "0600; default: $CORRAL_FARM_SECRET)",
    )
    p.add_argument(
        "--token-file",
        type=Path,
        metavar="FILE",
        help="where this render keeps the token the server gives it at its first join "
        "(default: render-NAME.token in the user data dir)",
    )


def _add_render_options(p: argparse.ArgumentParser) -> None:
    parsing.add_server(p)
    p.add_argument(
        "--farm-name",
        metavar="NAME",
        help="without --server: join the server of this farm the local network announces "
        "(default: $CORRAL_FARM_NAME, else the only farm that answers)",
    )
    _add_name_and_capacity(p)
    p.add_argument(
        "--heartbeat", type=parsing.seconds, metavar="S", help="seconds between heartbeats"
    )
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
        type=parsing.program,
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
    _add_paused(p)
    p.add_argument(
        "--exit-no-task",
        type=parsing.seconds,
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
        "--ca-file", metavar="FILE", default=argparse.SUPPRESS, help=parsing.CA_FILE_HELP
    )
    _add_join_options(p)
    _add_config(p)


def has_display(environ: Any = None, platform: str = sys.platform) -> bool:
    """Whether windows can be shown here: always on Windows and macOS, elsewhere when an X11
    or Wayland display is named (``$DISPLAY``, ``$WAYLAND_DISPLAY``)."""
    environ = os.environ if environ is None else environ
    if platform in ("win32", "darwin"):
        return True
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def _add_config(p: argparse.ArgumentParser) -> None:
    """--config: the render's settings file (``render`` and ``tray``)."""
    p.add_argument(
        "--config",
        metavar="FILE",
        help="TOML settings file (default: render.toml in the user config directory, if any); "
        "flags beat $CORRAL_SERVER, $CORRAL_FARM_NAME, $CORRAL_RENDER_NAME, $CORRAL_MAX_TASKS, "
        "$CORRAL_CAPACITY, which beat the file",
    )


def _data_dir(value: str | None) -> Path:
    return Path(value).expanduser() if value else default_data_dir()


# -- server ------------------------------------------------------------------------------------


def cmd_server(args: argparse.Namespace) -> int:
    from app.server import settings_file
    from app.server.config import ServerConfig
    from app.settings_files import SettingsError

    flags = {
        "host": args.host,
        "port": args.port,
        "data": args.data,
        "db": args.db,
        "farm_name": args.farm_name,
        "announce": args.announce,
        "tls_cert": args.tls_cert,
        "tls_key": args.tls_key,
    }
    try:
        settings = settings_file.resolve(flags, args.config)
    except SettingsError as exc:
        raise UsageError(str(exc)) from None
    options = {
        "data_dir": _data_dir(settings.pop("data", None)),
        "db_url": settings.pop("db", None),
        "farm_file": args.farm,
        "quotas": _quotas(args),
        "plugins_dir": args.plugins,
        "afanasy_port": args.afanasy_port,
        "job_commands": args.job_commands,
        "announce": settings.pop("announce", None),
    }
    for name in ("tls_cert", "tls_key"):
        options[name] = Path(settings.pop(name)).expanduser() if name in settings else None
    options.update(settings)  # host, port, farm_name: ServerConfig's defaults when absent
    for name, value in (
        ("heartbeat_period", args.heartbeat),
        ("zombie_time", args.zombie_time),
        ("reconnect_grace", args.reconnect_grace),
        ("journal_backlog", args.journal_backlog),
        ("header_timeout", args.header_timeout),
        ("idle_timeout", args.idle_timeout),
        ("job_commands_timeout", args.job_commands_timeout),
    ):
        if value is not None:
            options[name] = value
    try:
        if args.afanasy_trust is not None:
            from app.server.afanasy.listener import parse_networks

            options["afanasy_trust"] = parse_networks(args.afanasy_trust)
        config = ServerConfig(**options)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    try:
        from app.server.main import serve
    except ImportError as exc:
        return import_failed("server", exc)
    from app.server.auth import SecretFileError, TLSConfigError, load_or_create, server_context

    config.data_dir.mkdir(parents=True, exist_ok=True)
    setup_logging(args.log_level)
    try:  # refused secret or TLS files: said before serving, without a traceback
        load_or_create(config.data_dir)
        if config.tls_cert is not None:
            server_context(config.tls_cert, config.tls_key)
    except (SecretFileError, TLSConfigError) as exc:
        raise UsageError(str(exc)) from None
    return run_service(lambda: serve(config), "server")


# -- render ------------------------------------------------------------------------------------


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
    from app.platform import host_os
    from app.render.config import RenderConfig

    options: dict[str, Any] = {"server_url": server_url, "name": name or socket.gethostname()}
    if path_map is not None:
        try:
            options["path_map"] = PathMap.parse(path_map, host_os())
        except SpecError as exc:
            raise UsageError(f"argument --path-map: {exc}") from None
    more["token_file"] = more.get("token_file") or _token_file(options["name"])
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


def _token_file(name: str) -> Path:
    """Where the render of this name keeps its token by default: in the user data dir."""
    file_name = "".join("_" if c in "/\\" else c for c in name)
    return _data_dir(None) / f"render-{file_name}.token"


_RENDER_FLAGS = (  # `corral render` options that a settings file may also give
    "server",
    "farm_name",
    "name",
    "max_tasks",
    "capacity",
    "heartbeat",
    "wol_target",
    "sleep_command",
    "path_map",
    "plugins",
    "programs",
    "nimby",
    "paused",
    "exit_no_task",
    "on_exit",
    "log_file",
    "farm_secret_file",
    "ca_file",
)


def render_settings(args: argparse.Namespace, environ: Any = None) -> dict[str, Any]:
    """The render's settings: flags > environment > settings file > defaults (left out)."""
    from app.render import settings_file

    flags = {key: getattr(args, key, None) for key in _RENDER_FLAGS}
    if flags["programs"] is not None:
        flags["programs"] = dict(flags["programs"])
    try:
        return settings_file.resolve(flags, os.environ if environ is None else environ, args.config)
    except settings_file.SettingsError as exc:
        raise UsageError(str(exc)) from None


def _farm_secret(path: Path | str | None) -> str | None:
    """The farm secret: the first line of --farm-secret-file (or the settings file's
    farm_secret_file), else $CORRAL_FARM_SECRET."""
    from app.render.join_secrets import FARM_SECRET_ENV, first_line

    if path is None:
        return os.environ.get(FARM_SECRET_ENV, "").strip() or None
    try:
        return first_line(Path(path).expanduser())
    except (OSError, ValueError) as exc:
        raise UsageError(f"argument --farm-secret-file: {exc}") from None


def configured_render(args: argparse.Namespace, service: bool) -> tuple[Any, dict[str, Any]]:
    """The render's config from its settings (flags > environment > settings file), and the
    settings it does not hold (``log_file``). The render ``service`` must have a way to join
    (the farm secret, or its token) before it looks for a server, and looks until one answers
    when none is given (app/cli/servers.py:server_for)."""
    from app.render.join_secrets import FARM_SECRET_ENV, read_token

    settings = render_settings(args)
    farm_secret = _farm_secret(settings.pop("farm_secret_file", None))
    name = settings.pop("name", None) or socket.gethostname()
    token_file = args.token_file or _token_file(name)
    if service and farm_secret is None and read_token(token_file) is None:
        raise UsageError(
            f"this render has no token yet ({token_file}): give it the farm secret with"
            f" --farm-secret-file PATH (a copy of the server's data folder's farm-secret) or"
            f" ${FARM_SECRET_ENV}"
        )
    server = server_for(settings.pop("server", None), settings.pop("farm_name", None), service)
    config = make_render_config(
        server,
        name,
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
        farm_secret=farm_secret,
        token_file=token_file,
        ca_file=_expanded(settings.pop("ca_file", None)),
    )
    return config, settings


def _expanded(path: str | None) -> Path | None:
    return None if path is None else Path(path).expanduser()


def cmd_render(args: argparse.Namespace) -> int:
    try:
        config, settings = configured_render(args, service=True)
        from app.render.agent import run_render
    except ImportError as exc:
        return import_failed("render", exc)
    if config.plugins_dir is not None and not config.plugins_dir.is_dir():
        raise UsageError(f"argument --plugins: {config.plugins_dir} is not a directory")
    log_file = settings.pop("log_file", None)
    setup_logging(args.log_level)
    if log_file is not None:
        try:
            add_json_log(Path(log_file).expanduser())
        except OSError as exc:
            raise UsageError(f"argument --log-file: {exc}") from None
    return run_service(lambda: run_render(config), "render")


# -- up, monitor, tray -------------------------------------------------------------------------


def cmd_up(args: argparse.Namespace) -> int:
    try:
        from app.cli import up
        from app.server.auth import load_or_create
        from app.server.config import ServerConfig

        server_config = ServerConfig(
            data_dir=_data_dir(args.data), port=args.port, quotas=_quotas(args)
        )
        desktop = args.desktop if args.desktop is not None else has_display()
        taken = up.port_taken(server_config)  # before anything is created or restored
        if taken is not None:
            why, ours = taken
            if ours and desktop:  # e.g. kept running in the tray, and started again
                return _monitor_of(server_config)
            print(f"corral: {why}", file=sys.stderr)
            return 1
        server_config.data_dir.mkdir(parents=True, exist_ok=True)
        render_config = make_render_config(
            f"http://127.0.0.1:{server_config.port}",
            max_tasks=args.max_tasks,
            farm_secret=load_or_create(server_config.data_dir).farm_secret,
        )
    except ImportError as exc:
        return import_failed("farm", exc)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    server_config.data_dir.mkdir(parents=True, exist_ok=True)
    setup_logging(args.log_level)
    if desktop:
        try:
            from app.cli.desktop import run_desktop
        except ImportError as exc:  # no PyQt6: the farm without its window
            print(f"corral: no window ({exc}): running headless", file=sys.stderr)
        else:
            return run_desktop(server_config, render_config)
    return run_service(lambda: up.run_up(server_config, render_config), "farm")


def _monitor_of(server_config: Any) -> int:
    """The monitor window of this data folder's farm, which already runs (as its admin)."""
    from app.cli import up
    from app.credentials import ADMIN_TOKEN_FILE
    from app.server.auth import read_secret

    try:
        from app.ui.app import run_monitor
    except ImportError as exc:
        return import_failed("monitor", exc)
    token = read_secret(server_config.data_dir / ADMIN_TOKEN_FILE)
    return run_monitor(up.local_url(server_config), token=token)


def cmd_monitor(args: argparse.Namespace) -> int:
    try:
        from app.ui.app import run_monitor
    except ImportError as exc:
        return import_failed("monitor", exc)
    from app.ui.settings import qsettings

    server = getattr(args, "server", None) or os.environ.get("CORRAL_SERVER")
    if server is None and not qsettings().contains("server"):  # none typed, none saved
        server = server_for(None)
    return run_monitor(server, args.user, args.token, args.ca_file)


def cmd_tray(args: argparse.Namespace) -> int:
    try:
        from app.ui.tray import run_tray
    except ImportError as exc:
        return import_failed("tray", exc)
    config, _ = configured_render(args, service=False)
    ca_file = None if config.ca_file is None else str(config.ca_file)
    return run_tray(config, args.user or "", args.token, ca_file)
