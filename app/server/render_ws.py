"""The render WebSocket: one connection per render, messages in, assignments out.

The guard (app/server/auth/guard.py) let the connection in with a render token or the farm
secret; here, once per connection, `register` is held to it: a render token registers only its
own render's name; the farm secret registers a name no render holds a token for, and the render
is given its token in `registered`. Afterwards a render reports only on the runs it holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time

from aiohttp import WSMsgType, web

from app.core import states
from app.core.json_checks import decode
from app.core.renders import Render
from app.protocol import ACKS, NAME_TAKEN, RunKey
from app.server import render_messages as messages
from app.server.auth import Identity, render
from app.server.auth.book import IssuedTokens
from app.server.auth.guard import FARM_SECRET_HOLDER, IDENTITY
from app.server.farm import Farm
from app.server.traffic import Traffic

log = logging.getLogger("corral.render_ws")

MAX_MESSAGE = 32 * 1024 * 1024
# what a render sends
MESSAGE_TYPES = frozenset(("register", "result", "output", "progress", "started", "heartbeat"))
ACK_DELAY = 0.1  # seconds after its result an acknowledgement may wait for a message to ride on
_ACK = {"type": "ack"}  # sent when no message took the acknowledgements in time


class WebSocketLink:
    """Sends the farm's messages to one render in order, without blocking the farm.

    Acknowledgements wait to ride on the next message to the render as its `acks` field (with
    short tasks that is the next assign: one frame instead of two), until ACK_DELAY after their
    result arrived: a result whose commit took longer is acknowledged at once."""

    def __init__(self, ws: web.WebSocketResponse, traffic: Traffic) -> None:
        self.ws = ws
        self.traffic = traffic
        self._queue: asyncio.Queue = asyncio.Queue()
        self._acks: list[int] = []  # committed results' seqs not sent yet
        self._ack_timer: asyncio.TimerHandle | None = None
        self._sender = asyncio.create_task(self._send_all())

    def send(self, message: dict) -> None:
        self._queue.put_nowait(message)

    def acknowledge(self, seq: int, received: float) -> None:
        """Tell the render its result `seq`, received at loop time `received`, is committed."""
        self._acks.append(seq)
        if self._ack_timer is None:
            loop = asyncio.get_running_loop()
            due = received + ACK_DELAY
            if loop.time() >= due:
                self._queue.put_nowait(_ACK)
            else:
                self._ack_timer = loop.call_at(due, self._queue.put_nowait, _ACK)

    def close(self) -> None:
        self._queue.put_nowait(None)

    async def stop(self) -> None:
        if self._ack_timer is not None:
            self._ack_timer.cancel()
        self._sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._sender

    def _with_acks(self, message: dict) -> dict:
        if not self._acks:
            return message
        if self._ack_timer is not None:
            self._ack_timer.cancel()
            self._ack_timer = None
        message, self._acks = {**message, ACKS: self._acks}, []
        return message

    async def _send_all(self) -> None:
        while True:
            message = await self._queue.get()
            if message is None:
                await self.ws.close()
                return
            batch = [message]
            while not self._queue.empty() and len(batch) < 256:
                batch.append(self._queue.get_nowait())
            try:
                for item in batch:
                    if item is None:
                        await self.ws.close()
                        return
                    if item["type"] == "ack" and not self._acks:
                        continue  # its acks went out with an earlier message
                    text = json.dumps(self._with_acks(item), separators=(",", ":"))
                    self.traffic.message_out("render", item["type"])
                    await self.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                return


class Refused(Exception):
    """The render may not register under the name it gave; the connection closes. A code
    (app/protocol.py) tells the render what to do about it."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


