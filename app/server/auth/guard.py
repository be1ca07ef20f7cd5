"""The gate every request passes: its token, its route's access rule, and the refusals.

For every route but a public one, the middleware, in order: refuses an address the throttle
holds back (429); finds the identity of the bearer token (401 without a valid one; a wrong or
malformed token counts against the address, a missing one does not); refuses a WebSocket
handshake from a foreign browser ``Origin`` (403) and a JSON body of another media type (415);
then decides the route's rule (403), for ``owner`` against the owner the route names (a job's
user, a render's owner). Handlers find the identity in ``request[IDENTITY]``.

A render joins the render socket with its own token or with the farm secret
(``FARM_SECRET_HOLDER``); app/server/render_ws.py decides which name it may register. The
metrics token opens the ``scrape`` routes alone (``METRICS_SCRAPER``). A browser's WebSocket
brings its token as protocols (bearer.py, ``socket_authorization``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from aiohttp import web

from app.server.auth.access import OWNER, PERSON, PUBLIC, RENDER_ONLY, SCRAPE, Verdict, decide
from app.server.auth.bearer import BearerError, bearer_token, socket_authorization
from app.server.auth.book import IssuedTokens
from app.server.auth.identity import RENDER, SCRAPER, Identity
from app.server.auth.origin import origin_allowed
from app.server.auth.throttle import FailureThrottle
from app.server.auth.tokens import new_token, secret_matches
from app.server.route_table import Route, RouteTable

IDENTITY = "identity"  # the request's key for the caller's Identity
FARM_SECRET_HOLDER = Identity("farm-secret", RENDER)  # a render joining with the farm secret
METRICS_SCRAPER = Identity("metrics-token", SCRAPER)  # Prometheus, with the metrics token
JSON = "application/json"


class Guard:
    """The route tables, the tokens, the farm secret, the metrics token and the failure
    throttle, and the middleware using them."""

    def __init__(
        self,
        tables: Sequence[RouteTable],
        tokens: IssuedTokens,
        farm_secret: str,
        metrics_token: str | None = None,
        throttle: FailureThrottle | None = None,
    ) -> None:
        self.tables = tables
        self.tokens = tokens
        self._farm_secret = farm_secret
        self._metrics_token = metrics_token
        self.throttle = throttle or FailureThrottle()
        self._delegated: dict[str, Identity] = {}  # in-process tokens, never stored or shown

    def delegate(self, identity: Identity) -> str:
        """A token for ``identity`` that lives in this process only: the Afanasy listener
        calls the routes with it for the person its request names."""
        for token, holder in self._delegated.items():
            if holder == identity:
                return token
        token = new_token()
        self._delegated[token] = identity
        return token

    def route_of(self, request: web.Request) -> Route | None:
        """The declared route that matched this request; None when none did."""
        return next((r for t in self.tables if (r := t.route_of(request)) is not None), None)

    @web.middleware
    async def middleware(self, request: web.Request, handler) -> web.StreamResponse:
        route = self.route_of(request)
        if route is None or route.access == PUBLIC:
            return await handler(request)
        address = request.remote or ""
        wait = self.throttle.refusal(address)
        if wait > 0:
            seconds = math.ceil(wait)
            message = f"too many failed authentications from {address}: try again in {seconds} s"
            return _refuse(429, message, {"Retry-After": str(seconds)})
        header = request.headers.get("Authorization")
        if header is None and _is_socket(request):
            header = socket_authorization(request.headers.get("Sec-WebSocket-Protocol"))
        try:
            identity = self._identify(bearer_token(header), route.access)
        except BearerError as error:
            if header is not None:
                self.throttle.failed(address)
            return _refuse(401, str(error))
        if identity is None:
            self.throttle.failed(address)
            return _refuse(401, "unknown or revoked token")
        if _is_socket(request) and not origin_allowed(
            request.headers.get("Origin"), request.host, tls=request.secure
        ):
            return _refuse(403, "this origin may not open the server's sockets")
        if route.body is not None and request.body_exists and request.content_type != JSON:
            return _refuse(415, f"send the body as {JSON}")
        if route.access == OWNER and route.owner is None:
            verdict = decide(PERSON, identity)  # the handler checks each object it acts on
        else:
            owner = route.owner(request) if route.access == OWNER else None
            verdict = decide(route.access, identity, owner)
        if verdict is not Verdict.ALLOW:
            return _refuse(403, f"{identity.name} ({identity.role}) may not do this")
        request[IDENTITY] = identity
        return await handler(request)

    def _identify(self, token: str, rule: str) -> Identity | None:
        """Whose token this is; on the render socket the farm secret too, on a scrape route the
        metrics token."""
        identity = self.tokens.lookup(token) or self._delegated.get(token)
        if identity is None and rule == RENDER_ONLY and secret_matches(token, self._farm_secret):
            return FARM_SECRET_HOLDER
        metrics = self._metrics_token
        if identity is None and rule == SCRAPE and metrics and secret_matches(token, metrics):
            return METRICS_SCRAPER
        return identity


def may(request: web.Request, owner: str | None, rule: str = OWNER) -> bool:
    """Whether the request's caller passes ``rule`` for an object of ``owner``."""
    return decide(rule, request[IDENTITY], owner) is Verdict.ALLOW


def _is_socket(request: web.Request) -> bool:
    return request.headers.get("Upgrade", "").lower() == "websocket"


def _refuse(status: int, message: str, headers: dict | None = None) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers)
