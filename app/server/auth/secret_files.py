"""The server's secret files in its data folder: ``admin-token``, ``farm-secret`` and
``metrics-token`` (read-only: it opens ``GET /metrics`` and nothing else, for Prometheus).

Each is made once, on first start, with mode 0600 from its creation: written to a private
temporary file opened with ``O_CREAT | O_EXCL`` and mode 0600, then hard-linked into place, which
never replaces an existing file (a second server starting at the same moment reads the winner's).
An existing file is read, never replaced. A file that others may read or write, that someone
else owns, or that is a symlink is refused rather than fixed: a secret that was exposed may
already be copied, so the operator must decide (``chmod 600``, or delete it to make a new one).
Values are never logged; only paths are.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from app.credentials import ADMIN_TOKEN_FILE
from app.server.auth.tokens import new_farm_secret, new_metrics_token, new_token

FARM_SECRET_FILE = "farm-secret"
METRICS_TOKEN_FILE = "metrics-token"
MAX_SECRET_LEN = 1024

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)  # not on Windows, where the folder's ACL protects
_POSIX = os.name == "posix"

log = logging.getLogger("corral.auth")


class SecretFileError(Exception):
    """A secret file exists but cannot be trusted or read; the message says what to do."""


@dataclass(frozen=True)
class ServerSecrets:
    """The admin token, farm secret and metrics token, and which of their files this start
    created."""

    admin_token: str = field(repr=False)
    farm_secret: str = field(repr=False)
    metrics_token: str = field(repr=False)
    created: tuple[Path, ...] = ()


def load_or_create(data_dir: Path, farm_secret: str | None = None) -> ServerSecrets:
    """Read the data folder's secret files, creating those missing (the farm secret's with
    ``farm_secret`` when given, e.g. a farm moved to a new server; else a new one)."""
    values, created = [], []
    for name, make in (
        (ADMIN_TOKEN_FILE, new_token),
        (FARM_SECRET_FILE, (lambda: farm_secret) if farm_secret else new_farm_secret),
        (METRICS_TOKEN_FILE, new_metrics_token),
    ):
        path = Path(data_dir) / name
        value, new = _read_or_create(path, make)
        values.append(value)
        if new:
            created.append(path)
    return ServerSecrets(*values, created=tuple(created))


def _read_or_create(path: Path, make: Callable[[], str]) -> tuple[str, bool]:
    """The secret in ``path``, made by ``make`` if the file is missing; True if made now."""
    made = not path.exists() and _create(path, make())
    if made:
        log.info("created %s (mode 0600, readable by this user only)", path)
    return read_secret(path), made


def read_secret(path: Path) -> str:
    """The secret in ``path``, after checking the file is private; SecretFileError if not."""
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW)
    except FileNotFoundError:
        raise SecretFileError(f"{path} does not exist") from None
    except OSError as exc:
        msg = f"{path}: cannot open ({exc.strerror}); it must be a plain file, not a symlink"
        raise SecretFileError(msg) from exc
    with os.fdopen(fd, "rb") as file:
        _check_private(path, os.fstat(file.fileno()))
        data = file.read(MAX_SECRET_LEN + 2)
    try:
        value = data.decode("ascii").strip()
    except UnicodeDecodeError:
        value = ""
    if not value or len(value) > MAX_SECRET_LEN or not value.isprintable():
        raise SecretFileError(
            f"{path} does not hold a secret (empty, too long or not printable ASCII):"
            " delete it to have a new one made"
        )
    return value


def _check_private(path: Path, info: os.stat_result) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise SecretFileError(f"{path} is not a regular file")
    if not _POSIX:
        return
    if info.st_uid not in (os.geteuid(), 0):
        raise SecretFileError(
            f"{path} belongs to user id {info.st_uid}, not to the server's user"
            f" ({os.geteuid()}): chown it, or delete it to have a new one made"
        )
    loose = stat.S_IMODE(info.st_mode) & 0o077
    if loose:
        raise SecretFileError(
            f"{path} has mode {stat.S_IMODE(info.st_mode):04o}: others may read or change it."
            f" Run `chmod 600 {path}` if it was never exposed, or delete it to have a new one"
            " made"
        )


def _create(path: Path, value: str) -> bool:
    """Write ``value`` to a new private file at ``path``; False if ``path`` appeared first."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as file:
            file.write(value + "\n")
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return False
    finally:
        temporary.unlink()
    _sync_folder(path.parent)
    return True


def _sync_folder(folder: Path) -> None:
    """Make the new directory entry durable (POSIX; Windows has no directory handles)."""
    if _POSIX:
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