async def handle(request: web.Request) -> web.WebSocketResponse:
    farm: Farm = request.app["farm"]
    identity: Identity = request[IDENTITY]
    tokens: IssuedTokens = request.app["guard"].tokens
    ws = web.WebSocketResponse(max_msg_size=MAX_MESSAGE, heartbeat=30)
    await ws.prepare(request)
    link = WebSocketLink(ws, farm.traffic)
    render = None
    try:
        async for frame in ws:
            if frame.type != WSMsgType.TEXT:
                if frame.type == WSMsgType.ERROR:
                    break
                link.send({"type": "error", "error": "expected JSON text messages"})
                continue
            try:
                message = decode(frame.data)
                if not isinstance(message, dict):
                    raise messages.ProtocolError("expected a JSON object")
                kind = message.get("type")
                farm.traffic.message_in("render", kind, MESSAGE_TYPES)
                if render is None:
                    if kind != "register":
                        raise messages.ProtocolError("register first")
                    hello = messages.register(message)
                    token = await _admit(tokens, identity, hello["name"])
                    _refuse_a_second_render(farm, hello)
                    render = farm.register(link, hello, render_token=token)
                    render.identity = hello["identity"]
                    continue
                farm.heard_from(render)
                if kind == "result":
                    report = messages.result(message)
                    if report["key"] not in render.runs:
                        _not_elsewhere(farm, render, report["key"])
                    _result(farm, render, link, report, asyncio.get_running_loop().time())
                elif kind == "output":
                    key, data = messages.output(message)
                    farm.output(render, _held(render, key), data)
                elif kind == "progress":
                    key, percent, frame = messages.progress(message)
                    farm.progress(render, _held(render, key), percent, frame)
                elif kind == "started":
                    _held(render, messages.run_key(message))  # the farm dates runs from assignment
                elif kind == "heartbeat":
                    resources = messages.heartbeat(message, len(frame.data))
                    if resources is not None:
                        farm.heard_resources(render, resources)
                else:
                    raise messages.ProtocolError(f"unknown message type {kind!r}")
            except (ValueError, messages.ProtocolError) as error:
                log.warning("bad message from %s: %s", render.name if render else "?", error)
                link.send({"type": "error", "error": str(error)})
            except Refused as refusal:
                log.warning("refused a render from %s: %s", request.remote, refusal)
                answer = {"type": "error", "error": str(refusal)}
                if refusal.code:
                    answer["code"] = refusal.code
                await ws.send_json(answer)  # before closing
                await ws.close()
                break
    finally:
        if render is not None:
            farm.disconnected(render, link)
        await link.stop()
    return ws


async def _admit(tokens: IssuedTokens, identity: Identity, name: str) -> str | None:
    """May this connection register as render ``name``? With the farm secret, the render's new
    token (stored before it is given); with the render's own token, None."""
    if identity is not FARM_SECRET_HOLDER:
        if identity.render_name != name:
            raise Refused(f"this token belongs to render {identity.render_name}, not {name}")
        return None
    try:
        own = render(name)
    except ValueError as error:
        raise messages.ProtocolError(str(error)) from None
    if tokens.identity(own.name) is not None:
        raise Refused(
            f"render {name} has its own token: delete the offline render to give the name to"
            " another host"
        )
    return await tokens.issue(own)


def _refuse_a_second_render(farm: Farm, hello: dict) -> None:
    """Two render processes under one name (on two hosts, or `corral tray` beside `corral up`)
    would take the name from each other at every reconnection: while one is connected, another
    identity is refused. The same render restarted (same identity) takes its place back, and so
    does any render when the holder is offline or sent no identity (older versions)."""
    render = farm.renders.get(hello["name"])
    if render is None or not render.online or not render.identity or not hello["identity"]:
        return
    if render.identity != hello["identity"]:
        raise Refused(
            f"render name {render.name} is taken: another render process is connected under it"
            f" (user {render.host.get('user') or '?'}, since"
            f" {time.strftime('%H:%M:%S', time.localtime(render.time_registered))}); start this"
            " one with another name (--name NAME), or stop the other one first",
            NAME_TAKEN,
        )


def _held(render: Render, key: RunKey) -> RunKey:
    """The key of a run the render holds; ProtocolError for any other."""
    if key not in render.runs:
        raise messages.ProtocolError(f"run {key} is not assigned to render {render.name}")
    return key


def _not_elsewhere(farm: Farm, render: Render, key: RunKey) -> None:
    """A result for a run this render no longer holds is a resent copy, unless the run is
    another render's current one: then it is refused, and nothing is counted or acknowledged."""
    block = farm.block_of(key)
    if block is None:
        return
    n, run = key[2], key[3]
    starts, _, holder, _, _ = block.tasks.detail(n)
    if block.tasks.state(n) in states.ACTIVE and starts == run and holder != render.id:
        raise messages.ProtocolError(f"run {key} is not assigned to render {render.name}")


def _result(farm: Farm, render, link: WebSocketLink, report: dict, received: float) -> None:
    """Count the result; acknowledge it once committed (a callback: no task per result)."""
    seq = report["seq"]
    try:
        written = farm.result(render, report["key"], report)
    except Exception:
        log.exception(
            "result %s of %s not counted; the render will resend it", report["key"], render.name
        )
        return
    if written is None:
        link.acknowledge(seq, received)
        return

    def committed(future: asyncio.Future) -> None:
        error = "cancelled" if future.cancelled() else future.exception()
        if error is not None:
            log.error(
                "result %s of %s not stored (%s); the render will resend it",
                report["key"],
                render.name,
                error,
            )
            return
        link.acknowledge(seq, received)

    farm.journal.then(written, committed)
