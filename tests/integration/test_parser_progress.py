"""Parsers end to end: a real render reads its tasks' output and the server sees the progress."""

from __future__ import annotations

import sys

import pytest

from tests.integration.scenarios import finish, job, runs, start_farm, two_blocks
from tests.polling import wait_until

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell commands")


def test_progress_shows_while_the_task_runs(farm, gates):
    start_farm(farm, {"r1": 1})
    job_id = farm.client.submit(job("half", gates.command("echo 'PROGRESS: 50%'; "), user="t"))

    def half():
        task = farm.client.task(job_id, 0, 0)
        return task if task["state"] == "RUN" and task["percent"] == 50 else None

    wait_until(half, 30)
    finish(farm, gates, job_id)


def test_depend_sub_task_follows_the_reported_frames(farm):
    start_farm(farm, {"r1": 4})
    frames = "for f in $(seq 1 10); do echo FRAME: $f; sleep 0.3; done"
    spec = two_blocks(
        "pipeline",
        {
            "name": "A",
            "frame_last": 10,
            "frames_per_task": 10,
            "command": frames,
            "depend_sub_task": True,
        },
        {"name": "B", "frame_last": 10, "command": "echo @#@", "tasks_depend_mask": "A"},
    )
    job_id = farm.client.submit(spec)
    farm.wait_job_done(job_id)
    a_done = runs(farm.client, job_id, 0, 0)[-1]["time_done"]
    b_start = runs(farm.client, job_id, 1, 0)[-1]["time_start"]
    assert b_start < a_done - 1.0  # frame 1 was behind A long before A finished
