"""Backpressure: while the store commits nothing, the farm starts no more tasks than its journal
backlog allows, acknowledges nothing uncommitted, and once the store commits again finishes the
job with nothing lost or counted twice (a real server, simulated renders, SQLite held locked)."""

from __future__ import annotations

import asyncio
import sqlite3
import time

from app.api import numeric_job
from bench.simfarm import SimFarm

BACKLOG = 30  # store operations; every task started adds at least one (its run's row)
RENDERS = 10
TASKS = 600


async def stalled(sim: SimFarm, quiet: float, timeout: float) -> bool:
    """Whether the renders get no assign for `quiet` seconds within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    count, since = len(sim.assign_times), time.monotonic()
    while time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        if len(sim.assign_times) != count:
            count, since = len(sim.assign_times), time.monotonic()
        elif time.monotonic() - since >= quiet:
            return True
    return False


async def test_dispatch_waits_while_the_store_is_behind(own_server):
    client = own_server.client
    await asyncio.to_thread(client.edit_server_config, {"journal_backlog": BACKLOG})
    sim = SimFarm(own_server.url, RENDERS, farm_secret=own_server.farm_secret)
    await sim.start()
    try:
        job = numeric_job("backlog", "true", 1, TASKS, user_name="t")
        job_id = await asyncio.to_thread(client.submit, job)
        await sim.wait(lambda: sim.acked >= 100, timeout=60)

        lock = sqlite3.connect(own_server.data / "corral.db", isolation_level=None)
        lock.execute("BEGIN EXCLUSIVE")  # the server waits up to its busy_timeout (5 s)
        try:
            before = len(sim.assign_times)
            # stopped well before the busy timeout, which would stop it as a store failure
            assert await stalled(sim, quiet=0.6, timeout=3.5), "dispatch did not wait"
            started = len(sim.assign_times) - before
            assert started <= BACKLOG, f"{started} tasks started past the backlog bound"
            pending = sim.results - sim.acked
            await asyncio.sleep(0.3)
            assert sim.results - sim.acked == pending, "a result was acknowledged uncommitted"
        finally:
            lock.rollback()
            lock.close()

        await sim.wait(lambda: sim.acked >= TASKS, timeout=90)
        state = await asyncio.to_thread(client.job, job_id)
        assert (state["state"], state["tasks_done"]) == ("DON", TASKS)
        assert sim.results == sim.acked == len(sim.assign_times) == TASKS  # no task run twice
        assert sim.errors == [] and sim.disconnects == 0
        for n in (0, 150, 299, 450, TASKS - 1):
            runs = (await asyncio.to_thread(client.task, job_id, 0, n))["runs"]
            assert [run["state"] for run in runs] == ["DON"], n
    finally:
        await sim.stop()
