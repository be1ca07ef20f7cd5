"""A real farm on loopback: server and render processes running real shell commands."""

from __future__ import annotations

import contextlib
import os
import signal
import uuid
from pathlib import Path

import psutil
import pytest

from app.api import numeric_job
from tests.polling import wait_until


@pytest.fixture
def out(tmp_path) -> Path:
    """The folder the frame writers write to."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def frame_writer_job(out_dir, name, frames, per_task=1, seconds=0.0):
    """Each task appends one line to a file named after its frames (duplicates show)."""
    pause = f"sleep {seconds}; " if seconds else ""
    command = f"{pause}echo run $CORRAL_RUN >> {out_dir}/f_@####@-@####@.txt"
    return numeric_job(name, command, 1, frames, per_task=per_task, user_name="tester")


def assert_each_file_once(out_dir, frames, per_task=1):
    expected = {
        f"f_{start:04d}-{min(start + per_task - 1, frames):04d}.txt"
        for start in range(1, frames + 1, per_task)
    }
    found = {p.name for p in out_dir.iterdir()}
    assert found == expected
    written_twice = [p.name for p in out_dir.iterdir() if len(p.read_text().splitlines()) != 1]
    assert written_twice == []


def processes_naming(text: str) -> list[psutil.Process]:
    """The live processes whose command line contains the text."""
    return [
        process
        for process in psutil.process_iter(["cmdline"])
        if text in " ".join(process.info["cmdline"] or [])
    ]


def test_three_renders_run_a_300_task_job(farm, out):
    farm.start_server()
    farm.start_renders({"r1": 2, "r2": 2, "r3": 2})
    job_id = farm.client.submit(frame_writer_job(out, "three", 300))
    job = farm.wait_job_done(job_id)
    assert job["tasks_done"] == 300 and job["tasks_error"] == 0
    assert_each_file_once(out, 300)
    used = {t["render"] for t in farm.client.tasks(job_id, 0, 0, 300)["tasks"]}
    assert used == {"r1", "r2", "r3"}
    task = farm.client.task(job_id, 0, 7)
    assert [run["state"] for run in task["runs"]] == ["DON"]
    assert "f_0008-0008.txt" in task["command"]


def test_server_killed_mid_job_loses_nothing(farm, out):
    farm.start_server("--reconnect-grace", "10")
    farm.start_renders({"a": 3, "b": 3})
    job_id = farm.client.submit(frame_writer_job(out, "crash", 200, seconds=0.05))
    wait_until(lambda: farm.client.job(job_id)["tasks_done"] >= 60, timeout=60)
    farm.server.kill()
    # the renders finish the tasks they run and keep their results for the next server
    wait_until(lambda: not processes_naming(str(out)))
    farm.start_server("--reconnect-grace", "10")
    job = farm.wait_job_done(job_id, timeout=120)
    assert job["tasks_done"] == 200
    assert_each_file_once(out, 200)
    for page in range(0, 200, 100):
        for task in farm.client.tasks(job_id, 0, page, 100)["tasks"]:
            assert task["state"] == "DON"
    runs = [farm.client.task(job_id, 0, n)["runs"] for n in range(0, 200, 7)]
    assert all([r["state"] for r in task_runs].count("DON") == 1 for task_runs in runs)


def test_render_killed_mid_task_task_runs_elsewhere(farm, tmp_path):
    farm.start_server("--zombie-time", "2")
    doomed = farm.start_render("doomed", 1)
    farm.wait_renders(1)
    first = tmp_path / "first-run.pid"
    command = f"if [ -e {first} ]; then echo second; else echo $$ > {first}; sleep 300; fi"
    job_id = farm.client.submit(numeric_job("zombie", command, 1, 1, user_name="tester"))
    wait_until(lambda: first.exists() and first.read_text().strip())
    doomed.kill()
    try:
        farm.start_render("survivor", 1)
        job = farm.wait_job_done(job_id, timeout=60)
        assert job["tasks_error"] == 0
        task = farm.client.task(job_id, 0, 0)
        assert task["render"] == "survivor"
        assert [run["state"] for run in task["runs"]] == ["LOST", "DON"]
        assert farm.client.task_output(job_id, 0, 0, 2).strip() == "second"
    finally:  # its guard ends the killed render's task; should it not, end it here
        with contextlib.suppress(ProcessLookupError):
            os.killpg(int(first.read_text()), signal.SIGKILL)


def test_stopped_task_leaves_no_process(farm):
    marker = f"corral-test-{uuid.uuid4().hex}"
    farm.start_server()
    farm.start_renders({"r1": 1})
    command = (
        f"sh -c 'sleep 300 # {marker}' & "
        f"(sh -c 'sleep 301 # {marker}' &) ; "
        f"setsid sh -c 'sleep 302 # {marker}' & "
        f"echo started; wait"
    )
    job_id = farm.client.submit(numeric_job("tree", command, 1, 1, user_name="tester"))

    wait_until(lambda: len(processes_naming(marker)) >= 3, timeout=30)
    farm.client.job_action(job_id, "stop")
    survivors = []
    try:
        wait_until(lambda: not processes_naming(marker), timeout=30)
    finally:
        survivors = processes_naming(marker)
        for proc in survivors:
            proc.kill()
    assert survivors == []
    job = farm.client.job(job_id)
    assert "OFF" in job["state"] and job["tasks_running"] == 0


def test_pause_restart_and_task_actions(farm, out):
    farm.start_server()
    job_id = farm.client.submit({**frame_writer_job(out, "actions", 20), "offline": True})
    farm.start_renders({"r1": 4})  # online: the job was offered to it, and nothing started
    job = farm.client.job(job_id)
    assert (job["tasks_running"], job["tasks_done"], job["offline"]) == (0, 0, True)
    assert [r["reason"] for r in farm.client.explain(job_id)["renders"]] == ["job is paused"]
    farm.client.task_actions(job_id, 0, "skip", [0, 1, 2])
    farm.client.job_action(job_id, "start")
    job = farm.wait_job_done(job_id)
    assert job["tasks_skipped"] == 3
    assert len(list(out.iterdir())) == 17
    farm.client.task_actions(job_id, 0, "restart", [0])
    farm.wait_job_done(job_id)
    assert (out / "f_0001-0001.txt").exists()
    farm.client.job_action(job_id, "restart")
    farm.wait_job_done(job_id)
    assert (out / "f_0005-0005.txt").read_text().count("run") == 2
    farm.client.delete_job(job_id)
    assert all(j["id"] != job_id for j in farm.client.jobs())
    assert not os.path.exists(farm.data / "outputs" / str(job_id))


def test_failing_task_is_retried_then_errors(farm):
    farm.start_server()
    farm.start_renders({"r1": 1})
    job = numeric_job("fails", "echo failing; exit 3", 1, 1, user_name="tester")
    job["blocks"][0]["errors_retries"] = 2
    job_id = farm.client.submit(job)
    wait_until(lambda: farm.client.job(job_id)["tasks_error"] == 1)
    task = farm.client.task(job_id, 0, 0)
    assert [r["exit_code"] for r in task["runs"]] == [3, 3, 3]  # first run + 2 retries
    assert task["errors"] == 3
    assert "failing" in farm.client.task_output(job_id, 0, 0, 3)
    farm.client.job_action(job_id, "restart-errors")  # offered to r1 before the answer:
    assert farm.client.task(job_id, 0, 0)["starts"] == 3  # 3 errors there, the block avoids it
    assert "AVD" in farm.client.job(job_id)["state"]  # (errors_avoid_host 3)
    farm.client.job_action(job_id, "reset-error-hosts")
    wait_until(lambda: farm.client.task(job_id, 0, 0)["starts"] >= 4)
