"""The crash matrix: the server stopped (SIGTERM) or killed (SIGKILL) at random moments of a
busy run, renders killed with and without a restart under their name, a render cut off from the
server. After each, every task ran to its end exactly once (the files the tasks wrote say so),
every acknowledged result is stored (the run that wrote the file is the task's one DON run), and
no run is left RUN."""

from __future__ import annotations

import contextlib
import random
import sys
import time

import pytest

from tests.integration.scenarios import SMALL, job, runs, tasks
from tests.polling import wait_until

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell and signals")

TASK_SECONDS = 1.0


def writing_job(out, count: int, seconds: float = TASK_SECONDS) -> dict:
    """count tasks; each sleeps, then appends its run number to its own file (out/FRAME)."""
    command = f"sleep {seconds}; echo $CORRAL_RUN >> {out}/@#@"
    return job("crash", command, count, block=SMALL)


def assert_each_done_once(farm, job_id: int, out, count: int) -> None:
    """Every task wrote its file once, and the run that wrote it is its only DON run; no run
    of the job is left RUN (runs are committed a moment after the job is done: waited for)."""
    farm.wait_job_done(job_id, timeout=60)
    found: list[list[dict]] = []

    def all_runs_ended() -> bool:
        found[:] = [runs(farm.client, job_id, 0, n) for n in range(count)]
        return all(run["state"] != "RUN" for task in found for run in task)

    with contextlib.suppress(pytest.fail.Exception):  # runs left RUN are among the problems
        wait_until(all_runs_ended, timeout=10)
    problems = []
    for n, task_runs in enumerate(found):
        path = out / str(n + 1)
        lines = path.read_text().split() if path.exists() else []
        done = [run["run"] for run in task_runs if run["state"] == "DON"]
        left = [run["run"] for run in task_runs if run["state"] == "RUN"]
        if len(lines) != 1 or [int(line) for line in lines] != done or left:
            stored = [(run["run"], run["render"], run["state"]) for run in task_runs]
            problems.append(f"task {n}: wrote runs {lines}, stored {stored}")
    assert not problems, "\n".join(problems) + "\n" + farm.logs()
    assert {task["state"] for task in tasks(farm.client, job_id)} == {"DON"}


def test_graceful_restarts_of_the_server_lose_no_acknowledged_result(farm, tmp_path):
    rng = random.Random()
    out = tmp_path / "out"
    out.mkdir()
    farm.start_server()
    farm.start_renders({"g1": 2, "g2": 2, "g3": 2})
    count = 36
    job_id = farm.client.submit(writing_job(out, count))
    for _ in range(3):
        wait_until(lambda: farm.client.job(job_id)["tasks_running"] >= 4, timeout=30)
        time.sleep(rng.uniform(0.1, 0.9))
        assert farm.server.stop() == 0
        time.sleep(rng.uniform(0.5, 1.5))  # some tasks end meanwhile: their results wait
        farm.start_server()
    assert_each_done_once(farm, job_id, out, count)
