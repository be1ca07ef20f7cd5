"""The monitor events socket on the protocol level: what changes arrive, bad requests, limits."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from app.api import numeric_job
from app.server.events import MAX_WATCHED


async def _next(ws, kind: str, timeout: float = 10.0) -> dict:
    """The next message of a kind (others are skipped)."""
    async with asyncio.timeout(timeout):
        while True:
            message = json.loads((await ws.receive()).data)
            if message["type"] == kind:
                return message


@pytest.fixture
async def events(farm):
    farm.start_server()
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(farm.url + "/api/v1/events", headers=farm.auth_header) as ws,
    ):
        assert (await _next(ws, "hello"))["time"] > 0
        yield ws


async def test_jobs_and_deletions_arrive_coalesced(farm, events):
    ids = [farm.client.submit(numeric_job(f"j{i}", "true", 1, 3, paused=True)) for i in range(3)]
    seen: set[int] = set()
    while seen != set(ids):
        message = await _next(events, "jobs")
        seen |= {job["id"] for job in message["jobs"]}
    farm.client.delete_job(ids[0])
    assert (await _next(events, "jobs_deleted"))["ids"] == [ids[0]]


async def test_bad_requests_are_answered_and_the_socket_stays(farm, events):
    for text, error in [
        ("not json", "expected JSON"),
        ("[1]", "expected a JSON object"),
        ('{"type": "subscribe_all"}', "unknown message type"),
        ('{"type": "watch_block", "job": "1", "block": 0}', "must be integers"),
        ('{"type": "watch_output", "job": 1, "block": 0, "task": -1, "run": 1}', "integers"),
    ]:
        await events.send_str(text)
        assert error in (await _next(events, "error"))["error"]
    for n in range(MAX_WATCHED):
        await events.send_str(json.dumps({"type": "watch_block", "job": 1, "block": n}))
    await events.send_str(json.dumps({"type": "watch_block", "job": 1, "block": 99}))
    assert "at most" in (await _next(events, "error"))["error"]
    job_id = farm.client.submit(numeric_job("still", "true", 1, 1, paused=True))
    assert (await _next(events, "jobs"))["jobs"][0]["id"] == job_id  # still served


async def test_watched_block_gets_its_task_changes(farm, events):
    job_id = farm.client.submit(numeric_job("w", "true", 1, 4, paused=True))
    await events.send_str(json.dumps({"type": "watch_block", "job": job_id, "block": 0}))
    await events.send_str("ping")  # answered in turn: once it is, the watch above is in place
    await _next(events, "error")
    farm.client.task_actions(job_id, 0, "skip", [1, 2])
    message = await _next(events, "tasks")
    assert (message["job"], message["block"]) == (job_id, 0)
    assert [(t["num"], t["state"]) for t in message["tasks"]] == [(1, "SKP"), (2, "SKP")]


async def test_a_stopping_server_closes_the_monitors_sockets_first(farm, events):
    """Else the server waits for them (a monitor holds its socket open) before it stops."""
    stopping = asyncio.ensure_future(asyncio.to_thread(farm.server.stop, 60))
    message = await events.receive(timeout=20)
    assert (message.type, message.data) == (aiohttp.WSMsgType.CLOSE, aiohttp.WSCloseCode.GOING_AWAY)
    assert await stopping == 0
