"""The server's sender to one render (WebSocketLink) over a real WebSocket: acknowledgements ride
on the next message, or go alone ACK_DELAY after their result arrived."""

from __future__ import annotations

import asyncio
import time

import aiohttp
from aiohttp import web

from app.server import render_ws
from app.server.render_ws import WebSocketLink
from app.server.traffic import Traffic


async def link_and_client(actions):
    """A real server socket whose handler runs `actions(link)`; returns the client's messages
    with the time each arrived."""
    received: list[tuple[float, dict]] = []

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        link = WebSocketLink(ws, Traffic())
        await actions(link)
        link.close()
        async for _ in ws:
            pass
        await link.stop()
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = "http://{}:{}/ws".format(*runner.addresses[0][:2])
    try:
        async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
            async for frame in ws:
                received.append((time.monotonic(), frame.json()))
    finally:
        await runner.cleanup()
    return received


async def test_acknowledgements_ride_on_the_next_message():
    async def actions(link: WebSocketLink) -> None:
        now = asyncio.get_running_loop().time()
        link.acknowledge(1, now)
        link.acknowledge(2, now)
        link.send({"type": "assign", "task": {"n": 5}})
        await asyncio.sleep(render_ws.ACK_DELAY * 2)  # the loop runs the ack timer before this
        link.send({"type": "stop", "job": 1})  # sent in order: a lone ack would come first

    messages = [message for _, message in await link_and_client(actions)]
    assert messages == [
        {"type": "assign", "task": {"n": 5}, "acks": [1, 2]},
        {"type": "stop", "job": 1},
    ]


async def test_an_acknowledgement_goes_alone_when_nothing_else_is_sent():
    acknowledged = []

    async def actions(link: WebSocketLink) -> None:
        link.send({"type": "stop", "job": 1})
        await asyncio.sleep(0.02)
        acknowledged.append(time.monotonic())
        link.acknowledge(7, asyncio.get_running_loop().time())
        await asyncio.sleep(render_ws.ACK_DELAY * 3)
        link.acknowledge(8, asyncio.get_running_loop().time())  # a second round: a new timer
        await asyncio.sleep(render_ws.ACK_DELAY * 3)

    received = await link_and_client(actions)
    assert [message for _, message in received] == [
        {"type": "stop", "job": 1},
        {"type": "ack", "acks": [7]},
        {"type": "ack", "acks": [8]},
    ]
    assert received[1][0] - acknowledged[0] >= render_ws.ACK_DELAY  # it waited for a ride


async def test_a_result_committed_late_is_acknowledged_at_once():
    async def actions(link: WebSocketLink) -> None:
        received = asyncio.get_running_loop().time() - render_ws.ACK_DELAY  # a slow commit
        link.acknowledge(3, received)
        link.send({"type": "assign", "task": {"n": 6}})  # too late to carry it

    messages = [message for _, message in await link_and_client(actions)]
    assert messages == [{"type": "ack", "acks": [3]}, {"type": "assign", "task": {"n": 6}}]
