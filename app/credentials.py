"""Where a client finds its token: ``--token``, then ``$CORRAL_TOKEN``, then the OS keyring.

The CLI, monitor, tray, app/api.py and the DCC plugins all look here. Like app/api.py this
module is standard library only at import and Python 3.7 syntax: it runs inside Maya, Nuke,
Houdini and Blender. The ``keyring`` package is imported only when the keyring is needed, and
where it is missing or has no usable backend a token is never written anywhere else: saving
fails with a message saying what to install or configure.

Tokens are kept per server: keyring service ``corral``, user name the server's URL as the
client uses it (app.api's form: ``http://host:port``, no trailing slash).
"""

from __future__ import annotations

import os

TOKEN_ENV = "CORRAL_TOKEN"
KEYRING_SERVICE = "corral"
_HELP = (
    "install the keyring package (pip install keyring) and, on Linux, run a Secret Service"
    " (GNOME Keyring or KWallet) in your session; or pass --token, or set " + TOKEN_ENV
)


class CredentialsError(Exception):
    """The OS keyring could not be used; the message says what to install or configure."""


def find_token(server: str, token: str | None = None) -> str | None:
    """The token for ``server``: ``token`` (``--token``), ``$CORRAL_TOKEN``, else the keyring's.

    None when there is none; CredentialsError when the keyring has a backend that fails.
    """
    for candidate in (token, os.environ.get(TOKEN_ENV)):
        if candidate and candidate.strip():
            return candidate.strip()
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
