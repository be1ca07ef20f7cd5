"""The server's connections: at most ``cap`` open at once, and a deadline for each one's first
request, so that slow or idle clients (slowloris) cannot use up the descriptors.

`ConnectionGate` is the protocol factory of the listening socket. It wraps each connection's
HTTP protocol and counts the connection from ``connection_made`` to ``connection_lost``; the
middleware `in_request` tells it when a request reaches the application and when its answer
is written (the end of aiohttp's task for the request). A connection whose first request has
not reached the application within ``header_timeout`` seconds (its headers are incomplete) is
closed. A connection with no request in progress is idle; a websocket is in its request for as
long as it lives. When ``cap`` connections are open, a new one takes the place of the longest
idle one (a slow client still sending its first headers, or a keep-alive connection between
requests); if none is idle, the new one is answered 503 and closed. Keep-alive connections are
closed after aiohttp's idle timeout; a TLS handshake is bounded by the listener's handshake
timeout.

The cap stays below the open-file limit, which `raise_open_files_limit` raises to the hard
limit at start: the rest is left for the store, the logs, task outputs and the accept burst
(`BACKLOG` connections accepted before the gate sees them).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable

from aiohttp import web

from app.server.log_throttle import LogThrottle
from app.server.traffic import Traffic

log = logging.getLogger("corral.server.connections")
_THROTTLE = LogThrottle()  # for this module's and asyncio's ("socket.accept() out of ...")
log.addFilter(_THROTTLE)
logging.getLogger("asyncio").addFilter(_THROTTLE)

BACKLOG = 64  # the listen queue, and how many connections one accept burst may open
# Descriptors left beside the cap: two accept bursts (one accepted, the one it evicts not yet
# closed) and 64 for the store, the logs and the outputs being written
RESERVE = 2 * BACKLOG + 64
MIN_CAP = 16
NO_LIMIT_CAP = 4096  # the cap where the open-file limit is not known (Windows) or infinite
_BODY = json.dumps({"error": "too many connections: try again later"}).encode()
REFUSAL = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
    b"Retry-After: 1\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(_BODY), _BODY)
)


def raise_open_files_limit() -> int | None:
    """Raise this process's soft open-file limit to its hard limit; returns the soft limit then
    in force (None where it is unknown or infinite). Logged once."""
    try:
        import resource
    except ImportError:  # Windows: no such limit on sockets
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):  # macOS refuses an infinite hard limit: keep the soft one
            pass
    if soft == resource.RLIM_INFINITY:
        return None
    log.info("open files: up to %d; connections: up to %d", soft, connection_cap(soft))
    return soft


def connection_cap(open_files: int | None) -> int:
    """How many connections to keep open with this open-file limit: an eighth of it, at least
    `RESERVE`, is left for everything else."""
    if open_files is None:
        return NO_LIMIT_CAP
    return max(open_files - max(RESERVE, open_files // 8), MIN_CAP)


class ConnectionGate:
    """The listening socket's protocol factory: wraps ``make_protocol()`` (aiohttp's server)."""

    def __init__(
        self,
        make_protocol: Callable[[], asyncio.Protocol],
        cap: int,
        header_timeout: float,
        traffic: Traffic,
    ) -> None:
        self.cap = cap
        self.traffic = traffic  # bytes in and out are counted here
        traffic.connections = lambda: len(self._open)
        self.header_timeout = header_timeout
        self._make_protocol = make_protocol
        self._open: set[_Connection] = set()
        self._idle: dict[_Connection, None] = {}  # open, no request in progress; longest first

    @property
    def open(self) -> int:
        """Connections open now."""
        return len(self._open)

    def __call__(self) -> asyncio.Protocol:
        if len(self._open) >= self.cap:
            if not self._idle:
                log.warning("refused a connection: %d open, the most this server takes", self.cap)
                return _Refused()
            log.warning(
                "closed the longest idle connection to make room: %d open, the most this server"
                " takes",
                self.cap,
            )
            next(iter(self._idle)).close()
        return _Connection(self, self._make_protocol())


@web.middleware
async def in_request(request: web.Request, handler):
    """Tell the request's connection that it is in a request until the answer is written."""
    transport = request.transport
    connection = transport.get_protocol() if transport is not None else None
    if isinstance(connection, _Connection):
        connection.busy()
        asyncio.current_task().add_done_callback(connection.idle)
    return await handler(request)


class _Connection(asyncio.Protocol):
    """One counted connection: passes everything to its HTTP protocol, and closes the
    connection if its first request does not come in time."""

    def __init__(self, gate: ConnectionGate, protocol: asyncio.Protocol) -> None:
        self._gate = gate
        self._protocol = protocol
        self._transport: asyncio.BaseTransport | None = None  # from made to lost
        self._deadline: asyncio.TimerHandle | None = None  # until the first request

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport
        _count_writes(transport, self._gate.traffic)
        self._gate._open.add(self)
        self._gate._idle[self] = None
        loop = asyncio.get_running_loop()
        self._deadline = loop.call_later(self._gate.header_timeout, self._too_slow)
        self._protocol.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        self._gate.traffic.bytes_in += len(data)
        self._protocol.data_received(data)

    def eof_received(self) -> bool | None:
        return self._protocol.eof_received()

    def pause_writing(self) -> None:
        self._protocol.pause_writing()

    def resume_writing(self) -> None:
        self._protocol.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self.busy()
        self._transport = None
        self._gate._open.discard(self)
        self._protocol.connection_lost(exc)

    def busy(self) -> None:
        """A request is in progress (or the connection is closing): not idle."""
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._gate._idle.pop(self, None)

    def idle(self, _request_task: object) -> None:
        """The request's answer is written: idle until the next one."""
        if self._transport is not None:
            self._gate._idle[self] = None

    def close(self) -> None:
        """Close the connection; its protocol hears of it through connection_lost."""
        self.busy()
        self._transport.close()

    def _too_slow(self) -> None:
        peer = self._transport.get_extra_info("peername")
        log.warning(
            "closed a connection from %s: no complete request headers within %g s",
            peer[0] if peer else "?",
            self._gate.header_timeout,
        )
        self.close()


def _count_writes(transport, traffic: Traffic) -> None:
    """Count what is written to a connection: its transport's write and writelines, replaced on
    this one transport object by counting wrappers (what aiohttp writes goes through them)."""
    write, writelines = transport.write, transport.writelines

    def counted_write(data) -> None:
        traffic.bytes_out += len(data)
        write(data)

    def counted_writelines(chunks) -> None:
        chunks = list(chunks)
        traffic.bytes_out += sum(len(chunk) for chunk in chunks)
        writelines(chunks)

    transport.write, transport.writelines = counted_write, counted_writelines


class _Refused(asyncio.Protocol):
    """A connection beyond the cap: answered 503 and closed."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.write(REFUSAL)
        transport.close()
