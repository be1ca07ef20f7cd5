"""Afanasy's framing byte by byte, and the listener's trust by network."""

import asyncio
import ipaddress

import pytest

from app.server.afanasy.bridge import Bridge
from app.server.afanasy.framing import HTTP, MAX_BODY, RAW, FrameError, frame, read_request
from app.server.afanasy.listener import AfanasyListener, parse_networks, trusted

BODY = b'{"get":{"type":"jobs","user_name":"ann"}}'


async def read(data: bytes):
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    return await read_request(reader)


@pytest.mark.parametrize(
    "data",
    [
        b"AFANASY %d JSON" % len(BODY) + BODY,  # af.py: the body right after JSON
        b"AFANASY %d JSON\n  " % len(BODY) + BODY,  # white space before the body is skipped
        b"[ * AFANASY * ] 1 0 %d JSON" % len(BODY) + BODY,  # the older header
    ],
)
async def test_raw_request(data):
    request = await read(data + b"trailing bytes are never read")
    assert (request.framing, request.body) == (RAW, BODY)


@pytest.mark.parametrize("end", [b"\r\n", b"\n"])
async def test_http_post_with_afanasy_header(end):
    data = end.join(
        [b"POST / HTTP/1.1", b"Host: farm:51000", b"Content-Type: application/json"]
        + [b"afanasy:  %d" % len(BODY), b"", BODY]
    )
    request = await read(data)
    assert (request.framing, request.body) == (HTTP, BODY)


@pytest.mark.parametrize(
    ("data", "framing", "says"),
    [
        (b"", None, "closed before a request"),
        (b"GET / HTTP/1.1\r\n\r\n", None, "expected 'AFANASY <length> JSON'"),
        (b"AFANASY x JSON{}", RAW, "bad header"),
        (b"AFANASY 10", RAW, "closed inside the header"),
        (b"AFANASY 10 JSON{}", RAW, "ended after 1 of 9 bytes"),
        (b"AFANASY %d JSON{}" % (MAX_BODY + 1), RAW, "bad length"),
        (b"POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}", HTTP, "no 'AFANASY: <length>'"),
        (b"POST / HTTP/1.1\r\nAFANASY: -2\r\n\r\n{}", HTTP, "bad length"),
        (b"POST / HTTP/1.1\r\n" + b"X: y\r\n" * 5000, HTTP, "header is longer than"),
        (b"POST / HTTP/1.1\r\nAFANASY: 2\r\n", HTTP, "closed inside the header"),
    ],
)
async def test_malformed_requests_are_refused_with_their_framing(data, framing, says):
    with pytest.raises(FrameError, match=says) as caught:
        await read(data)
    assert caught.value.framing == framing


def test_answer_frames():
    assert frame({"id": 7}, RAW) == b'AFANASY 8 JSON{"id":7}'
    assert frame({"id": 7}, HTTP) == (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
        b'Content-Length: 8\r\n\r\n{"id":7}'
    )
    assert frame({"name": "é"}, RAW) == b'AFANASY 17 JSON{"name":"\\u00e9"}'


def test_trust_by_network():
    loopback = parse_networks("127.0.0.0/8,::1")
    assert trusted("127.0.0.1", loopback) and trusted("::1", loopback)
    assert trusted("::ffff:127.0.0.1", loopback)  # IPv4-mapped
    assert not trusted("10.0.0.5", loopback) and not trusted("not an address", loopback)
    studio = parse_networks("10.0.0.0/24, fd00::/8")
    assert studio == (ipaddress.ip_network("10.0.0.0/24"), ipaddress.ip_network("fd00::/8"))
    assert trusted("10.0.0.5", studio) and not trusted("10.0.1.5", studio)
    with pytest.raises(ValueError, match="'10.0.0.300/24' is not a network"):
        parse_networks("10.0.0.0/24,10.0.0.300/24")


async def test_a_peer_outside_the_trusted_networks_is_refused_unread():
    """The listener, on a real socket, trusting only a network the test is not in."""
    bridge = Bridge(guard=None, host="127.0.0.1", port=1)  # never reached: refused before
    listener = AfanasyListener(bridge, parse_networks("10.0.0.0/8"), timeout=10)
    server = await listener.start("127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        for data, answer_start in ((b"AFANASY 999 JSON{", b"AFANASY "), (b"POST / ", b"HTTP")):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(data)  # the rest of the body never comes: it is not waited for
            answer = await asyncio.wait_for(reader.read(), 10)
            writer.close()
            assert answer.startswith(answer_start)
            assert b"127.0.0.1 is not trusted" in answer
    finally:
        server.close()
        await listener.close()
