"""The connection gate on a real loopback socket in front of a real aiohttp application: the
first request's deadline (slowloris), the cap with its eviction of the longest idle, the 503
beyond it, and the open-file limit it is derived from."""

from __future__ import annotations

import asyncio
import contextlib
import resource
import subprocess
import sys

import aiohttp
import pytest
from aiohttp import web

from app.server.connections import REFUSAL, ConnectionGate, connection_cap, in_request
from app.server.traffic import Traffic
from tests.polling import until

PARTIAL = b"GET /ok HTTP/1.1\r\nHost: 127.0.0.1\r\n"  # the headers' end never comes
REST = b"\r\n"


async def ok(request: web.Request) -> web.Response:
    return web.Response(text="ok")


async def echo(request: web.Request) -> web.WebSocketResponse:
    socket = web.WebSocketResponse()
    await socket.prepare(request)
    async for message in socket:
        await socket.send_str(message.data)
    return socket


@contextlib.asynccontextmanager
async def serving(cap: int, header_timeout: float):
    """An application (/ok, the /ws echo) behind a ConnectionGate; yields (gate, port)."""
    application = web.Application(middlewares=[in_request])
    application.router.add_get("/ok", ok)
    application.router.add_get("/ws", echo)
    runner = web.AppRunner(application, access_log=None)
    await runner.setup()
    gate = ConnectionGate(runner.server, cap, header_timeout, Traffic())
    listener = await asyncio.get_running_loop().create_server(gate, "127.0.0.1", 0)
    try:
        yield gate, listener.sockets[0].getsockname()[1]
    finally:
        listener.close()
        await runner.cleanup()


async def slow(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A connection that has sent part of its request headers."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(PARTIAL)
    await writer.drain()
    return reader, writer


async def answer(reader: asyncio.StreamReader) -> bytes:
    """Everything the server sends until it closes the connection."""
    return await asyncio.wait_for(reader.read(), 10)


async def get_ok(port: int) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(PARTIAL + b"Connection: close\r\n" + REST)
    try:
        return await answer(reader)
    finally:
        writer.close()


async def test_a_connection_without_complete_headers_is_closed_after_the_header_timeout():
    async with serving(cap=10, header_timeout=0.3) as (gate, port):
        reader, writer = await slow(port)
        assert await answer(reader) == b""
        await until(lambda: gate.open == 0)
        writer.close()


async def test_requests_and_websockets_outlive_the_header_timeout():
    async with (
        serving(cap=10, header_timeout=0.5) as (gate, port),
        aiohttp.ClientSession() as session,
        session.ws_connect(f"http://127.0.0.1:{port}/ws") as ws,
    ):
        keep_alive = await session.get(f"http://127.0.0.1:{port}/ok")
        assert await keep_alive.text() == "ok"
        reader, writer = await slow(port)  # its deadline comes after theirs
        assert await answer(reader) == b""
        await ws.send_str("still here")
        assert await ws.receive_str(timeout=10) == "still here"
        again = await session.get(f"http://127.0.0.1:{port}/ok")
        assert await again.text() == "ok"
        writer.close()


async def test_the_gate_counts_every_byte_in_and_out_of_its_connections():
    async with serving(cap=10, header_timeout=60) as (gate, port):
        answered = await get_ok(port)
        assert answered.startswith(b"HTTP/1.1 200") and answered.endswith(b"ok")
        request = PARTIAL + b"Connection: close\r\n" + REST
        assert (gate.traffic.bytes_in, gate.traffic.bytes_out) == (len(request), len(answered))
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(f"http://127.0.0.1:{port}/ws") as ws,
        ):
            await ws.send_str("x" * 1000)
            assert await ws.receive_str(timeout=10) == "x" * 1000
            assert gate.traffic.bytes_in > len(request) + 1000
            assert gate.traffic.bytes_out > len(answered) + 1000


async def test_at_the_cap_a_new_connection_takes_the_place_of_the_longest_idle():
    async with serving(cap=3, header_timeout=60) as (gate, port):
        oldest = await slow(port)
        await until(lambda: gate.open == 1)
        others = [await slow(port), await slow(port)]
        await until(lambda: gate.open == 3)
        assert (await get_ok(port)).endswith(b"ok")
        assert await answer(oldest[0]) == b""
        for reader, writer in others:  # still open: they may finish their requests
            writer.write(b"Connection: close\r\n" + REST)
            assert (await answer(reader)).endswith(b"ok")
        for _, writer in [oldest, *others]:
            writer.close()


async def test_at_the_cap_an_idle_keep_alive_connection_gives_way():
    async with (
        serving(cap=2, header_timeout=60) as (gate, port),
        aiohttp.ClientSession() as session,
        session.ws_connect(f"http://127.0.0.1:{port}/ws") as ws,
    ):
        keep_alive = await session.get(f"http://127.0.0.1:{port}/ok")
        assert await keep_alive.text() == "ok"
        await until(lambda: gate.open == 2)
        assert (await get_ok(port)).endswith(b"ok")  # in place of the idle keep-alive one
        await ws.send_str("still here")  # in its request all along: not idle
        assert await ws.receive_str(timeout=10) == "still here"


async def test_beyond_the_cap_of_connections_in_requests_a_new_one_gets_503():
    async with serving(cap=2, header_timeout=60) as (gate, port):
        async with aiohttp.ClientSession() as session:
            first = await session.ws_connect(f"http://127.0.0.1:{port}/ws")
            async with session.ws_connect(f"http://127.0.0.1:{port}/ws"):
                assert await get_ok(port) == REFUSAL
            await until(lambda: gate.open == 1)
            assert (await get_ok(port)).endswith(b"ok")
            await first.close()
        await until(lambda: gate.open == 0)


@pytest.mark.parametrize(
    ("open_files", "cap"),
    [(100, 16), (256, 64), (1024, 832), (20000, 17500), (None, 4096)],
)
def test_the_cap_leaves_room_below_the_open_file_limit(open_files, cap):
    assert connection_cap(open_files) == cap


def test_the_soft_open_file_limit_is_raised_to_the_hard_one():
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    soft = min(256, hard)
    script = (
        "import resource; from app.server.connections import raise_open_files_limit; "
        "print(raise_open_files_limit(), resource.getrlimit(resource.RLIMIT_NOFILE)[0])"
    )
    shown = subprocess.run(
        [sys.executable, "-c", script],
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard)),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert shown == [str(hard), str(hard)]
