"""The server's settings file, and its precedence: command-line flags > the settings file
(``--config FILE``, else server.toml in the user config directory when it exists) > defaults.

A settings file holds `corral server` options, with underscores (``corral setup server``
writes it)::

    host = "0.0.0.0"
    port = 51000
    data = "/var/lib/corral"
    farm_name = "studio"
    announce = true
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from app import settings_files
from app.settings_files import flag, port, text

FILE_NAME = "server.toml"

# key -> (check, what it must be)
KEYS: settings_files.Keys = {
    "host": (text, "an address to listen on"),
    "port": (port, "a port number 1..65535"),
    "data": (text, "a folder"),
    "db": (text, "a database URL"),
    "farm_name": (text, "a farm name"),
    "announce": (flag, "true or false"),
    "tls_cert": (text, "a certificate file (PEM)"),
    "tls_key": (text, "a private key file (PEM)"),
}


def default_path() -> Path:
    """server.toml in the user's config directory (it may not exist)."""
    return settings_files.config_dir() / FILE_NAME


def resolve(flags: Mapping[str, Any], config_file: Path | str | None = None) -> dict[str, Any]:
    """flags (None: not given) > config_file (None: the default file, if it exists) >
    defaults (keys left out)."""
    if config_file is not None:
        settings = settings_files.load(config_file, KEYS)
    else:
        path = default_path()
        settings = settings_files.load(path, KEYS) if path.is_file() else {}
    settings.update({key: value for key, value in flags.items() if value is not None})
    return settings
