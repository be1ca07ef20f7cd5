"""Where a client finds its token: ``--token``, then ``$CORRAL_TOKEN``, then the OS keyring,
then, for a server on this machine, the ``admin-token`` of the default data folder.

The CLI, monitor, tray, app/api.py and the DCC plugins all look here. Like app/api.py this
module is standard library only at import and Python 3.7 syntax: it runs inside Maya, Nuke,
Houdini and Blender. The ``keyring`` package is imported only when the keyring is needed, and
where it is missing or has no usable backend a token is never written anywhere else: saving
fails with a message saying what to install or configure.

Tokens are kept per server: keyring service ``corral``, user name the server's URL as the
client uses it (app.api's form: ``http://host:port``, no trailing slash).

The last resort lets ``corral up`` (or ``corral server`` with its default ``--data``) and the
commands of the same person on the same machine work together with no question: a loopback
server's token is the admin token its server wrote, when this user can read that file (mode 0600:
only the user who runs the server can). :func:`default_data_dir` is the one definition of that
folder; app/cli/modes.py uses it too.
"""

from __future__ import annotations

import ipaddress
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

TOKEN_ENV = "CORRAL_TOKEN"
KEYRING_SERVICE = "corral"
ADMIN_TOKEN_FILE = "admin-token"  # in the server's data folder, written at its first start
_HELP = (
    "install the keyring package (pip install keyring) and, on Linux, run a Secret Service"
    " (GNOME Keyring or KWallet) in your session; or pass --token, or set " + TOKEN_ENV
)


class CredentialsError(Exception):
    """The OS keyring could not be used; the message says what to install or configure."""


def default_data_dir() -> Path:
    """The data folder ``corral server`` and ``corral up`` use without ``--data``: the user data
    folder (as platformdirs names it): ``$XDG_DATA_HOME/corral`` when that variable is an
    absolute path, else ``~/Library/Application Support/corral`` on macOS,
    ``corral/corral`` in ``%LOCALAPPDATA%`` on Windows, ``~/.local/share/corral`` elsewhere."""
    xdg = os.environ.get("XDG_DATA_HOME", "")
    if sys.platform == "win32":
        local = os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local"
        return Path(local, "corral", "corral")
    if xdg.startswith("/"):
        return Path(xdg, "corral")
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "corral"
    return Path.home() / ".local" / "share" / "corral"


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or address) is this machine: localhost, 127.0.0.0/8 or ::1."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def find_token(server: str, token: str | None = None) -> str | None:
    """The token for ``server``: ``token`` (``--token``), ``$CORRAL_TOKEN``, the keyring's, else
    for a loopback server the default data folder's admin token when this user can read it.

    None when there is none; CredentialsError when the keyring has a backend that fails.
    """
    for candidate in (token, os.environ.get(TOKEN_ENV)):
        if candidate and candidate.strip():
            return candidate.strip()
    return _keyring_token(server) or _local_admin_token(server)


def _keyring_token(server: str) -> str | None:
    keyring = _keyring()
    if keyring is None:
        return None
    try:
        return keyring.get_password(KEYRING_SERVICE, server) or None
    except keyring.errors.NoKeyringError:
        return None
    except keyring.errors.KeyringError as exc:
        msg = f"cannot read the token for {server} from the OS keyring: {exc}"
        raise CredentialsError(msg) from exc


def _local_admin_token(server: str) -> str | None:
    """The first line of the default data folder's admin-token, for a loopback server only."""
    try:
        host = urlsplit(server if "://" in server else "http://" + server).hostname
    except ValueError:
        return None
    if not host or not is_loopback(host):
        return None
    try:
        with open(default_data_dir() / ADMIN_TOKEN_FILE, encoding="utf-8") as file:
            token = file.readline().strip()
    except (OSError, UnicodeDecodeError):
        return None
    return token or None


def save_token(server: str, token: str) -> None:
    """Keep ``token`` for ``server`` in the OS keyring; CredentialsError if it cannot."""
    keyring = _keyring()
    if keyring is None:
        raise CredentialsError(f"cannot save the token: the keyring package is missing; {_HELP}")
    try:
        keyring.set_password(KEYRING_SERVICE, server, token)
        kept = keyring.get_password(KEYRING_SERVICE, server) == token
    except keyring.errors.NoKeyringError:
        raise CredentialsError(f"cannot save the token: no usable OS keyring; {_HELP}") from None
    except keyring.errors.KeyringError as exc:
        msg = f"cannot save the token in the OS keyring ({exc}); {_HELP}"
        raise CredentialsError(msg) from exc
    if not kept:
        backend = type(keyring.get_keyring()).__module__
        raise CredentialsError(f"the OS keyring ({backend}) did not keep the token; {_HELP}")


def _keyring():
    """The keyring module, or None when it is not installed."""
    try:
        import keyring
        import keyring.errors
    except ImportError:
        return None
    return keyring
