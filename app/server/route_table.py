"""The route table: every route of the server declared once, with who may call it.

Each route carries its method, path, handler, the summary and schema pieces of its OpenAPI
description (app/server/openapi.py renders them) and its access rule, one of
app.server.auth.access.RULES, which the guard (app/server/auth/guard.py) enforces on every
request. The aiohttp application gets its routes from the table (`RouteTable.register`), and the
OpenAPI document is built from the same table, so the two cannot disagree.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from aiohttp import web

from app.server.auth.access import RULES

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Owner = Callable[[web.Request], str | None]


class Query(NamedTuple):
    """A query parameter, as the OpenAPI document describes it."""

    name: str
    description: str
    schema: dict  # its JSON schema
    required: bool = False


@dataclass(frozen=True, slots=True, eq=False)
class Route:
    """One route: what serves it, who may call it, and how the OpenAPI document describes it."""

    method: str  # upper case
    path: str  # the full path template, /api/v1/...
    handler: Handler
    summary: str
    access: str  # one of app.server.auth.access.RULES
    status: str = "200"  # the success status
    answer: str = "application/json"  # the media type of a successful answer
    reply: str | None = None  # a JSON answer's schema: its name in app/server/answers.py
    refusals: Sequence[str] = ()  # statuses besides those of every route (openapi.py)
    links: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # operation: parameters
    body: dict | None = None  # the request body's JSON schema; None: the route reads no body
    body_required: bool = True
    query: Sequence[Query] = ()
    enums: Mapping[str, Sequence[str]] = field(default_factory=dict)  # path parameter values
    # refusals besides 400 and 404: status -> the OpenAPI document's response for it
    refusals: Mapping[str, str] = field(default_factory=dict)
    # for access "owner": the person the object acted on belongs to; None: the handler checks
    # each object it acts on (the bulk actions)
    owner: Owner | None = None


class RouteTable:
    """The routes under one path prefix, in declaration order (the order aiohttp matches in).

    Declare a route by decorating its handler (``@table.get(path, summary, access=...)``) or,
    for a handler defined elsewhere, with `add`.
    """

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self._routes: list[Route] = []
        self._by_template: dict[tuple[str, str], Route] = {}

    def __iter__(self) -> Iterator[Route]:
        return iter(self._routes)

    def add(self, method: str, path: str, handler: Handler, summary: str, **details) -> Route:
        """Declare one route; `details` are the other fields of `Route` (access is required)."""
        route = Route(method.upper(), self.prefix + path, handler, summary, **details)
        if route.access not in RULES:
            raise ValueError(f"{route.method} {route.path}: unknown access {route.access!r}")
        key = (route.method, route.path)
        if key in self._by_template:
            raise ValueError(f"{route.method} {route.path} is declared twice")
        self._routes.append(route)
        self._by_template[key] = route
        return route

    def get(self, path: str, summary: str, **details) -> Callable[[Handler], Handler]:
        return self._declare("GET", path, summary, details)

    def post(self, path: str, summary: str, **details) -> Callable[[Handler], Handler]:
        return self._declare("POST", path, summary, details)

    def patch(self, path: str, summary: str, **details) -> Callable[[Handler], Handler]:
        return self._declare("PATCH", path, summary, details)

    def delete(self, path: str, summary: str, **details) -> Callable[[Handler], Handler]:
        return self._declare("DELETE", path, summary, details)

    def _declare(self, method: str, path: str, summary: str, details: dict):
        def decorate(handler: Handler) -> Handler:
            self.add(method, path, handler, summary, **details)
            return handler

        return decorate

    def register(self, application: web.Application) -> None:
        """Add every route to the application (a GET also answers HEAD, as aiohttp's add_get)."""
        for route in self._routes:
            if route.method == "GET":
                application.router.add_get(route.path, route.handler)
            else:
                application.router.add_route(route.method, route.path, route.handler)

    def route_of(self, request: web.Request) -> Route | None:
        """The declared route that matched this request (HEAD: its GET), e.g. for its access;
        None when the request matched none (aiohttp answers 404 or 405) or a route of another
        table (the web pages, app/server/pages.py, all public)."""
        if request.match_info.http_exception is not None:
            return None
        matched = request.match_info.route
        method = "GET" if matched.method == "HEAD" else matched.method
        return self._by_template.get((method, matched.resource.canonical))
