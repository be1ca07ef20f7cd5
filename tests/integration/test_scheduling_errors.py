"""Errors: retries, hosts a block or a task avoids after errors there, run time limits.

Commands fail on chosen runs (scenarios.fails_until), so a task fails a known number of times,
then succeeds.
"""

from __future__ import annotations

from tests.integration.scenarios import (
    add_renders,
    avoided_after_an_error,
    fails_until,
    job,
    reason,
    start_farm,
    tasks,
    wait_output,
    wait_runs,
)
from tests.polling import wait_until


def _wait_errors(client, job_id: int, count: int = 1) -> dict:
    return wait_until(lambda: (j := client.job(job_id))["tasks_error"] >= count and j)


def test_errors_retries_then_error_then_restart_errors(farm):
    start_farm(farm, {"r1": 1})
    block = {"errors_retries": 1, "errors_avoid_host": 0}
    job_id = farm.client.submit(job("retries", fails_until(3), 1, block=block))
    summary = _wait_errors(farm.client, job_id)
    assert "ERR" in summary["state"].split()
    task = tasks(farm.client, job_id)[0]
    assert (task["state"], task["errors"], task["starts"]) == ("ERR", 2, 2)
    found = wait_runs(farm.client, job_id, 0, 0, 2)
    assert [(r["state"], r["exit_code"]) for r in found] == [("ERR", 1), ("ERR", 1)]
    assert [r["error"] for r in found] == ["exit code 1", "exit code 1"]

    farm.client.job_action(job_id, "restart-errors")
    farm.wait_job_done(job_id)
    assert [r["state"] for r in wait_runs(farm.client, job_id, 0, 0, 3)] == ["ERR", "ERR", "DON"]
    assert wait_output(farm.client, job_id, 0, 0, 3) == "run 3"


def test_errors_avoid_host_moves_the_task_to_another_render(farm):
    start_farm(farm, {"r1": 1})
    block = {"errors_retries": 5, "errors_avoid_host": 2, "errors_task_same_host": 0}
    job_id = farm.client.submit(job("avoid", fails_until(3), 1, block=block))

    def avoided():
        hosts = farm.client.job(job_id)["blocks"][0]["error_hosts"]
        return hosts if hosts and hosts[0]["errors"] >= 2 else None

    hosts = wait_until(avoided)
    assert [(h["host"], h["errors"]) for h in hosts] == [("r1", 2)]
    task = tasks(farm.client, job_id)[0]
    assert (task["state"], task["starts"]) == ("RER", 2)
    assert reason(farm.client, job_id, "r1") == (
        "block 0: block avoids r1 after errors there (errors_avoid_host)"
    )

    add_renders(farm, {"r2": 1})
    farm.wait_job_done(job_id)
    assert [(r["render"], r["state"]) for r in wait_runs(farm.client, job_id, 0, 0, 3)] == [
        ("r1", "ERR"),
        ("r1", "ERR"),
        ("r2", "DON"),
    ]


def test_errors_task_same_host_avoids_only_for_that_task(farm):
    start_farm(farm, {"r1": 1})
    block = {"errors_retries": 5, "errors_avoid_host": 0, "errors_task_same_host": 1}
    command = f"[ @#@ != 1 ] || {{ {fails_until(2)}; }}"  # the task of frame 1 fails once
    job_id = farm.client.submit(job("same-host", command, 2, block=block))
    wait_until(lambda: tasks(farm.client, job_id)[1]["state"] == "DON")
    first = tasks(farm.client, job_id)[0]
    assert (first["state"], first["render"], first["starts"]) == ("RER", "r1", 1)

    add_renders(farm, {"r2": 1})
    farm.wait_job_done(job_id)
    assert [r["render"] for r in wait_runs(farm.client, job_id, 0, 0, 2)] == ["r1", "r2"]


def test_reset_error_hosts_lets_an_avoided_render_retry(farm):
    start_farm(farm, {"r1": 1})
    job_id = avoided_after_an_error(farm, "reset")
    assert tasks(farm.client, job_id)[0]["state"] == "RER"

    farm.client.job_action(job_id, "reset-error-hosts")
    farm.wait_job_done(job_id)
    assert farm.client.job(job_id)["blocks"][0]["error_hosts"] == []
    assert [r["state"] for r in wait_runs(farm.client, job_id, 0, 0, 2)] == ["ERR", "DON"]


def test_task_max_run_time_stops_the_task_and_counts_an_error(farm):
    start_farm(farm, {"r1": 1})
    block = {"task_max_run_time": 1, "errors_retries": 0}
    command = 'if [ "$CORRAL_RUN" = 1 ]; then sleep 30; else sleep 3; fi'
    job_id = farm.client.submit(job("max-run", command, 1, block=block))
    _wait_errors(farm.client, job_id)
    task = tasks(farm.client, job_id)[0]
    assert (task["state"], task["errors"]) == ("ERR", 1)
    run = wait_runs(farm.client, job_id, 0, 0, 1)[0]
    assert run["signal"] is not None  # the sleep was killed, not waited for

    farm.client.edit_job(job_id, {"task_max_run_time": 0}, block=0)
    farm.client.job_action(job_id, "restart-errors")
    farm.wait_job_done(job_id)
    assert wait_runs(farm.client, job_id, 0, 0, 2)[1]["state"] == "DON"


def test_task_min_run_time_turns_a_fast_success_into_an_error(farm):
    start_farm(farm, {"r1": 1})
    block = {"task_min_run_time": 60, "errors_retries": 0}
    job_id = farm.client.submit(job("min-run", "true", 1, block=block))
    _wait_errors(farm.client, job_id)
    run = wait_runs(farm.client, job_id, 0, 0, 1)[0]
    assert (run["state"], run["exit_code"]) == ("ERR", 0)
    assert run["error"] == "finished faster than task_min_run_time 60 s"

    farm.client.edit_job(job_id, {"task_min_run_time": 0}, block=0)
    farm.client.job_action(job_id, "restart-errors")
    farm.wait_job_done(job_id)


def test_a_render_sick_from_errors_of_two_users_takes_tasks_again_once_healed(farm):
    start_farm(farm, {"r1": 1})
    farm.client.edit_pool("/", {"sick_errors_count": 2})
    block = {"errors_retries": 0}
    for user in ("ann", "bob"):
        _wait_errors(farm.client, farm.client.submit(job(user, "false", block=block, user=user)))
    wait_until(lambda: farm.client.render("r1")["sick"])
    job_id = farm.client.submit(job("after", "true", user="cat"))
    assert reason(farm.client, job_id, "r1") == "render is sick (too many errors)"
    farm.client.render_action("r1", "heal-sick")
    assert not farm.client.render("r1")["sick"]
    farm.wait_job_done(job_id)
