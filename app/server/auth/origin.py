"""Whether a request's ``Origin`` header is acceptable.

Browsers send ``Origin`` on WebSocket handshakes and cross-site requests; other clients (CLI,
monitor, renders, DCC plugins) send none. Accepted: no ``Origin`` at all, or an origin on the
same host and port the request was addressed to (its ``Host`` header). Never a wildcard, never
``null``. This stops other web sites from driving the farm through a visitor's browser; it does
not stop DNS rebinding (the attacker's name then is the Host too): the bearer token, which a
browser never adds on its own, is what protects against that.
"""

from __future__ import annotations

from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_allowed(origin: str | None, host: str | None, *, tls: bool = False) -> bool:
    """Whether ``origin`` may talk to the server addressed as ``host`` (``tls``: over https)."""
    if origin is None:
        return True
    them = _host_port(origin.strip().lower())
    if them is None or not host:
        return False
    us = _host_port(("https://" if tls else "http://") + host.strip().lower())
    return us is not None and them == us


def _host_port(url: str) -> tuple[str, int] | None:
    """(host, port) of an http(s) origin, the port defaulted by scheme; None if not one."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    default = _DEFAULT_PORTS.get(parts.scheme)
    if default is None or not parts.hostname or parts.path:
        return None
    if parts.username is not None or parts.query or parts.fragment:
        return None
    return parts.hostname, port if port is not None else default
