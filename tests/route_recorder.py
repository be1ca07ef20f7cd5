"""A stand-in server for client tests: the real route table, recording handlers.

`RouteRecorder` serves every route of app/server/routes.py on loopback (in a thread of its own,
so blocking and asynchronous clients can both call it) with aiohttp's own matching, but instead
of running the farm it records each request and answers a canned value of the route's media
type. A request for a path or method the table does not have gets aiohttp's plain 404, and a
path parameter the route does not accept (a job id that is not a number, an unknown action) a
400, so a client calling either fails the test.
"""

from __future__ import annotations

import json
import re
from typing import NamedTuple

from aiohttp import web

from app.server.openapi import INTEGER_PARAMETERS
from app.server.route_table import Route
from app.server.routes import routes
from tests.loopback_app import LoopbackApp, hold_socket

# enough of every answer for the clients to read what they read: ids, numbers, samples
CANNED_JSON = {"ok": True, "id": 1, "block_ids": [1], "task_ids": [1], "samples": []}
CANNED = {"text/plain": b"output\n", "image/jpeg": b"\xff\xd8\xff\xd9"}


class Request(NamedTuple):
    method: str
    template: str  # the route's path template, /api/v1/jobs/{job}
    path: str
    query: dict
    body: object  # the decoded JSON body, or None without one


class RouteRecorder(LoopbackApp):
    """``with RouteRecorder() as server:`` point a client at ``server.url``; read ``requests``."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[Request] = []

    def templates(self) -> set[tuple[str, str]]:
        """The (method, path template) pairs requested so far."""
        return {(request.method, request.template) for request in self.requests}

    def application(self) -> web.Application:
        application = web.Application()
        for route in routes:
            application.router.add_route(route.method, route.path, self._handler(route))
        return application

    def _handler(self, route: Route):
        async def record(request: web.Request) -> web.StreamResponse:
            raw = await request.read()
            body = json.loads(raw) if raw else None
            query = dict(request.query)
            self.requests.append(Request(route.method, route.path, request.path, query, body))
            refused = _refused_parameter(route, request.match_info)
            if refused:
                return web.json_response({"error": refused}, status=400)
            if request.headers.get("Upgrade", "").lower() == "websocket":
                return await hold_socket(request)
            if route.answer == "application/json":
                return web.json_response(CANNED_JSON, status=int(route.status))
            return web.Response(body=CANNED[route.answer], content_type=route.answer)

        return record


def _refused_parameter(route: Route, values: dict) -> str:
    """Why a path parameter does not fit the route (as the OpenAPI document describes it)."""
    for name, value in values.items():
        if name in route.enums and value not in route.enums[name]:
            return f"{name}: {value!r} is not one of {list(route.enums[name])}"
        if name in INTEGER_PARAMETERS and not re.fullmatch(r"\d+", value):
            return f"{name}: {value!r} is not a number"
    return ""
