"""`corral job watch`: when a job's watch ends and with which status, and its ETA."""

from __future__ import annotations

import pytest

from app.cli.watch import EXIT_DONE, EXIT_FAILED, block_status, eta, outcome


def summary(total=4, done=0, running=0, skipped=0, error=0, error_ready=0) -> dict:
    return {
        "id": 1,
        "num": 0,
        "tasks_total": total,
        "tasks_done": done,
        "tasks_running": running,
        "tasks_skipped": skipped,
        "tasks_error": error,
        "tasks_error_ready": error_ready,
    }


@pytest.mark.parametrize(
    ("counts", "status"),
    [
        ({"done": 4}, EXIT_DONE),
        ({"done": 2, "skipped": 2}, EXIT_DONE),  # skipped tasks are not failures
        ({"done": 3, "error": 1}, EXIT_FAILED),  # out of retries: nothing more will run
        ({"error": 4}, EXIT_FAILED),
        ({"done": 3, "error_ready": 1}, None),  # a retry is coming
        ({"done": 2, "error": 1, "running": 1}, None),
        ({"done": 0}, None),
    ],
)
def test_the_watch_ends_with_the_job_s_outcome(counts, status):
    assert outcome(summary(**counts)) == status


def test_the_eta_runs_the_tasks_left_at_the_measured_pace():
    assert eta(summary(total=10, done=4, running=2), 30.0) == 90.0  # 6 left, 2 at a time
    assert eta(summary(total=10, done=4, running=2), None) is None  # nothing measured yet
    assert eta(summary(total=10, done=4), 30.0) is None  # nothing runs: no pace
    assert eta(summary(total=10, done=10, running=0), 30.0) is None


def test_a_block_s_line():
    assert block_status(summary(done=1, running=2, error_ready=1), 75.0) == (
        "1/4 done, 2 running, 1 failed, ETA 1:15"
    )
