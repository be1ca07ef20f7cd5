"""TLS contexts: the server's from its certificate and key, and a client's that verifies.

Standard library only: the CLI, monitor and renders build their client context here too.
TLS 1.2 is the oldest version either side accepts.
"""

from __future__ import annotations

import ssl
from pathlib import Path


class TLSConfigError(Exception):
    """A certificate, key or CA file is missing or unusable; the message names it."""


def server_context(cert_file: str | Path, key_file: str | Path) -> ssl.SSLContext:
    """The server side: ``--tls-cert`` (the chain, PEM) and ``--tls-key`` (PEM)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert_file, key_file)
    except (ssl.SSLError, OSError) as exc:
        raise TLSConfigError(
            f"cannot use certificate {cert_file} with key {key_file}: {exc}"
        ) from exc
    return context


def client_context(ca_file: str | Path | None = None) -> ssl.SSLContext:
    """A client side that verifies the server's certificate and name, against ``--ca-file``
    (a PEM bundle, e.g. a studio's own CA) or else the system's trusted authorities."""
    try:
        context = ssl.create_default_context(cafile=ca_file)
    except (ssl.SSLError, OSError) as exc:
        raise TLSConfigError(f"cannot use CA file {ca_file}: {exc}") from exc
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context
