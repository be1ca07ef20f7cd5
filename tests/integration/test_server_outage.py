"""Issue 4's must-show: a render's running tasks survive a 30 s server outage, and each result
reaches the server exactly once."""

from __future__ import annotations

import sys
import time

import pytest

from app.api import tasks_job
from tests.polling import wait_until

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell commands")

TASKS = 4
OUTAGE = 30.0


def test_running_tasks_survive_a_server_outage(farm, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    farm.start_server()
    farm.start_renders({"steady": TASKS})
    commands = [(f"t{n}", f"sleep 3; echo done >> {out}/{n}.txt") for n in range(TASKS)]
    job_id = farm.client.submit(
        tasks_job("outage", commands, user_name="tester", block_extra={"capacity": 100})
    )
    wait_until(lambda: farm.client.job(job_id)["tasks_running"] == TASKS, timeout=10)

    assert farm.server.stop() == 0  # SIGTERM while the 4 tasks run
    time.sleep(OUTAGE)
    # the tasks finished during the outage, on their own
    assert sorted(p.name for p in out.iterdir()) == [f"{n}.txt" for n in range(TASKS)]
    assert farm.renders["steady"].running()

    farm.start_server()  # the same data and port
    done = farm.wait_job_done(job_id, timeout=30)
    assert done["tasks_done"] == TASKS and done["tasks_error"] == 0
    for n in range(TASKS):
        task = farm.client.task(job_id, 0, n)
        assert task["state"] == "DON"
        assert [run["state"] for run in task["runs"]] == ["DON"], farm.logs()
        assert (out / f"{n}.txt").read_text() == "done\n"  # run once, never again
    # results travel in order on the render's one socket: a late second copy of the first
    # ones would be counted before this job is done
    barrier = farm.client.submit(tasks_job("barrier", [("t", "true")], user_name="tester"))
    farm.wait_job_done(barrier)
    assert [farm.client.task(job_id, 0, n)["starts"] for n in range(TASKS)] == [1] * TASKS
    assert all((out / f"{n}.txt").read_text() == "done\n" for n in range(TASKS))
