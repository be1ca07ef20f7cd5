"""FarmClient against a real server: REST calls, live events, watched blocks and output; and
against the route table (tests/route_recorder.py): it requests only routes the server has."""

import asyncio
import inspect

import pytest
import qasync

from app.api import numeric_job
from app.protocol import RENDER_ACTIONS, TASK_ACTIONS
from app.ui.client import FarmClient, FarmError
from tests.polling import until
from tests.route_recorder import RouteRecorder


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


NOT_REST = {"start", "close", "call", "set_token", "watch_block", "watch_output"}  # start: events
# every public REST method of FarmClient, each way it builds a different request
CALLS = [
    ("request", ("GET", "/health")),
    ("jobs", ()),
    ("job", (1,)),
    ("job_spec", (1,)),
    ("submit", (numeric_job("a", "true", 1, 2),)),
    ("jobs_action", ("pause", [1, 2])),
    ("edit_job", (1, {"priority": 10})),
    ("edit_job", (1, {"capacity": 10}, 0)),
    ("explain", (1,)),
    ("tasks", (1, 0, 0, 100)),
    ("task", (1, 0, 2)),
    *[("task_action", (1, 0, action, [2])) for action in TASK_ACTIONS],
    ("task_output", (1, 0, 2, 1)),
    ("thumbnail", (1, 0, 2, 1)),
    ("renders", ()),
    ("render_resources", ("r1", 1.5)),
    *[("renders_action", (action, ["r1"])) for action in RENDER_ACTIONS],
    ("edit_render", ("r1", {"priority": 10})),
    ("users", ()),
    ("whoami", ()),
    ("edit_user", ("ann", {"priority": 10})),
    ("pools", ()),
    ("edit_pool", ("/gpu/", {"capacity_host": 2})),
    ("add_pool", ("/gpu/",)),
    ("delete_pool", ("/gpu/",)),
    ("move_job", (1, "top")),
]


def test_every_public_method_is_called():
    public = {name for name, value in vars(FarmClient).items() if inspect.isfunction(value)}
    assert {name for name, _ in CALLS} == {name for name in public if name[0] != "_"} - NOT_REST


async def test_requests_only_routes_of_the_table(qapp):
    with RouteRecorder() as server:
        client = FarmClient(server.url)
        await client.start()
        await until(lambda: client.state == "online")
        try:
            for name, args in CALLS:
                await getattr(client, name)(*args)  # a route the table lacks raises
            with pytest.raises(FarmError):
                await client.request("POST", "/jobs/1/explode")
        finally:
            await client.close()
        assert ("GET", "/api/v1/events") in server.templates()
        assert len(server.requests) == len(CALLS) + 2  # and the events socket, the explosion
