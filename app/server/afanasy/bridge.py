"""The listener's way into the farm: the server's own REST API, called over its own port as the
person an Afanasy request names. Every rule (validation, access, quotas, the store's refusals)
is the route's, so an Afanasy client can do exactly what that person can do with a token."""

from __future__ import annotations

import ssl
from urllib.parse import quote

import aiohttp

from app.server.auth.guard import Guard
from app.server.auth.identity import PERSON_ROLES, Identity
from app.server.auth.tls import client_context

_WILDCARDS = ("", "0.0.0.0", "::")


class AfanasyError(Exception):
    """A request the listener answers with Afanasy's ``{"error": text}``."""


class Bridge:
    """REST calls to the server at ``host:port`` with a delegated token per person."""

    def __init__(self, guard: Guard, host: str, port: int, tls_cert=None) -> None:
        self._guard = guard
        host = "127.0.0.1" if host in _WILDCARDS else host
        scheme = "https" if tls_cert is not None else "http"
        self._base = f"{scheme}://{'[' + host + ']' if ':' in host else host}:{port}/api/v1"
        self._ssl: ssl.SSLContext | bool = True
        if tls_cert is not None:  # the server's own certificate, whatever name it carries
            self._ssl = client_context(tls_cert)
            self._ssl.check_hostname = False
            self._ssl.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN  # a CA's leaf as anchor
        self._session: aiohttp.ClientSession | None = None

    def person(self, name: object) -> Identity:
        """The person called ``name`` (a user or an admin holding a token); AfanasyError for
        anyone else: Afanasy's clients cannot send a token, so the name must be known."""
        if not isinstance(name, str) or not name:
            raise AfanasyError("user_name: expected the name of a Corral user")
        identity = self._guard.tokens.identity(name.lower())
        if identity is None or identity.role not in PERSON_ROLES:
            raise AfanasyError(
                f"unknown user {name!r}: an admin adds them with 'corral users add {name.lower()}'"
            )
        return identity

    async def call(self, who: Identity, method: str, path: str, body: object = None) -> object:
        """The JSON answer of one route (text for text/plain); AfanasyError with the route's
        error for a refusal."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        headers = {"Authorization": f"Bearer {self._guard.delegate(who)}"}
        url = self._base + path
        async with self._session.request(
            method, url, json=body, headers=headers, ssl=self._ssl
        ) as answer:
            if answer.content_type == "application/json":
                data = await answer.json()
            else:
                data = await answer.text()
            if answer.status >= 400:
                error = data.get("error") if isinstance(data, dict) else data
                raise AfanasyError(str(error or f"HTTP {answer.status}"))
            return data

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def segment(name: str) -> str:
    """A name as one path segment."""
    return quote(name, safe="")
