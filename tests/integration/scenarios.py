"""Builders and waits shared by the scenario tests; no tests here.

The scenarios run a real server and real render processes. Tasks that must stay running while
a rule is checked wait on a gate file (see Gates, and the `gates` fixture), so nothing depends
on sleeping for a while. The server decides synchronously: when a REST call that may start work
returns, every task it could start is already RUN, so "nothing started" can be asserted right
after the call.
"""

from __future__ import annotations

from pathlib import Path

from app.api import CorralError, numeric_job
from tests.polling import wait_until

USER = "tester"
CAPACITY = 1000  # a scenario render's capacity, unless the test gives another
SMALL = {"capacity": 100}  # ten of these fit on a render of CAPACITY


class Gates:
    """Gate files: a gated task keeps running until the gate of its frame (or 'all') exists."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def command(self, before: str = "") -> str:
        """A task command that waits for its frame's gate; `before` runs first."""
        gate = f"{self.folder}/@#@"
        return f"{before}until [ -e {self.folder}/all ] || [ -e {gate} ]; do sleep 0.05; done"

    def open(self, *frames: int) -> None:
        for frame in frames:
            (self.folder / str(frame)).touch()

    def open_all(self) -> None:
        (self.folder / "all").touch()


def job(
    name: str,
    command: str,
    count: int = 1,
    user: str = USER,
    block: dict | None = None,
    **extra: object,
) -> dict:
    """A one-block numeric job: frames 1..count, one frame a task (task n is frame n + 1)."""
    return numeric_job(name, command, 1, count, user_name=user, block_extra=block, **extra)


def two_blocks(name: str, first: dict, second: dict) -> dict:
    """A job of two numeric blocks from frame 1, one frame a task, each task of capacity 100;
    `first` and `second` add each block's own keys (name, command, frame_last...)."""
    spec = job(name, "true")
    numeric = {"numeric": True, "frame_first": 1, "frames_per_task": 1, "capacity": 100}
    spec["blocks"] = [{**numeric, **first}, {**numeric, **second}]
    return spec


def fails_until(run: int) -> str:
    """A command that prints its run number and fails on the runs before `run` (the render sets
    CORRAL_RUN), so a task fails a known number of times, then succeeds."""
    return f'echo run $CORRAL_RUN; test "$CORRAL_RUN" -ge {run}'


def start_farm(farm, renders: dict[str, int], capacity: int = CAPACITY) -> None:
    """A server and renders {name: max_tasks}, each of the given capacity, all online."""
    farm.start_server()
    add_renders(farm, renders, capacity)


def add_renders(farm, renders: dict[str, int], capacity: int = CAPACITY) -> None:
    """More renders {name: max_tasks} of the given capacity, waited for until online."""
    farm.start_renders(renders, "--capacity", str(capacity))


def submit_running(client, spec: dict, count: int) -> int:
    """Submit the job and wait until it runs at least count tasks; returns its id."""
    job_id = client.submit(spec)
    wait_running(client, job_id, count)
    return job_id


def finish(farm, gates: Gates, *job_ids: int) -> None:
    """Open every gate and wait until each of the jobs is done."""
    gates.open_all()
    for job_id in job_ids:
        farm.wait_job_done(job_id)


def done_while_held(farm, job_id: int, held: int) -> None:
    """Wait until the job is done; the held job meanwhile has nothing done."""
    farm.wait_job_done(job_id)
    assert farm.client.job(held)["tasks_done"] == 0


def avoided_after_an_error(farm, name: str, **block: object) -> int:
    """A one-task job whose first run fails on r1, its block then avoiding r1 (errors_retries
    3, errors_avoid_host 1, and the block keys given); returns its id once r1 is avoided."""
    block = {"errors_retries": 3, "errors_avoid_host": 1, **block}
    job_id = farm.client.submit(job(name, fails_until(2), 1, block=block))
    wait_until(lambda: farm.client.job(job_id)["blocks"][0]["error_hosts"])
    assert "errors_avoid_host" in reason(farm.client, job_id, "r1")
    return job_id


def reason(client, job_id: int, render: str) -> str:
    """The explainer's reason why the job does not run on that render."""
    for item in client.explain(job_id)["renders"]:
        if item["render"] == render:
            return item["reason"]
    raise AssertionError(f"render {render} is not in the explanation of job {job_id}")


def tasks(client, job_id: int, block: int = 0) -> list[dict]:
    return client.tasks(job_id, block, 0, 1000)["tasks"]


def states(client, job_id: int, block: int = 0) -> list[str]:
    """The states of a block's tasks, in task order."""
    return [task["state"] for task in tasks(client, job_id, block)]


def runs(client, job_id: int, block: int, task: int) -> list[dict]:
    return client.task(job_id, block, task)["runs"]


def wait_running(client, job_id: int, count: int, timeout: float = 30) -> dict:
    """Wait until the job runs at least count tasks; returns the job."""

    def enough():
        summary = client.job(job_id)
        return summary if summary["tasks_running"] >= count else None

    return wait_until(enough, timeout)


def wait_state(client, job_id: int, block: int, task: int, state: str, timeout: float = 30):
    def reached():
        summary = client.tasks(job_id, block, task, 1)["tasks"][0]
        return summary if summary["state"] == state else None

    return wait_until(reached, timeout)


def running_on(client, render: str) -> list[tuple[int, int, int]]:
    """(job, block, task) of the runs a render holds."""
    return [(t["job"], t["block"], t["task"]) for t in client.render(render)["tasks"]]


def wait_runs(client, job_id: int, block: int, task: int, count: int) -> list[dict]:
    """The task's stored runs once there are count of them and all have finished.

    Runs and outputs are read from the store, which commits a result a moment after the farm
    in memory has counted it, so a test waits for them instead of reading them at once.
    """

    def finished():
        found = runs(client, job_id, block, task)
        ended = [run for run in found if run["state"] != "RUN" and run["time_done"]]
        return found if len(found) >= count and len(ended) == len(found) else None

    return wait_until(finished)


def wait_output(client, job_id: int, block: int, task: int, run: int) -> str:
    """The stored output of a run, once it is there (non-empty)."""

    def stored():
        try:
            return client.task_output(job_id, block, task, run).strip()
        except CorralError:
            return None

    return wait_until(stored)
