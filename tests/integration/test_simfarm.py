"""The simulated-render load generator speaks the render protocol to a real own_server."""

from __future__ import annotations

import asyncio

from app.api import numeric_job
from bench.simfarm import SimFarm


async def test_sim_renders_run_a_job_to_done(own_server):
    client = own_server.client
    sim = SimFarm(
        own_server.url,
        20,
        heartbeat_period=0.5,
        resources={"cpu_percent": 5.0},
        farm_secret=own_server.farm_secret,
    )
    await sim.start()
    try:
        renders = await asyncio.to_thread(client.renders)
        online = {render["name"] for render in renders if render["online"]}
        assert online == {f"sim{i:05d}" for i in range(20)}

        job_id = await asyncio.to_thread(client.submit, numeric_job("sim", "true", 1, 200))
        await sim.wait(lambda: sim.acked >= 200, timeout=60)
        job = await asyncio.to_thread(client.job, job_id)
        assert (job["state"], job["tasks_done"], job["tasks_error"]) == ("DON", 200, 0)
        for n in (0, 1, 57, 123, 199):
            runs = (await asyncio.to_thread(client.task, job_id, 0, n))["runs"]
            assert [run["state"] for run in runs] == ["DON"], n

        assert len(sim.assign_times) == sim.results == sim.acked == 200
        assert sim.first_assign_after(0.0, job_id) == sim.assign_times[0]
        assert len(sim.finish_to_next) == 200 - 20  # every render's first assign had no finish
        assert sim.errors == [] and sim.disconnects == 0
    finally:
        await sim.stop()
