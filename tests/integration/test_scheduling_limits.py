"""Running limits of jobs, blocks, users and renders, with real renders running real commands.

Each scenario shows the limit holding (the explainer names it) and lifting it letting the
waiting work start.
"""

from __future__ import annotations

import pytest

from tests.integration.scenarios import (
    SMALL,
    USER,
    add_renders,
    finish,
    job,
    reason,
    running_on,
    start_farm,
    states,
    submit_running,
    tasks,
    wait_output,
    wait_running,
    wait_state,
)


@pytest.mark.parametrize(
    ("level", "count", "limit", "lifted", "why"),
    [
        ("job", 4, 2, -1, "job runs 2 of max_running_tasks 2"),
        ("block", 3, 1, 3, "block 0: block runs 1 of max_running_tasks 1"),
    ],
)
def test_max_running_tasks(farm, gates, level, count, limit, lifted, why):
    """A job's or a block's limit holds while its tasks run; the edit lifting it starts the rest."""
    start_farm(farm, {"r1": 4})
    spec = job(f"{level}-limit", gates.command(), count, block=SMALL)
    block = 0 if level == "block" else None
    (spec if block is None else spec["blocks"][block])["max_running_tasks"] = limit
    job_id = submit_running(farm.client, spec, limit)
    assert reason(farm.client, job_id, "r1") == why
    assert farm.client.job(job_id)["tasks_running"] == limit

    farm.client.edit_job(job_id, {"max_running_tasks": lifted}, block=block)
    assert farm.client.job(job_id)["tasks_running"] == count
    finish(farm, gates, job_id)
    assert farm.client.job(job_id)["tasks_done"] == count


def test_job_max_running_tasks_per_host(farm, gates):
    start_farm(farm, {"r1": 3, "r2": 3})
    job_id = submit_running(
        farm.client,
        job("per-host", gates.command(), 4, block=SMALL, max_running_tasks_per_host=1),
        2,
    )
    assert len(running_on(farm.client, "r1")) == 1
    assert len(running_on(farm.client, "r2")) == 1
    for render in ("r1", "r2"):
        assert "(max_running_tasks_per_host)" in reason(farm.client, job_id, render)
        assert reason(farm.client, job_id, render).startswith("job runs 1 tasks")

    farm.client.edit_job(job_id, {"max_running_tasks_per_host": 2})
    assert farm.client.job(job_id)["tasks_running"] == 4
    assert len(running_on(farm.client, "r1")) == 2
    finish(farm, gates, job_id)


def test_block_max_running_tasks_per_host(farm, gates):
    start_farm(farm, {"r1": 4})
    block = {**SMALL, "max_running_tasks_per_host": 2}
    job_id = submit_running(farm.client, job("block-per-host", gates.command(), 4, block=block), 2)
    assert reason(farm.client, job_id, "r1") == (
        "block 0: block runs 2 tasks on this render (max_running_tasks_per_host)"
    )
    assert farm.client.job(job_id)["tasks_running"] == 2

    add_renders(farm, {"r2": 4})  # the limit is per host: another render takes two more
    wait_running(farm.client, job_id, 4)
    assert len(running_on(farm.client, "r2")) == 2
    finish(farm, gates, job_id)


@pytest.mark.parametrize(
    ("slots", "limit", "lifted", "why"),
    [
        (4, "max_running_tasks", 5, f"user {USER} runs 1 tasks (max_running_tasks)"),
        (
            3,
            "max_running_tasks_per_host",
            -1,
            f"user {USER} runs 1 tasks on this render (max per host)",
        ),
    ],
)
def test_user_limit(farm, gates, slots, limit, lifted, why):
    """A user's limit of 1 holds the user's job to one task; raising it starts the rest."""
    start_farm(farm, {"r1": slots})
    job_id = farm.client.submit(job("user-limit", gates.command(), 3, block=SMALL, offline=True))
    farm.client.edit_user(USER, {limit: 1})
    farm.client.job_action(job_id, "start")
    assert farm.client.job(job_id)["tasks_running"] == 1
    assert reason(farm.client, job_id, "r1") == why

    farm.client.edit_user(USER, {limit: lifted})
    assert farm.client.job(job_id)["tasks_running"] == 3
    finish(farm, gates, job_id)


