"""Render resources end to end: a real render's heartbeats reach the render's page and its
history; a render that sends bad resources is told so and the server carries on."""

from __future__ import annotations

import asyncio
import math
import time

import aiohttp

from tests.integration.render_by_hand import hello, receive, render_socket
from tests.polling import wait_until


async def get(session: aiohttp.ClientSession, url: str, **query) -> tuple[int, dict]:
    async with session.get(url, params=query) as answer:
        return answer.status, await answer.json()


async def test_heartbeat_resources_reach_the_render_and_its_history(farm):
    farm.start_server("--heartbeat", "0.5")
    farm.start_render("meter", None, "--heartbeat", "0.5")
    farm.wait_renders(1)

    def resources():
        return farm.client.render("meter")["resources"]

    latest = wait_until(resources, timeout=20)
    assert {"cpu_idle", "cpu_user", "cpu_count", "mem_total_mb", "mem_free_mb"} <= set(latest)
    assert 0 < latest["mem_free_mb"] <= latest["mem_total_mb"]
    assert latest["hdd_free_gb"] is not None  # need_hdd has something to compare

    url = f"{farm.url}/api/v1/renders/meter/resources"
    async with aiohttp.ClientSession() as session:

        async def samples(**query) -> list[dict]:
            status, body = await get(session, url, **query)
            assert status == 200 and body["render"] == "meter", body
            return body["samples"]

        deadline = time.monotonic() + 20
        while len(history := await samples()) < 4:  # the render beats every 0.5 s
            assert time.monotonic() < deadline, history
            await asyncio.sleep(0.2)
        times = [sample["time"] for sample in history]
        assert times == sorted(times) and len(set(times)) == len(times)
        assert all("cpu_idle" in sample and "mem_free_mb" in sample for sample in history)

        middle = times[len(times) // 2]
        newer = await samples(since=str(middle))
        assert newer and all(sample["time"] > middle for sample in newer)
        assert [s["time"] for s in newer] == [t for t in times if t > middle][: len(newer)]
        assert await samples(since=str(times[-1] + 3600)) == []

        for bad in ("yesterday", "nan", "inf", "-5", ""):
            status, body = await get(session, url, since=bad)
            assert status == 400 and "since" in body["error"], (bad, body)
        status, body = await get(session, f"{farm.url}/api/v1/renders/nobody/resources")
        assert status == 404 and "nobody" in body["error"]


async def test_malformed_resources_get_an_error_and_change_nothing(farm):
    farm.start_server()
    history_url = f"{farm.url}/api/v1/renders/hand/resources"
    good = {"cpu_idle": 97.5, "mem_free_mb": 1000, "gpu": {"name": "x", "util": 3}}
    bad_ones = [
        {"cpu_idle": math.nan},  # json.dumps writes NaN, which the server's parser reads
        {"cpu_idle": math.inf},
        "not an object",
        {"deep": {"deeper": {"deepest": 1}}},
        {"gpu": {"memory": {"free": 1}}},
        {"mem_free_mb": "plenty"},
        {"blob": "x" * 20_000},
        {"users": ["a", None]},
    ]
    async with aiohttp.ClientSession() as session, render_socket(farm.url) as ws:
        await ws.send_json(hello("hand"))
        await receive(ws, "registered")
        await ws.send_json({"type": "heartbeat", "resources": good})
        await ws.send_json({"type": "heartbeat"})  # no resources: keeps the last ones
        for resources in bad_ones:
            await ws.send_json({"type": "heartbeat", "resources": resources})
            error = await receive(ws, "error")
            assert error["error"].startswith("resources"), error

        status, body = await get(session, history_url)
        assert status == 200 and len(body["samples"]) == 1, body
        assert {k: v for k, v in body["samples"][0].items() if k != "time"} == good
        assert farm.client.render("hand")["resources"] == good

        await ws.send_json({"type": "heartbeat", "resources": {**good, "cpu_idle": 50}})
        wait_until(lambda: farm.client.render("hand")["resources"]["cpu_idle"] == 50, 10)
        assert farm.client.health()["ok"]
        assert not ws.closed
    assert farm.server.running()
