"""What the server has carried since it started (`corral server stats`, GET
/api/v1/server/stats): requests by route, WebSocket messages by kind in each direction, bytes in
and out, and the scheduler's decisions a second.

Each count is one dictionary or integer increment: O(1) per request, message or write. Keys are
route templates and known message types only (anything else counts as "other"), so what a
client sends cannot grow the tables."""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable, Container

from aiohttp import web

OTHER = "other"
RATE_WINDOW = 10  # seconds: the scheduler's decisions a second, over the last ones


class Traffic:
    """The server's counters."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.started = clock()
        self.requests: Counter[str] = Counter()  # "GET /api/v1/jobs/{job}"
        self.messages_in: Counter[str] = Counter()  # "render result", "monitor watch_block"
        self.messages_out: Counter[str] = Counter()  # "render assign", "monitor jobs"
        self.bytes_in = 0  # as received from the connections
        self.bytes_out = 0  # as written to them
        self.decisions = 0  # tasks the scheduler gave to renders
        self.connections: Callable[[], int] = lambda: 0  # open now: set by the ConnectionGate
        self._samples: deque[tuple[float, int]] = deque(maxlen=RATE_WINDOW + 1)

    def message_in(self, peer: str, kind: object, known: Container[str]) -> None:
        """A message from a render or a monitor, counted by its type if it is a known one."""
        known_kind = isinstance(kind, str) and kind in known  # a list or a dict is no type
        self.messages_in[f"{peer} {kind if known_kind else OTHER}"] += 1

    def message_out(self, peer: str, kind: str) -> None:
        self.messages_out[f"{peer} {kind}"] += 1

    @web.middleware
    async def middleware(self, request: web.Request, handler):
        """Count each request by the route it matched."""
        info = request.match_info
        resource = info.route.resource if info.http_exception is None else None
        key = f"{request.method} {resource.canonical}" if resource is not None else OTHER
        self.requests[key] += 1
        return await handler(request)

    def sample(self) -> None:
        """Note the decisions so far (once a second, from the server's tick)."""
        self._samples.append((self.clock(), self.decisions))

    def decisions_per_second(self) -> float:
        if len(self._samples) < 2:
            return 0.0
        (first, before), (last, now) = self._samples[0], self._samples[-1]
        return (now - before) / (last - first) if last > first else 0.0

    def summary(self, renders: int, monitors: int) -> dict:
        return {
            "uptime": self.clock() - self.started,
            "requests": dict(self.requests),
            "messages_in": dict(self.messages_in),
            "messages_out": dict(self.messages_out),
            "bytes_in": self.bytes_in,
            "bytes_out": self.bytes_out,
            "renders": renders,
            "monitors": monitors,
            "connections": self.connections(),
            "decisions": self.decisions,
            "decisions_per_second": self.decisions_per_second(),
        }
