"""What a render joins the server with: the farm secret, then a render token of its own.

The farm secret comes from ``--farm-secret-file`` (its first line) or ``$CORRAL_FARM_SECRET``.
At its first join the server gives the render a token for its name; the render keeps it in its
token file (mode 0600 from its creation) and joins with it from then on.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

FARM_SECRET_ENV = "CORRAL_FARM_SECRET"

log = logging.getLogger("corral.render")


def first_line(path: Path) -> str:
    """The first line of a secret file, stripped; OSError or ValueError when there is none."""
    with open(path, encoding="ascii") as file:
        value = file.readline(4096).strip()
    if not value:
        raise ValueError(f"{path} is empty")
    return value


def read_token(path: Path | None) -> str | None:
    """The render token kept in ``path``, or None when there is none yet."""
    if path is None:
        return None
    try:
        return first_line(path)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("ignoring the render token file %s: %s", path, exc)
        return None


def save_token(path: Path, token: str) -> None:
    """Keep ``token`` in ``path`` (mode 0600 from its creation), replacing the previous one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as file:
            file.write(token + "\n")
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
