"""Afanasy's message framing, as CGRU's af.py, afcmd and web tools send it: one request per
connection, either raw (``AFANASY <length> JSON`` then the JSON object, or the older
``[ * AFANASY * ] <magic> <sender> <length> JSON``) or an HTTP POST with an ``AFANASY: <length>``
header. The answer goes back in the request's framing: ``AFANASY <length> JSON`` then the JSON
with nothing between, or an HTTP/1.1 200 answer that closes the connection.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass

RAW, HTTP = "raw", "http"
MAX_BODY = 64 * 1024 * 1024  # as the REST server's largest request
MAX_HEAD = 16 * 1024  # the raw header or the HTTP request line and headers
_SPACES_BEFORE_BODY = 16  # at most this much white space between the header and the body
_RAW_HEADER = re.compile(
    rb"(?:AFANASY|\[ \* AFANASY \* \][ \t]+-?\d+[ \t]+-?\d+)[ \t]+(\d+)[ \t]+JSON"
)


class FrameError(ValueError):
    """A request that is not framed as Afanasy frames its messages; ``framing`` is how much
    was recognised (the answer's framing), or None for bytes that are no Afanasy request."""

    def __init__(self, message: str, framing: str | None) -> None:
        super().__init__(message)
        self.framing = framing


@dataclass(frozen=True)
class Request:
    framing: str  # RAW or HTTP: how the answer is framed
    body: bytes  # the JSON text


async def read_request(reader: asyncio.StreamReader) -> Request:
    """One request from the connection; FrameError for anything else, incomplete included."""
    try:
        start = await reader.readexactly(4)
    except asyncio.IncompleteReadError:
        raise FrameError("the connection closed before a request", None) from None
    if start == b"POST":
        return Request(HTTP, await _http_body(reader))
    if start in (b"AFAN", b"[ * "):
        return Request(RAW, await _raw_body(start, reader))
    raise FrameError("expected 'AFANASY <length> JSON' or an HTTP POST", None)


async def _raw_body(start: bytes, reader: asyncio.StreamReader) -> bytes:
    head = start + await _read_until(reader, b"JSON", RAW)
    match = _RAW_HEADER.fullmatch(head)
    if match is None:
        raise FrameError(f"bad header {head[:80]!r}: expected 'AFANASY <length> JSON'", RAW)
    size = _size(match.group(1), RAW)
    first = b" "
    for _ in range(_SPACES_BEFORE_BODY + 1):  # Afanasy starts the body at its first '{'
        first = await _read_exactly(reader, 1, RAW)
        if not first.isspace():
            break
    return first + await _read_exactly(reader, size - 1, RAW) if size else b""


async def _http_body(reader: asyncio.StreamReader) -> bytes:
    """The body after the request line and headers (lines ending in CRLF or LF)."""
    size, head = None, len(await _read_until(reader, b"\n", HTTP))
    while line := (await _read_until(reader, b"\n", HTTP)).strip():
        head += len(line)
        if head > MAX_HEAD:
            raise FrameError(f"the header is longer than {MAX_HEAD} bytes", HTTP)
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"afanasy":
            size = _size(value.strip(), HTTP)
    if size is None:
        raise FrameError("the HTTP POST has no 'AFANASY: <length>' header", HTTP)
    return await _read_exactly(reader, size, HTTP)


def _size(text: bytes, framing: str) -> int:
    if not text.isdigit() or int(text) > MAX_BODY:
        raise FrameError(f"bad length {text[:20]!r}: expected 0..{MAX_BODY}", framing)
    return int(text)


async def _read_until(reader: asyncio.StreamReader, end: bytes, framing: str) -> bytes:
    try:
        return await reader.readuntil(end)
    except asyncio.IncompleteReadError:
        raise FrameError("the connection closed inside the header", framing) from None
    except asyncio.LimitOverrunError:
        raise FrameError(f"the header is longer than {MAX_HEAD} bytes", framing) from None


async def _read_exactly(reader: asyncio.StreamReader, size: int, framing: str) -> bytes:
    try:
        return await reader.readexactly(size)
    except asyncio.IncompleteReadError as error:
        got = len(error.partial)
        raise FrameError(f"the body ended after {got} of {size} bytes", framing) from None


def frame(answer: object, framing: str) -> bytes:
    """The answer's JSON in the request's framing."""
    body = json.dumps(answer, separators=(",", ":")).encode()
    if framing == HTTP:
        head = (
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        return head.encode() + body
    return b"AFANASY %d JSON" % len(body) + body
