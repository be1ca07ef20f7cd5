"""Render resources end to end: a real render's heartbeats reach the render's page and its
history; a render that sends bad resources is told so and the server carries on."""

from __future__ import annotations

import math

import pytest

from app.api import CorralError
from tests.integration.render_by_hand import hello, receive, render_socket
from tests.polling import wait_until


def test_heartbeat_resources_reach_the_render_and_its_history(farm):
    farm.start_server("--heartbeat", "0.5")
    farm.start_render("meter", None, "--heartbeat", "0.5")
    farm.wait_renders(1)

    def resources():
        return farm.client.render("meter")["resources"]

    latest = wait_until(resources, timeout=20)
    assert {"cpu_idle", "cpu_user", "cpu_count", "mem_total_mb", "mem_free_mb"} <= set(latest)
    assert 0 < latest["mem_free_mb"] <= latest["mem_total_mb"]
    assert latest["hdd_free_gb"] is not None  # need_hdd has something to compare

    def history(at_least: int) -> list[dict]:
        samples = farm.client.render_resources("meter")
        return samples if len(samples) >= at_least else []

    samples = wait_until(lambda: history(4), timeout=20)  # the render beats every 0.5 s
    times = [sample["time"] for sample in samples]
    assert times == sorted(times) and len(set(times)) == len(times)
    assert all("cpu_idle" in sample and "mem_free_mb" in sample for sample in samples)

    middle = times[len(times) // 2]
    newer = farm.client.render_resources("meter", since=middle)
    assert newer and all(sample["time"] > middle for sample in newer)
    assert [s["time"] for s in newer] == [t for t in times if t > middle][: len(newer)]
    assert farm.client.render_resources("meter", since=times[-1] + 3600) == []
    assert farm.client.request("GET", "/renders/meter/resources")["render"] == "meter"

    for bad in ("yesterday", "nan", "inf", "-5", ""):
        with pytest.raises(CorralError) as caught:
            farm.client.request("GET", "/renders/meter/resources", query={"since": bad})
        assert caught.value.status == 400 and "since" in caught.value.message, bad
    with pytest.raises(CorralError) as caught:
        farm.client.render_resources("nobody")
    assert caught.value.status == 404 and "nobody" in caught.value.message


async def test_malformed_resources_get_an_error_and_change_nothing(farm):
    farm.start_server()
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
    async with render_socket(farm) as ws:
        await ws.send_json(hello("hand"))
        await receive(ws, "registered")
        await ws.send_json({"type": "heartbeat", "resources": good})
        await ws.send_json({"type": "heartbeat"})  # no resources: keeps the last ones
        for resources in bad_ones:
            await ws.send_json({"type": "heartbeat", "resources": resources})
            error = await receive(ws, "error")
            assert error["error"].startswith("resources"), error

        samples = farm.client.render_resources("hand")
        assert len(samples) == 1, samples
        assert {k: v for k, v in samples[0].items() if k != "time"} == good
        assert farm.client.render("hand")["resources"] == good

        await ws.send_json({"type": "heartbeat", "resources": {**good, "cpu_idle": 50}})
        wait_until(lambda: farm.client.render("hand")["resources"]["cpu_idle"] == 50, 10)
        assert farm.client.health()["ok"]
        assert not ws.closed
    assert farm.server.running()
