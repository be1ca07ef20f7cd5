"""The crash matrix: the server stopped (SIGTERM) or killed (SIGKILL) at random moments of a
busy run, renders killed with and without a restart under their name, a render cut off from the
server. After each, every task ran to its end once (the files the tasks wrote say so), every
result is stored (the runs that wrote a file are exactly the task's DON runs), and no run is
left RUN."""

from __future__ import annotations

import contextlib
import random
import sys
import time

import psutil
import pytest

from tests.integration.partition import Partition
from tests.integration.scenarios import SMALL, Gates, job, runs, states
from tests.polling import wait_until

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell and signals")

TASK_SECONDS = 1.0


def writing_job(out, count: int, before: str = f"sleep {TASK_SECONDS}; ") -> dict:
    """count tasks; each runs `before`, then appends its run number to its own file out/FRAME."""
    return job("crash", f"{before}echo $CORRAL_RUN >> {out}/@#@", count, block=SMALL)


def assert_results_stored(farm, job_id: int, out, count: int, once: bool = True) -> None:
    """Every task is done; the runs that wrote its file are exactly its DON runs (once: a
    single one), and no run of the job is left RUN (runs are committed a moment after the
    task is done: waited for)."""
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
        wrote = sorted(int(line) for line in path.read_text().split()) if path.exists() else []
        done = [run["run"] for run in task_runs if run["state"] == "DON"]
        left = [run["run"] for run in task_runs if run["state"] == "RUN"]
        if wrote != done or left or not wrote or (once and len(wrote) > 1):
            stored = [(run["run"], run["render"], run["state"]) for run in task_runs]
            problems.append(f"task {n}: runs {wrote} wrote its file; stored {stored}")
    assert not problems, "\n".join(problems) + "\n" + farm.logs()
    assert set(states(farm.client, job_id)) == {"DON"}


def start(farm, out, renders: dict[str, tuple], count: int, *server: str, **job_keys) -> int:
    """A server (with these flags), renders {name: their flags} of 2 slots each, and once they
    are all online the writing job; its id."""
    out.mkdir()
    farm.start_server(*server)
    for name, flags in renders.items():
        farm.start_render(name, 2, *flags)
    farm.wait_renders(len(renders))
    return farm.client.submit(writing_job(out, count, **job_keys))


def running_on(farm, render: str, count: int) -> None:
    wait_until(lambda: len(farm.client.render(render)["tasks"]) >= count, timeout=30)


def test_the_server_stopped_and_killed_at_random_moments_loses_no_result(farm, tmp_path):
    seed = random.randrange(2**32)
    print(f"random seed {seed}")  # shown with a failure
    rng = random.Random(seed)
    out, count = tmp_path / "out", 48
    job_id = start(farm, out, {"a": (), "b": (), "c": ()}, count)
    for stop in [farm.server.stop, farm.server.kill] * 2 + [farm.server.stop]:
        wait_until(lambda: farm.client.job(job_id)["tasks_running"] >= 4, timeout=30)
        time.sleep(rng.uniform(0.1, 0.9))
        stop()
        time.sleep(rng.uniform(0.3, 1.2))  # tasks end meanwhile: their results wait
        farm.start_server()
    assert_results_stored(farm, job_id, out, count)


def killed(farm, name: str, marker: str, count: int) -> None:
    """Once count task processes (their command lines hold marker) run on the render, SIGKILL
    it; returns once they are gone too."""
    render = psutil.Process(farm.renders[name].pid)

    def tasks() -> list[psutil.Process]:
        found = []
        for process in render.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                if marker in " ".join(process.cmdline()):
                    found.append(process)
        return found if len(found) >= count else []

    tree = wait_until(tasks, timeout=30)
    farm.renders[name].kill()

    def gone(process: psutil.Process) -> bool:
        try:
            return process.status() == psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return True

    wait_until(lambda: all(gone(process) for process in tree), timeout=10)


@pytest.mark.parametrize("restarted", [False, True], ids=["gone", "restarted"])
def test_a_killed_render_s_tasks_run_once_elsewhere_or_again(farm, tmp_path, restarted):
    """Its runs are lost (at once when it registers again, else after its zombie_time) and
    run again; the killed runs never reached their end (they wait on a gate until it)."""
    gates = Gates(tmp_path / "gates")
    out, count = tmp_path / "out", 8
    before = gates.command().replace("@#@", "never") + "; "  # the 'all' gate only
    job_id = start(
        farm, out, {"victim": (), "other": ()}, count, "--zombie-time", "2", before=before
    )
    killed(farm, "victim", str(gates.folder), 2)
    if restarted:
        farm.start_render("victim", 2)
    gates.open_all()
    assert_results_stored(farm, job_id, out, count)
    lost = [run for n in range(count) for run in runs(farm.client, job_id, 0, n)]
    assert sum(run["state"] == "LOST" for run in lost) == 2


@pytest.mark.parametrize("cut_for", [3, 5], ids=["short", "past-zombie-time"])
def test_a_render_cut_off_keeps_running_and_reconciles(farm, tmp_path, cut_for):
    """Cut off for less than the server's zombie_time, the render's runs are adopted again: each
    ran once. Cut off for longer, they were lost and started again elsewhere: each result of
    both is stored, none is left RUN."""
    out, count = tmp_path / "out", 12
    partition = Partition(farm.port)
    try:
        far = ("--server", partition.url, "--heartbeat", "1")
        job_id = start(farm, out, {"direct": (), "far": far}, count, "--zombie-time", "4")
        running_on(farm, "far", 2)
        partition.cut()
        time.sleep(cut_for)  # its tasks end meanwhile; their results wait
        partition.heal()
        assert_results_stored(farm, job_id, out, count, once=cut_for < 4)
    finally:
        partition.close()
