"""The settings files of the services (``server.toml``, ``render.toml``): TOML, read and written
against a table of known keys, each with its check and what it must be.

The tables are their owners': app/server/settings_file.py, app/render/settings_file.py. Both
files live in the user config directory by default (:func:`config_dir`); a service started with
``--config FILE`` reads FILE instead (the system units read ``/etc/corral/``: docs/setup.md).
``corral setup`` (app/cli/setup.py) writes them with :func:`write`.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

Keys = Mapping[str, tuple[Callable[[Any], bool], str]]  # key -> (check, what it must be)


class SettingsError(ValueError):
    """A settings file or value that cannot be used; the text says which."""


def positive_int(value: Any) -> bool:
    return type(value) is int and value >= 1


def port(value: Any) -> bool:
    return type(value) is int and 1 <= value <= 65535


def seconds(value: Any) -> bool:
    return type(value) in (int, float) and value > 0


def text(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def flag(value: Any) -> bool:
    return type(value) is bool


def url(value: Any) -> bool:
    """An http:// or https:// URL with a host."""
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value)
        return parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:
        return False


def config_dir() -> Path:
    """The user config directory the services look in (as platformdirs names it)."""
    import platformdirs

    return Path(platformdirs.user_config_dir("corral"))


def load(path: Path | str, keys: Keys) -> dict[str, Any]:
    """The settings of a TOML file, validated: every key known, every value of its kind."""
    path = Path(path)
    try:
        with open(path, "rb") as file:
            data = tomllib.load(file)
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML: {exc}") from None
    return validate(data, str(path), keys)


def validate(data: Mapping[str, Any], where: str, keys: Keys) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    for key, value in data.items():
        if key not in keys:
            known = ", ".join(sorted(keys))
            raise SettingsError(f"{where}: unknown setting {key!r} (known: {known})")
        check, expected = keys[key]
        if not check(value):
            raise SettingsError(f"{where}: {key} must be {expected}, not {value!r}")
        settings[key] = value
    return settings


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)  # a TOML basic string


def dumps(settings: Mapping[str, Any], header: str = "") -> str:
    """TOML text of flat settings (text, numbers, booleans) and tables of text (``programs``)."""
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    tables = {k: v for k, v in settings.items() if isinstance(v, dict)}
    lines += [f"{k} = {_value(v)}" for k, v in settings.items() if k not in tables]
    for name, table in tables.items():
        lines += ["", f"[{name}]", *(f"{_value(k)} = {_value(v)}" for k, v in table.items())]
    return "\n".join(lines) + "\n"


def write(path: Path, settings: Mapping[str, Any], keys: Keys, header: str = "") -> None:
    """Write settings to path (validated first: a refused value writes nothing), replacing the
    file at once (a reader never sees half of it)."""
    validate(settings, str(path), keys)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(dumps(settings, header), encoding="utf-8")
    os.replace(partial, path)
