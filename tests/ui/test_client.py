"""FarmClient against a real server: REST calls, live events, watched blocks and output."""

import asyncio

import qasync

from app.api import numeric_job
from tests.polling import until


async def test_runs_on_the_qasync_loop(client):
    assert isinstance(asyncio.get_running_loop(), qasync.QEventLoop)
    assert client.state == "online"


async def test_events_bring_new_jobs_task_changes_and_live_output(farm, client):
    jobs, tasks, output = [], [], []
    client.jobs_changed.connect(jobs.extend)
    client.tasks_changed.connect(lambda job, block, items: tasks.extend(items))
    client.output_received.connect(lambda *args: output.append(args[-1]))
    command = "for i in 1 2 3 4 5 6; do echo line$i; sleep 0.2; done"
    job_id = await client.submit(numeric_job("live", command, 1, 2, user_name="ann"))
    assert (await client.job(job_id))["name"] == "live"
    await until(lambda: any(j["id"] == job_id for j in jobs))
    client.watch_block(job_id, 0)
    farm.start_render("r1", 1)
    task = await until(lambda: next((t for t in tasks if t["state"] == "RUN"), None))
    client.watch_output(job_id, 0, task["num"], 1)
    await until(lambda: "line4" in "".join(output))
    await until(lambda: any(j["id"] == job_id and j["state"] == "DON" for j in jobs), 30)
    assert {t["num"] for t in tasks if t["state"] == "DON"} == {0, 1}


async def test_failed_background_calls_report_the_server_error(client):
    errors = []
    client.failed.connect(errors.append)
    client.call(client.job(999))
    await until(lambda: errors)
    assert "999" in errors[0]


async def test_reconnects_after_the_server_restarts(farm, client):
    states = []
    client.state_changed.connect(states.append)
    farm.server.stop()
    await until(lambda: client.state != "online")
    farm.start_server()
    await until(lambda: client.state == "online", 30)
    assert "offline" in states and states[-1] == "online"
