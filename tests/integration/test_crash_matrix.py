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
    single one), and no run of the job is left RUN. Results are committed a moment after the
    job is done, and a render cut off resends its results once back: waited for."""
    farm.wait_job_done(job_id, timeout=60)
    problems: list[str] = []

    def stored() -> bool:
        problems.clear()
        for n in range(count):
            task_runs = runs(farm.client, job_id, 0, n)
            path = out / str(n + 1)
            wrote = sorted(int(line) for line in path.read_text().split()) if path.exists() else []
            done = [run["run"] for run in task_runs if run["state"] == "DON"]
            left = [run["run"] for run in task_runs if run["state"] == "RUN"]
            if wrote != done or left or not wrote or (once and len(wrote) > 1):
                found = [(run["run"], run["render"], run["state"]) for run in task_runs]
                problems.append(f"task {n}: runs {wrote} wrote its file; stored {found}")
        return not problems

    with contextlib.suppress(pytest.fail.Exception):  # the problems left are told below
        wait_until(stored, timeout=15, every=0.2)
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


def test_the_server_stopped_and_killed_at_random_moments_loses_no_result(farm, tmp_path):
    seed = random.randrange(2**32)
    print(f"random seed {seed}")  # shown with a failure
    rng = random.Random(seed)
    out, count = tmp_path / "out", 48
    job_id = start(farm, out, {"a": (), "b": (), "c": ()}, count)
    for stop in ["stop", "kill"] * 2 + ["stop"]:  # SIGTERM or SIGKILL of the server now up
        wait_until(lambda: farm.client.job(job_id)["tasks_running"] >= 4, timeout=30)
        time.sleep(rng.uniform(0.1, 0.9))
        getattr(farm.server, stop)()
        time.sleep(rng.uniform(0.3, 1.2))  # tasks end meanwhile: their results wait
        farm.start_server()
    assert_results_stored(farm, job_id, out, count)


def gated(gates: Gates) -> str:
    """The start of a task command that waits until every gate is opened (gates.open_all)."""
    return gates.command().replace("@#@", "never") + "; "


def gated_on(farm, render: str, gates: Gates, count: int) -> list[psutil.Process]:
    """The render's task processes waiting on the gates, once count of them run."""
    process = psutil.Process(farm.renders[render].pid)

    def waiting() -> list[psutil.Process]:
        found = []
        for child in process.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                if str(gates.folder) in " ".join(child.cmdline()):
                    found.append(child)
        return found if len(found) >= count else []

    return wait_until(waiting, timeout=30)


def gone(process: psutil.Process) -> bool:
    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.mark.parametrize("restarted", [False, True], ids=["gone", "restarted"])
def test_a_killed_render_s_tasks_run_once_elsewhere_or_again(farm, tmp_path, restarted):
    """Its runs are lost (at once when it registers again, else after its zombie_time) and
    run again; the killed runs never reached their end (they wait on a gate until it)."""
    gates = Gates(tmp_path / "gates")
    out, count = tmp_path / "out", 8
    renders = {"victim": (), "other": ()}
    job_id = start(farm, out, renders, count, "--zombie-time", "2", before=gated(gates))
    tasks = gated_on(farm, "victim", gates, 2)
    farm.renders["victim"].kill()
    wait_until(lambda: all(gone(task) for task in tasks), timeout=10)  # its guard kills them
    if restarted:
        farm.start_render("victim", 2)
    gates.open_all()
    assert_results_stored(farm, job_id, out, count)
    lost = [run for n in range(count) for run in runs(farm.client, job_id, 0, n)]
    assert sum(run["state"] == "LOST" for run in lost) == 2


@pytest.mark.parametrize("cut_for", [3, 7], ids=["short", "past-zombie-time"])
def test_a_render_cut_off_keeps_running_and_reconciles(farm, tmp_path, cut_for):
    """Cut off for less than the server's zombie_time (4 s), the render's runs are adopted
    again: each ran once. Cut off for longer, they were lost and started again elsewhere
    meanwhile: the results of both are stored, none is left RUN."""
    gates = Gates(tmp_path / "gates")
    out, count = tmp_path / "out", 12
    partition = Partition(farm.port)
    try:
        far = ("--server", partition.url, "--heartbeat", "1")
        renders = {"direct": (), "far": far}
        job_id = start(farm, out, renders, count, "--zombie-time", "4", before=gated(gates))
        gated_on(farm, "far", gates, 2)
        partition.cut()
        gates.open_all()  # its tasks end now; their results wait
        time.sleep(cut_for)
        partition.heal()
        assert_results_stored(farm, job_id, out, count, once=cut_for < 4)
    finally:
        partition.close()