def test_render_max_tasks(farm, gates):
    start_farm(farm, {"r1": 2})
    job_id = submit_running(farm.client, job("slots", gates.command(), 3, block=SMALL), 2)
    assert farm.client.render("r1")["max_tasks"] == 2
    assert reason(farm.client, job_id, "r1") == "render runs its maximum of 2 tasks"
    assert farm.client.job(job_id)["tasks_running"] == 2

    add_renders(farm, {"r2": 2})  # a render with free slots takes the waiting task
    wait_running(farm.client, job_id, 3)
    assert len(running_on(farm.client, "r2")) == 1
    finish(farm, gates, job_id)
    assert sorted(t["render"] for t in tasks(farm.client, job_id)) == ["r1", "r1", "r2"]


def test_render_capacity_two_halves_run_a_third_waits(farm, gates):
    start_farm(farm, {"r1": 3}, capacity=1000)
    job_id = submit_running(
        farm.client, job("halves", gates.command(), 3, block={"capacity": 500}), 2
    )
    render = farm.client.render("r1")
    assert (render["capacity"], render["capacity_used"], len(render["tasks"])) == (1000, 1000, 2)
    assert reason(farm.client, job_id, "r1") == "block 0: render has 0 capacity free, needs 500"
    assert states(farm.client, job_id) == ["RUN", "RUN", "RDY"]

    gates.open(1)  # the first task ends: its capacity goes to the third
    third = wait_state(farm.client, job_id, 0, 2, "RUN")
    first = tasks(farm.client, job_id)[0]
    assert first["state"] == "DON"
    assert third["time_start"] >= first["time_done"]
    finish(farm, gates, job_id)
    done = tasks(farm.client, job_id)
    assert done[1]["time_start"] < done[0]["time_done"]  # the two halves ran together


def test_variable_capacity_coefficients(farm, gates):
    """capacity_coeff_min/max bound the coefficient; the command gets it in @AF_CAPACITY@."""
    start_farm(farm, {"r1": 3}, capacity=1000)
    block = {"capacity": 250, "capacity_coeff_min": 2, "capacity_coeff_max": 3}
    command = gates.command(before="echo coeff=@AF_CAPACITY@; ")
    job_id = submit_running(farm.client, job("varcap", command, 2, block=block), 1)
    # the first task takes min(1000 // 250, coeff_max 3) = 3: 750; the second needs 250 * 2
    assert farm.client.render("r1")["capacity_used"] == 750
    assert reason(farm.client, job_id, "r1") == "block 0: render has 250 capacity free, needs 500"
    assert farm.client.job(job_id)["tasks_running"] == 1

    farm.client.edit_job(job_id, {"capacity_coeff_min": 1}, block=0)
    assert farm.client.job(job_id)["tasks_running"] == 2
    assert farm.client.render("r1")["capacity_used"] == 1000
    finish(farm, gates, job_id)
    outputs = [wait_output(farm.client, job_id, 0, n, 1) for n in (0, 1)]
    assert outputs == ["coeff=3", "coeff=1"]


def test_a_render_given_only_its_task_slots_runs_that_many_ordinary_tasks(farm, gates):
    """`corral render --max-tasks 4` without --capacity: four tasks of the default capacity run
    at once, not one (the root pool's 1,100 capacity would fit only one)."""
    farm.start_server()
    farm.start_renders({"r1": 4})
    job_id = submit_running(farm.client, job("four", gates.command(), 4), 4)
    assert len(running_on(farm.client, "r1")) == 4
    finish(farm, gates, job_id)
