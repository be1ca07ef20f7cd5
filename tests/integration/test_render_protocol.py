"""The render protocol spoken by hand to a real server: acknowledgements and idempotency."""

from __future__ import annotations

import sqlite3

from app.api import numeric_job
from tests.integration.render_by_hand import (
    acked,
    acknowledged,
    hello,
    listen,
    receive,
    render_socket,
    result,
    run_key,
)
from tests.integration.scenarios import two_blocks


async def test_results_are_acknowledged_and_counted_once(own_server):
    job_id = own_server.client.submit(numeric_job("proto", "true", 1, 2, user_name="t"))
    async with render_socket(own_server) as ws:
        await ws.send_json(hello("hand"))
        registered = await receive(ws, "registered")
        assert registered["stop"] == [] and registered["heartbeat_period"] > 0
        task = (await receive(ws, "assign"))["task"]
        assert (task["job"], task["task"], task["run"], task["command"]) == (job_id, 0, 1, "true")

        await ws.send_json(result(task, seq=1))
        await acked(ws, 1)
        second = (await receive(ws, "assign"))["task"]
        assert second["task"] == 1
        await ws.send_json(result(task, seq=2))  # the same result again, as after a lost ack
        await acked(ws, 2)
        assert own_server.client.job(job_id)["tasks_done"] == 1
        assert [r["state"] for r in own_server.client.task(job_id, 0, 0)["runs"]] == ["DON"]

        # interrupted on the render (e.g. it shut down): ready again, no error counted
        await ws.send_json(result(second, seq=3, exit_code=None, signal=15, error="stopped"))
        await acked(ws, 3)
        again = (await receive(ws, "assign"))["task"]
        assert (again["task"], again["run"]) == (1, 2)
        state = own_server.client.task(job_id, 0, 1)
        assert state["errors"] == 0 and state["state"] == "RUN"

        await ws.send_json(result({**again, "job": 999}, seq=4))  # a deleted job: just ack
        await acked(ws, 4)


async def test_a_render_speaking_an_older_protocol_is_told_why_it_is_refused(own_server):
    old = {key: value for key, value in hello("old").items() if key != "protocol"}
    async with render_socket(own_server) as ws:
        await ws.send_json(old)
        error = await receive(ws, "error")
        assert "render protocol 1" in error["error"] and "server protocol 2" in error["error"]
    assert own_server.client.renders() == []


async def test_a_result_is_acknowledged_only_once_committed(own_server):
    """While another connection holds the database's write lock no commit can happen: neither
    the result nor a copy of it resent meanwhile may be acknowledged until it is released."""
    job_id = own_server.client.submit(numeric_job("durable", "true", 1, 1, user_name="t"))
    async with render_socket(own_server) as ws:
        await ws.send_json(hello("hand"))
        task = (await receive(ws, "assign"))["task"]
        lock = sqlite3.connect(own_server.data / "corral.db", isolation_level=None)
        lock.execute("BEGIN EXCLUSIVE")  # the server waits up to its busy_timeout (5 s)
        try:
            await ws.send_json(result(task, seq=1))
            await ws.send_json(result(task, seq=2))  # as after a reconnect
            await listen(ws, 1.5)
            assert not acknowledged(ws), "acknowledged before the commit"
        finally:
            lock.rollback()
            lock.close()
        await acked(ws, 1)
        await acked(ws, 2)
    assert [r["state"] for r in own_server.client.task(job_id, 0, 0)["runs"]] == ["DON"]


async def test_reconnecting_render_keeps_its_task(own_server):
    job_id = own_server.client.submit(numeric_job("keep", "sleep 100", 1, 1, user_name="t"))
    register = hello("flaky")
    async with render_socket(own_server) as ws:
        await ws.send_json(register)
        token = (await receive(ws, "registered"))["render_token"]  # the farm secret's answer
        task = (await receive(ws, "assign"))["task"]
    async with render_socket(own_server, token) as ws:  # back with its own token
        await ws.send_json({**register, "running": [run_key(task)]})
        assert (await receive(ws, "registered"))["stop"] == []
        await ws.send_json(result(task, seq=1))
        await acked(ws, 1)
    job = own_server.client.job(job_id)
    assert job["state"] == "DON"
    assert [r["run"] for r in own_server.client.task(job_id, 0, 0)["runs"]] == [1]


async def test_depend_sub_task_starts_dependants_as_frames_pass(own_server):
    job = two_blocks(
        "sim",
        {
            "name": "sim",
            "frame_last": 10,
            "frames_per_task": 10,
            "command": "sim",
            "depend_sub_task": True,
        },
        {"name": "render", "frame_last": 10, "command": "render @#@", "tasks_depend_mask": "sim"},
    )
    job_id = own_server.client.submit(job)
    register = hello("pipe", max_tasks=5, capacity=100_000)
    async with render_socket(own_server) as ws:
        await ws.send_json(register)
        sim = (await receive(ws, "assign"))["task"]
        assert (sim["block"], sim["task"]) == (0, 0)
        assert own_server.client.job(job_id)["blocks"][1]["tasks_waiting_depends"] == 10
        await ws.send_json({"type": "progress", **run_key(sim), "percent": 30, "frame": 3})
        started = sorted([(await receive(ws, "assign"))["task"]["task"] for _ in range(3)])
        assert started == [0, 1, 2]  # frames 1-3 are behind the simulation's frame 4
        assert own_server.client.job(job_id)["blocks"][1]["tasks_waiting_depends"] == 7


async def test_no_progress_for_too_long_is_an_error(own_server):
    job = numeric_job("stuck", "render", 1, 1, user_name="t")
    job["blocks"][0]["task_progress_change_timeout"] = 1
    job_id = own_server.client.submit(job)
    async with render_socket(own_server) as ws:
        await ws.send_json(hello("quiet"))
        task = (await receive(ws, "assign"))["task"]
        stop = await receive(ws, "stop")
        assert (stop["task"], stop["run"]) == (task["task"], task["run"])
    state = own_server.client.task(job_id, 0, 0)
    assert state["errors"] == 1 and state["state"] in ("RER", "RUN")
