"""The render's settings from a TOML file and the environment, and their precedence:
command-line flags > environment (CORRAL_SERVER, CORRAL_FARM_NAME, CORRAL_RENDER_NAME,
CORRAL_MAX_TASKS, CORRAL_CAPACITY) > the settings file (--config FILE, else render.toml in the
user config directory when it exists) > defaults.

A settings file holds `corral render` options, with underscores::

    server = "http://farm:51000"
    name = "node07"
    max_tasks = 2
    on_exit = "finish"

    [programs]  # the applications' programs on this host (services write plain names)
    blender = "/opt/blender-4.2/blender"
    Render = "/usr/autodesk/maya2025/bin/Render"
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from app import settings_files
from app.protocol import NIMBY_STATES
from app.render.config import ON_EXIT
from app.settings_files import SettingsError, positive_int, seconds, text

__all__ = ["KEYS", "SettingsError", "default_path", "load", "resolve"]
FILE_NAME = "render.toml"


def _programs(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and k and text(v) for k, v in value.items()
    )


# key -> (check, what it must be)
KEYS: settings_files.Keys = {
    "server": (settings_files.url, "an http:// or https:// URL"),
    "farm_name": (text, "a farm name"),
    "name": (text, "a render name"),
    "max_tasks": (positive_int, "an integer >= 1"),
    "capacity": (positive_int, "an integer >= 1"),
    "heartbeat": (seconds, "a number of seconds > 0"),
    "wol_target": (text, "HOST:PORT"),
    "sleep_command": (text, "a command"),
    "path_map": (text, "a path map ('SERVER=CLIENT;...' or a JSON array)"),
    "plugins": (text, "a directory"),
    "programs": (_programs, "a table of program names to commands"),
    "nimby": (lambda v: v in NIMBY_STATES, "one of " + ", ".join(NIMBY_STATES)),
    "paused": (settings_files.flag, "true or false"),
    "exit_no_task": (seconds, "a number of seconds > 0"),
    "on_exit": (lambda v: v in ON_EXIT, "one of " + ", ".join(ON_EXIT)),
    "log_file": (text, "a file path"),
    "farm_secret_file": (text, "a file path (a copy of the server's farm-secret)"),
    "ca_file": (text, "a file path (the CA certificate an https server is verified with, PEM)"),
}
_SECONDS = ("heartbeat", "exit_no_task")

# environment variable -> (key, parse)
ENVIRONMENT: dict[str, tuple[str, Any]] = {
    "CORRAL_SERVER": ("server", str),
    "CORRAL_FARM_NAME": ("farm_name", str),
    "CORRAL_RENDER_NAME": ("name", str),
    "CORRAL_MAX_TASKS": ("max_tasks", int),
    "CORRAL_CAPACITY": ("capacity", int),
}


def default_path() -> Path:
    """render.toml in the user's config directory (it may not exist)."""
    return settings_files.config_dir() / FILE_NAME


def _as_read(settings: dict[str, Any]) -> dict[str, Any]:
    """Validated settings as the render takes them: seconds as floats."""
    return {k: float(v) if k in _SECONDS else v for k, v in settings.items()}


def load(path: Path | str) -> dict[str, Any]:
    """The settings of a TOML file, validated: every key known, every value of its kind."""
    return _as_read(settings_files.load(path, KEYS))


def from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """The settings the CORRAL_* variables give (empty ones are ignored)."""
    found: dict[str, Any] = {}
    for variable, (key, parse) in ENVIRONMENT.items():
        text = environ.get(variable, "").strip()
        if not text:
            continue
        try:
            found[key] = parse(text)
        except ValueError:
            raise SettingsError(f"${variable}: expected an integer, not {text!r}") from None
    return _as_read(settings_files.validate(found, "environment", KEYS))


def resolve(
    flags: Mapping[str, Any],
    environ: Mapping[str, str],
    config_file: Path | str | None = None,
) -> dict[str, Any]:
    """flags (None: not given) > environment > config_file (None: the default file, if it
    exists) > defaults (keys left out)."""
    if config_file is not None:
        settings = load(config_file)
    else:
        path = default_path()
        settings = load(path) if path.is_file() else {}
    settings.update(from_environment(environ))
    settings.update({key: value for key, value in flags.items() if value is not None})
    return settings
