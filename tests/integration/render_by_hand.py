"""The render protocol (docs/protocol.md) spoken by hand to a real server: a render socket, the
`register` message, results, and waits for a kind of message or an acknowledgement."""

from __future__ import annotations

import contextlib
import time
import weakref
from collections.abc import AsyncIterator

import aiohttp

from app import RENDER_PROTOCOL
from app.protocol import KEY_FIELDS
from app.server.auth import read_secret
from bench.local_farm import LocalFarm


def hello(name: str, max_tasks=1, capacity=1000, **fields) -> dict:
    """A `register` message as a render of this version sends it."""
    return {
        "type": "register",
        "protocol": RENDER_PROTOCOL,
        "name": name,
        "max_tasks": max_tasks,
        "capacity": capacity,
        **fields,
    }


@contextlib.asynccontextmanager
async def render_socket(
    farm: LocalFarm, credential: str | None = None, **options
) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
    """A WebSocket to the render endpoint of the farm's server, joining with credential (a
    render token; by default the farm secret); options go to ws_connect."""
    secret = credential or read_secret(farm.farm_secret_file)
    headers = {"Authorization": f"Bearer {secret}", **options.pop("headers", {})}
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"{farm.url}/api/v1/render/ws", headers=headers, **options) as ws,
    ):
        yield ws


def run_key(task: dict) -> dict:
    """The run key fields of an assigned task, as a message carries them."""
    return {field: task[field] for field in KEY_FIELDS}


def result(task: dict, seq: int, **fields) -> dict:
    """A successful `result` of an assigned task, fields overriding."""
    now = time.time()
    return {
        "type": "result",
        "seq": seq,
        **run_key(task),
        "exit_code": 0,
        "signal": None,
        "error": None,
        "time_start": now,
        "time_done": now,
        "output": "out",
        **fields,
    }


async def receive(ws, kind: str) -> dict:
    """The next message of one kind; others that arrive first wait in the socket's inbox."""
    inbox = _INBOXES.setdefault(ws, [])
    for message in inbox:
        if message["type"] == kind:
            inbox.remove(message)
            return message
    while True:
        message = await _next(ws)
        if message["type"] == kind:
            return message
        inbox.append(message)


async def acked(ws, seq: int) -> None:
    """Wait until the server acknowledges result `seq` (on whatever message carries it)."""
    while seq not in _ACKED.setdefault(ws, set()):
        _INBOXES.setdefault(ws, []).append(await _next(ws))


def acknowledged(ws) -> set[int]:
    """The seqs of the results the server has acknowledged on this socket so far."""
    return _ACKED.get(ws, set())


async def listen(ws, seconds: float) -> None:
    """Take in every message arriving within seconds (into the inbox, noting its acks)."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            _INBOXES.setdefault(ws, []).append(await _next(ws, left))
        except TimeoutError:
            return


async def _next(ws, timeout: float = 10) -> dict:
    """The next message, whatever its kind; the acknowledgements it carries are noted."""
    message = await ws.receive_json(timeout=timeout)
    _ACKED.setdefault(ws, set()).update(message.get("acks", ()))
    return message


# per socket: messages not asked for yet, and the seqs acknowledged so far
_INBOXES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_ACKED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
