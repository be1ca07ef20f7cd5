"""A stand-in for an authenticating server, for the clients' tests: bearer tokens and users.

`AuthStub` serves on loopback (in a thread of its own, so blocking and asynchronous clients can
both call it) what the clients send credentials to, as docs/protocol.md describes it: every path
but ``GET /api/v1/health`` needs ``Authorization: Bearer TOKEN`` of a known user (401 JSON
otherwise); ``/api/v1/users`` add users and issue or revoke their tokens (admin); ``whoami``,
``jobs`` and the ``events`` socket answer any user. It records every request's Authorization
header. With ``ssl_context`` it serves https.
"""

from __future__ import annotations

import secrets
import ssl
from typing import NamedTuple

from aiohttp import web

from tests.loopback_app import LoopbackApp, hold_socket

ADMIN_TOKEN = "crl_stub_admin"
IDENTITY = web.RequestKey("identity", tuple)  # (name, role) of the request's token


class Seen(NamedTuple):
    method: str
    path: str
    authorization: str | None


class AuthStub(LoopbackApp):
    """``with AuthStub() as server:`` point a client at ``server.url``; read ``seen``."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        super().__init__(ssl_context)
        self.tokens: dict[str, tuple[str, str]] = {ADMIN_TOKEN: ("admin", "admin")}
        self.seen: list[Seen] = []

    def authorizations(self, path: str) -> list[str | None]:
        """The Authorization headers of the requests for ``path`` so far."""
        return [seen.authorization for seen in self.seen if seen.path == path]

    def application(self) -> web.Application:
        application = web.Application(middlewares=[self._authenticate])
        application.router.add_get("/api/v1/health", _answer({"ok": True}))
        application.router.add_get("/api/v1/whoami", self._whoami)
        application.router.add_get("/api/v1/jobs", _answer([]))
        application.router.add_get("/api/v1/users", _answer([]))
        application.router.add_post("/api/v1/users", self._add_user)
        application.router.add_post("/api/v1/users/{name}/token", self._issue)
        application.router.add_delete("/api/v1/users/{name}/token", self._revoke)
        application.router.add_get("/api/v1/events", hold_socket)
        return application

    @web.middleware
    async def _authenticate(self, request: web.Request, handler) -> web.StreamResponse:
        authorization = request.headers.get("Authorization")
        self.seen.append(Seen(request.method, request.path, authorization))
        if request.path == "/api/v1/health":
            return await handler(request)
        scheme, _, token = (authorization or "").partition(" ")
        identity = self.tokens.get(token) if scheme == "Bearer" else None
        if identity is None:
            return web.json_response({"error": "missing or unknown token"}, status=401)
        request[IDENTITY] = identity
        admin_only = request.path.startswith("/api/v1/users") and request.method != "GET"
        if admin_only and identity[1] != "admin":
            return web.json_response({"error": "admins only"}, status=403)
        return await handler(request)

    async def _whoami(self, request: web.Request) -> web.Response:
        name, role = request[IDENTITY]
        return web.json_response({"name": name, "role": role})

    def _new_token(self, name: str, role: str) -> dict:
        self.tokens = {t: who for t, who in self.tokens.items() if who[0] != name}
        token = "crl_" + secrets.token_urlsafe(32)
        self.tokens[token] = (name, role)
        return {"name": name, "role": role, "token": token}

    def _role(self, name: str) -> str | None:
        return next((role for who, role in self.tokens.values() if who == name), None)

    async def _add_user(self, request: web.Request) -> web.Response:
        body = await request.json()
        if self._role(body["name"]) is not None:
            return web.json_response({"error": f"user {body['name']} has a token"}, status=409)
        return web.json_response(self._new_token(body["name"], body["role"]), status=201)

    async def _issue(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        return web.json_response(self._new_token(name, self._role(name) or "user"))

    async def _revoke(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if self._role(name) is None:
            return web.json_response({"error": f"user {name} has no token"}, status=404)
        self.tokens = {t: who for t, who in self.tokens.items() if who[0] != name}
        return web.json_response({"ok": True})


def _answer(value: object):
    async def handler(_request: web.Request) -> web.Response:
        return web.json_response(value)

    return handler
