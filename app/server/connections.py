"""The server's connections: at most ``cap`` open at once, and a deadline for each one's first
request headers, so that slow or idle clients (slowloris) cannot use up the descriptors.

`ConnectionGate` is the protocol factory of the listening socket. It wraps each connection's
HTTP protocol and counts the connection from ``connection_made`` to ``connection_lost``. A
connection that has not sent its first request's complete headers within ``header_timeout``
seconds is closed; after them it is left alone (a websocket heartbeats, a keep-alive connection
has aiohttp's idle timeout). When ``cap`` connections are open, a new one takes the place of the
oldest still waiting for its headers; if every open connection has sent them, the new one is
answered 503 and closed. A TLS handshake is bounded by the listener's handshake timeout.

The cap stays below the open-file limit, which `raise_open_files_limit` raises to the hard
limit at start: the rest is left for the store, the logs, task outputs and the accept burst
(`BACKLOG` connections accepted before the gate sees them).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable

from app.server.log_throttle import LogThrottle

log = logging.getLogger("corral.server.connections")
_THROTTLE = LogThrottle()  # for this module's and asyncio's ("socket.accept() out of ...")
log.addFilter(_THROTTLE)
logging.getLogger("asyncio").addFilter(_THROTTLE)

BACKLOG = 64  # the listen queue, and how many connections one accept burst may open
NO_LIMIT_CAP = 4096  # the cap where the open-file limit is not known (Windows) or infinite
_HEADERS_ENDS = (b"\n\r\n", b"\n\n")  # the empty line after the headers (CRLF or bare LF)
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
    except ImportError:  # Windows: sockets are not bounded by a descriptor table
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
    """How many connections to keep open with this open-file limit: an eighth of it (at least
    128) is left for everything else, and at least half goes to connections."""
    if open_files is None:
        return NO_LIMIT_CAP
    return max(open_files - max(128, open_files // 8), open_files // 2)


class ConnectionGate:
    """The listening socket's protocol factory: wraps ``make_protocol()`` (aiohttp's server)."""

    def __init__(
        self, make_protocol: Callable[[], asyncio.Protocol], cap: int, header_timeout: float
    ) -> None:
        self.cap = cap
        self.header_timeout = header_timeout
        self._make_protocol = make_protocol
        self._open: set[_Connection] = set()
        self._waiting: dict[_Connection, None] = {}  # open, headers not complete; oldest first

    @property
    def open(self) -> int:
        """Connections open now."""
        return len(self._open)

    def __call__(self) -> asyncio.Protocol:
        if len(self._open) >= self.cap:
            if not self._waiting:
                log.warning("refused a connection: %d open, the most this server takes", self.cap)
                return _Refused()
            oldest = next(iter(self._waiting))
            log.warning(
                "closed the oldest connection still sending its request headers to make room:"
                " %d open, the most this server takes",
                self.cap,
            )
            oldest.close()
        return _Connection(self, self._make_protocol())

    def opened(self, connection: _Connection) -> None:
        """A connection is made: counted, and waiting for its headers."""
        self._open.add(connection)
        self._waiting[connection] = None

    def sent_headers(self, connection: _Connection) -> None:
        """A connection has sent its first request's headers (or is closing)."""
        self._waiting.pop(connection, None)

    def closed(self, connection: _Connection) -> None:
        """A connection is lost: no longer counted."""
        self._open.discard(connection)
        self._waiting.pop(connection, None)


class _Connection(asyncio.Protocol):
    """One counted connection: passes everything to its HTTP protocol, and closes the
    connection if the first request's headers are not complete in time."""

    def __init__(self, gate: ConnectionGate, protocol: asyncio.Protocol) -> None:
        self._gate = gate
        self._protocol = protocol
        self._transport: asyncio.BaseTransport | None = None
        self._deadline: asyncio.TimerHandle | None = None  # until the headers are complete
        self._tail = b""  # the last bytes received while waiting for the headers' end

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport
        self._gate.opened(self)
        loop = asyncio.get_running_loop()
        self._deadline = loop.call_later(self._gate.header_timeout, self._too_slow)
        self._protocol.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self._deadline is not None:
            seen = self._tail + data
            if any(end in seen for end in _HEADERS_ENDS):
                self._stop_waiting()
            else:
                self._tail = seen[-2:]
        self._protocol.data_received(data)

    def eof_received(self) -> bool | None:
        return self._protocol.eof_received()

    def pause_writing(self) -> None:
        self._protocol.pause_writing()

    def resume_writing(self) -> None:
        self._protocol.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_waiting()
        self._gate.closed(self)
        self._protocol.connection_lost(exc)

    def close(self) -> None:
        """Close the connection; its protocol hears of it through connection_lost."""
        self._stop_waiting()
        self._transport.close()

    def _stop_waiting(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._gate.sent_headers(self)

    def _too_slow(self) -> None:
        peer = self._transport.get_extra_info("peername")
        log.warning(
            "closed a connection from %s: no complete request headers within %g s",
            peer[0] if peer else "?",
            self._gate.header_timeout,
        )
        self.close()


class _Refused(asyncio.Protocol):
    """A connection beyond the cap: answered 503 and closed."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.write(REFUSAL)
        transport.close()
