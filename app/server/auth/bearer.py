"""The token in an ``Authorization`` header, read strictly.

Exactly ``Bearer <token>``: that scheme spelled so, one space, and a token in RFC 6750's
``b64token`` alphabet (letters, digits, ``-._~+/``, trailing ``=``), at most ``MAX_TOKEN_LEN``
characters. Anything else is refused before any lookup.

A browser cannot set headers on a WebSocket handshake, so the web pages offer the protocols
``corral.bearer, TOKEN`` instead (``Sec-WebSocket-Protocol``); the server answers with
``corral.bearer`` alone, never echoing the token.
"""

from __future__ import annotations

import re

MAX_TOKEN_LEN = 256
_SCHEME = "Bearer "
SOCKET_PROTOCOL = "corral.bearer"  # the WebSocket protocol a browser offers before its token
_TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")


class BearerError(ValueError):
    """No usable token in the header; the message is the 401's ``error`` text."""


def bearer_token(header: str | None) -> str:
    """The token of an ``Authorization`` header value; BearerError when missing or malformed."""
    if not header:
        raise BearerError("missing Authorization header: send 'Authorization: Bearer TOKEN'")
    token = header[len(_SCHEME) :] if header.startswith(_SCHEME) else ""
    if not token or len(token) > MAX_TOKEN_LEN or not _TOKEN.fullmatch(token):
        raise BearerError("malformed Authorization header: expected 'Bearer TOKEN'")
    return token


def socket_authorization(protocols: str | None) -> str | None:
    """The ``Authorization`` value a browser's ``Sec-WebSocket-Protocol: corral.bearer, TOKEN``
    stands for; None when the header does not offer a token that way."""
    offered = [name.strip() for name in (protocols or "").split(",")]
    if len(offered) != 2 or offered[0] != SOCKET_PROTOCOL:
        return None
    return _SCHEME + offered[1]
