"""The host this process runs on, in Corral's terms: its OS family, OS string and local time.

Core never reads the host; its callers read it here and pass it in. The OS family names are
app/core/os_family.py's (``linux``, ``windows``, ``macos``); the OS string a render reports (and
a job's ``need_os`` is matched against) is app/core/masks.py's ``os_string``. Process-tree
control and idle-time detection are the render's (app/render/_posix.py, _windows.py, idle.py);
they ask :func:`host_os` which one applies. The desktop session's autostart entry for the tray
(written by the tray's menu and by ``corral setup workstation``) is here too.
"""

from __future__ import annotations

import functools
import os
import platform
import shlex
import sys
from datetime import datetime
from pathlib import Path

from app.core.masks import os_string
from app.core.os_family import OSFamily, system_family


def host_os() -> OSFamily:
    """This host's OS family: ``windows`` (also Cygwin and MSYS), ``macos``, or ``linux`` for
    any other Unix."""
    return system_family(sys.platform)


@functools.cache
def host_os_string() -> str:
    """The render OS string of this host, e.g. ``unix linux 64`` or ``windows 64``."""
    return os_string(platform.system(), platform.machine())


def local_time(now: float) -> datetime:
    """The clock's seconds as an aware datetime in this host's local time zone."""
    return datetime.fromtimestamp(now).astimezone()


def autostart_file() -> Path:
    """The XDG autostart entry that starts the tray with the desktop session (Linux and BSD
    desktops): ``corral-tray.desktop`` in ``$XDG_CONFIG_HOME/autostart`` (``~/.config``)."""
    config = os.environ.get("XDG_CONFIG_HOME", "")
    base = Path(config) if config.startswith("/") else Path.home() / ".config"
    return base / "autostart" / "corral-tray.desktop"


def autostart_entry(server_url: str | None = None, config: Path | None = None) -> str:
    """The autostart entry's text: ``corral tray``, with ``--server server_url`` when given
    (else the tray finds its server as a render does) and ``--config config`` when given."""
    command = [sys.executable] if getattr(sys, "frozen", False) else [sys.executable, "-m", "app"]
    server = ["--server", server_url] if server_url else []
    settings = ["--config", str(config)] if config else []
    exec_line = shlex.join([*command, *server, "tray", *settings])
    lines = (
        "[Desktop Entry]",
        "Type=Application",
        "Name=Corral tray",
        "Comment=Corral render client",
        f"Exec={exec_line}",
        "X-GNOME-Autostart-enabled=true",
    )
    return "\n".join(lines) + "\n"
