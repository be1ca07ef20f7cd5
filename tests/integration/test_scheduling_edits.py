"""Scheduling rules after edits and over time: cleared masks lift waits at once, forgiven
errors let a render retry, failures the server stops keep their reason, WTM and WDP states.

Timeouts here are short on purpose: each test fails in seconds instead of hanging.
"""

from __future__ import annotations

import time

from tests.integration.scenarios import (
    SMALL,
    avoided_after_an_error,
    job,
    reason,
    start_farm,
    states,
    submit_running,
    two_blocks,
    wait_runs,
)


def _comp_waiting_for_plate(farm, gates) -> int:
    """A gated job 'plate' and a job 'comp' whose depend_mask waits for it; returns comp's id."""
    farm.client.submit(job("plate", gates.command(), 1, block=SMALL))
    return farm.client.submit(job("comp", "true", 1, block=SMALL, depend_mask="plate"))


def test_clearing_job_depend_mask_lifts_the_wait_at_once(farm, gates):
    """The edit that clears depend_mask lets the job run while 'plate' still runs."""
    start_farm(farm, {"r1": 4})
    second = _comp_waiting_for_plate(farm, gates)
    assert "WDP" in farm.client.job(second)["state"].split()
    farm.client.edit_job(second, {"depend_mask": ""})
    assert farm.client.job(second)["waiting"] == ""
    farm.wait_job_done(second, timeout=10)


def test_clearing_tasks_depend_mask_frees_waiting_tasks(farm, gates):
    """Tasks of a block whose tasks_depend_mask is cleared leave WDP and run."""
    start_farm(farm, {"r1": 6})
    spec = two_blocks(
        "frames",
        {"name": "sim", "command": gates.command(), "frame_last": 2},
        {"name": "render", "command": "true", "frame_last": 2, "tasks_depend_mask": "sim"},
    )
    job_id = submit_running(farm.client, spec, 2)
    farm.client.edit_job(job_id, {"tasks_depend_mask": ""}, block=1)
    gates.open_all()
    try:
        farm.wait_job_done(job_id, timeout=10)
    finally:
        print("render block tasks:", states(farm.client, job_id, 1))


def test_errors_forgive_time_lets_the_avoided_render_retry(farm):
    """With errors_forgive_time 1 s, r1 is forgiven after the error and the ready task
    runs there again (a timed wake-up starts it; nothing else happens on the farm)."""
    start_farm(farm, {"r1": 1})
    job_id = avoided_after_an_error(farm, "forgive", errors_forgive_time=1)
    try:
        farm.wait_job_done(job_id, timeout=8)
    finally:
        print("explain r1:", reason(farm.client, job_id, "r1"))


def test_task_max_run_time_run_is_recorded_as_an_error(farm):
    """The run killed for task_max_run_time is stored as an ERR run whose error names
    the limit."""
    start_farm(farm, {"r1": 1})
    block = {"task_max_run_time": 1, "errors_retries": 0}
    job_id = farm.client.submit(job("max-run", "sleep 30", 1, block=block))
    run = wait_runs(farm.client, job_id, 0, 0, 1)[0]
    assert states(farm.client, job_id) == ["ERR"]
    assert (run["state"], run["error"]) == ("ERR", "ran longer than task_max_run_time 1 s")


def test_time_wait_job_state_is_WTM(farm):
    """Afanasy §2.2, §2.6: a job whose time_wait is in the future is WTM, which clears RDY."""
    start_farm(farm, {"r1": 1})
    job_id = farm.client.submit(job("later", "true", 1, time_wait=int(time.time()) + 3600))
    assert "(time_wait)" in reason(farm.client, job_id, "r1")
    assert farm.client.job(job_id)["state"].split() == ["WTM"]


def test_job_waiting_for_a_depend_mask_is_WDP_not_RDY(farm, gates):
    """Afanasy §2.6: WDP clears RDY, so the state is 'WDP'."""
    start_farm(farm, {"r1": 2})
    second = _comp_waiting_for_plate(farm, gates)
    assert farm.client.job(second)["state"].split() == ["WDP"]
