"""The token in an ``Authorization`` header, read strictly.

Exactly ``Bearer <token>``: that scheme spelled so, one space, and a token in RFC 6750's
``b64token`` alphabet (letters, digits, ``-._~+/``, trailing ``=``), at most ``MAX_TOKEN_LEN``
characters. Anything else is refused before any lookup.
"""

from __future__ import annotations

import re

MAX_TOKEN_LEN = 256
_SCHEME = "Bearer "
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
