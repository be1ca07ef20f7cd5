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

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from app.protocol import NIMBY_STATES
from app.render.config import ON_EXIT


class SettingsError(ValueError):
    """A settings file or environment variable that cannot be used; the text says which."""


def _positive_int(value: Any) -> bool:
    return type(value) is int and value >= 1


def _seconds(value: Any) -> bool:
    return type(value) in (int, float) and value > 0


def _text(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def _programs(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and k and _text(v) for k, v in value.items()
    )


# key -> (check, what it must be)
KEYS: dict[str, tuple[Any, str]] = {
    "server": (_text, "a URL"),
    "farm_name": (_text, "a farm name"),
    "name": (_text, "a render name"),
    "max_tasks": (_positive_int, "an integer >= 1"),
    "capacity": (_positive_int, "an integer >= 1"),
    "heartbeat": (_seconds, "a number of seconds > 0"),
    "wol_target": (_text, "HOST:PORT"),
    "sleep_command": (_text, "a command"),
    "path_map": (_text, "a path map ('SERVER=CLIENT;...' or a JSON array)"),
    "plugins": (_text, "a directory"),
    "programs": (_programs, "a table of program names to commands"),
    "nimby": (lambda v: v in NIMBY_STATES, "one of " + ", ".join(NIMBY_STATES)),
    "paused": (lambda v: type(v) is bool, "true or false"),
    "exit_no_task": (_seconds, "a number of seconds > 0"),
    "on_exit": (lambda v: v in ON_EXIT, "one of " + ", ".join(ON_EXIT)),
    "log_file": (_text, "a file path"),
}

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
    import platformdirs

    return Path(platformdirs.user_config_dir("corral")) / "render.toml"


def load(path: Path | str) -> dict[str, Any]:
    """The settings of a TOML file, validated: every key known, every value of its kind."""
    path = Path(path)
    try:
        with open(path, "rb") as file:
            data = tomllib.load(file)
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML: {exc}") from None
    return validate(data, str(path))


def validate(data: Mapping[str, Any], where: str) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    for key, value in data.items():
        if key not in KEYS:
            known = ", ".join(sorted(KEYS))
            raise SettingsError(f"{where}: unknown setting {key!r} (known: {known})")
        check, expected = KEYS[key]
        if not check(value):
            raise SettingsError(f"{where}: {key} must be {expected}, not {value!r}")
        settings[key] = float(value) if key in ("heartbeat", "exit_no_task") else value
    return settings


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
    return validate(found, "environment")


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
