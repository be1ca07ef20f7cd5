"""What a render joins the server with: the farm secret, then a render token of its own.

The farm secret comes from ``--farm-secret-file`` (its first line) or ``$CORRAL_FARM_SECRET``.
At its first join the server gives the render a token for its name; the render keeps it in its
token file (mode 0600 from its creation) and joins with it from then on. Beside it the render
keeps its identity, which tells it apart from another render process using the same name.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from pathlib import Path

import psutil

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


def save_secret(path: Path, value: str) -> None:
    """Keep a secret (the render's token, or ``corral setup``'s copy of the farm secret) in
    ``path`` (mode 0600 from its creation), replacing the previous one."""
    _write_private(path, value + "\n")


def claim_identity(token_file: Path | None) -> str:
    """This render's identity under its name, which the server tells apart from another render
    process claiming the same name. Kept beside the token file with the process holding it, so
    the same render restarted takes its place back; while another live process on this host
    holds it, a new identity of this process alone (the server then refuses the clash)."""
    fresh = secrets.token_hex(16)
    if token_file is None:
        return fresh
    path = token_file.with_suffix(".identity")
    me = psutil.Process()
    try:
        kept = json.loads(path.read_text(encoding="ascii"))
        identity, holder = str(kept["identity"]), (int(kept["pid"]), float(kept["started"]))
    except (OSError, ValueError, KeyError, TypeError):
        identity, holder = fresh, None
    if holder is not None and holder[0] != me.pid and _alive(*holder):
        return fresh
    claim = {"identity": identity, "pid": me.pid, "started": me.create_time()}
    try:
        _write_private(path, json.dumps(claim) + "\n")
    except OSError as exc:
        log.warning("cannot keep this render's identity in %s: %s", path, exc)
    return identity


def _alive(pid: int, started: float) -> bool:
    """Whether the process that was pid, started at that time, still runs."""
    try:
        return abs(psutil.Process(pid).create_time() - started) < 0.01
    except (psutil.Error, ValueError, OverflowError):
        return False


def _write_private(path: Path, text: str) -> None:
    """Write ``path`` (mode 0600 from its creation) in one step, replacing what it held."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
