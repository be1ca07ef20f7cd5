"""`corral job watch`: when a job's watch ends and with which status, and its ETA."""

from __future__ import annotations

import pytest

from app.cli.watch import EXIT_DONE, EXIT_FAILED, block_status, eta, outcome
from app.cli.why import waiting_text
from app.core.solver import CAN_RUN_HERE as CAN


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


def test_why_a_job_that_runs_nothing_waits():
    masked = {
        "job": 7,
        "running": 0,
        "renders": [{"render": "cpu-01", "reason": "job hosts_mask 'gpu.*' does not match cpu-01"}],
    }
    assert waiting_text(masked) == (
        "waiting (cpu-01: job hosts_mask 'gpu.*' does not match cpu-01); fix: corral job set 7 "
        "hosts_mask=REGEX (a regular expression of render names)"
    )
    assert waiting_text({"job": 7, "running": 0, "renders": []}) == (
        "waiting (no online renders); fix: start a render on a farm host: corral render "
        "--server URL"
    )
    startable = {**masked, "renders": [*masked["renders"], {"render": "gpu-01", "reason": CAN}]}
    assert waiting_text(startable) is None  # a render takes it at its next free slot
    assert waiting_text({**masked, "running": 1}) is None
