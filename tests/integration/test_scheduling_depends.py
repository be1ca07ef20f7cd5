"""Waiting for other work: job and block depend masks, task dependencies by frame range, and the
clock (time_wait, time_life). Order is checked with task start and done times from the API."""

from __future__ import annotations

import time

from tests.integration.scenarios import (
    SMALL,
    finish,
    job,
    reason,
    start_farm,
    states,
    submit_running,
    tasks,
    two_blocks,
    wait_running,
)
from tests.polling import wait_until


def _times(client, job_id: int, block: int = 0) -> tuple[float, float]:
    """(earliest start, latest done) of a block's tasks."""
    found = tasks(client, job_id, block)
    return min(t["time_start"] for t in found), max(t["time_done"] for t in found)


def _started_after(client, later: tuple[int, int], earlier: tuple[int, int]) -> bool:
    """Whether block later (job, block) started only after every task of earlier was done."""
    return _times(client, *later)[0] >= _times(client, *earlier)[1]


def _waits_for_depends(client, job_id: int) -> dict:
    """The job waits for its depends (WDP) and runs nothing; returns the job."""
    summary = client.job(job_id)
    assert "WDP" in summary["state"].split() and summary["tasks_running"] == 0
    return summary


def _alices_running_job(farm, gates, name: str) -> int:
    """alice's gated job of one SMALL task; returns its id once the task runs."""
    return submit_running(farm.client, job(name, gates.command(), 1, user="alice", block=SMALL), 1)


def _sim_and_render(farm, gates, name: str, sim_frames: int, render: dict) -> int:
    """A job of a gated 'sim' block of sim_frames and a 'render' block of `true` with the keys
    given; returns its id once every sim task runs."""
    spec = two_blocks(
        name,
        {"name": "sim", "command": gates.command(), "frame_last": sim_frames},
        {"name": "render", "command": "true", **render},
    )
    return submit_running(farm.client, spec, sim_frames)


def test_job_depend_mask_waits_for_the_job(farm, gates):
    start_farm(farm, {"r1": 4})
    first = farm.client.submit(job("comp-a", gates.command(), 2, block=SMALL))
    second = farm.client.submit(job("comp-b", "true", 2, block=SMALL, depend_mask="comp-a"))
    wait_running(farm.client, first, 2)
    assert _waits_for_depends(farm.client, second)["tasks_done"] == 0
    assert reason(farm.client, second, "r1") == f"waits for job {first} 'comp-a' (depend mask)"

    finish(farm, gates, second)
    assert _started_after(farm.client, (second, 0), (first, 0))
    assert "WDP" not in farm.client.job(second)["state"]


def test_job_depend_mask_is_full_match_and_per_user(farm, gates):
    start_farm(farm, {"r1": 4})
    first = _alices_running_job(farm, gates, "render-x")
    partial = farm.client.submit(
        job("p", "true", 1, user="alice", block=SMALL, depend_mask="render")
    )
    other_user = farm.client.submit(
        job("o", "true", 1, user="bob", block=SMALL, depend_mask="render-x")
    )
    farm.wait_job_done(partial)  # "render" does not match the whole name "render-x"
    farm.wait_job_done(other_user)  # depend_mask sees only the same user's jobs
    assert farm.client.job(first)["tasks_running"] == 1
    finish(farm, gates, first)


def test_depend_mask_global_waits_across_users(farm, gates):
    start_farm(farm, {"r1": 4})
    first = _alices_running_job(farm, gates, "sim")
    second = farm.client.submit(
        job("light", "true", 1, user="bob", block=SMALL, depend_mask_global="s.m")
    )
    _waits_for_depends(farm.client, second)
    assert reason(farm.client, second, "r1") == f"waits for job {first} 'sim' (depend mask)"

    finish(farm, gates, second)
    assert _started_after(farm.client, (second, 0), (first, 0))


def test_job_depend_mask_set_by_edit(farm, gates):
    start_farm(farm, {"r1": 4})
    first = farm.client.submit(job("plate", gates.command(), 1, block=SMALL))
    second = farm.client.submit(job("comp", "true", 1, block=SMALL, offline=True))
    farm.client.edit_job(second, {"depend_mask": "plate", "offline": False})
    _waits_for_depends(farm.client, second)
    finish(farm, gates, second)
    assert _started_after(farm.client, (second, 0), (first, 0))


def test_block_depend_mask(farm, gates):
    start_farm(farm, {"r1": 6})
    job_id = _sim_and_render(farm, gates, "blocks", 2, {"frame_last": 3, "depend_mask": "sim"})
    block = farm.client.job(job_id)["blocks"][1]
    assert "WDP" in block["state"].split()
    assert block["waiting"] == "waits for block 0 'sim' (depend_mask)"
    assert block["tasks_running"] == block["tasks_done"] == 0

    gates.open(1)  # one of two sim tasks done: the block still waits
    wait_until(lambda: states(farm.client, job_id, 0)[0] == "DON")
    assert farm.client.job(job_id)["blocks"][1]["tasks_done"] == 0
    finish(farm, gates, job_id)
    assert _started_after(farm.client, (job_id, 1), (job_id, 0))


def test_block_depend_mask_cleared_by_edit(farm, gates):
    start_farm(farm, {"r1": 6})
    job_id = _sim_and_render(farm, gates, "unblocked", 1, {"frame_last": 2, "depend_mask": "sim"})
    assert farm.client.job(job_id)["blocks"][1]["waiting"]
    farm.client.edit_job(job_id, {"depend_mask": ""}, block=1)
    wait_until(lambda: farm.client.job(job_id)["blocks"][1]["tasks_done"] == 2)
    assert states(farm.client, job_id, 0)[0] == "RUN"
    finish(farm, gates, job_id)


def test_tasks_depend_mask_by_frame_range(farm, gates):
    start_farm(farm, {"r1": 8})
    render = {"frame_last": 4, "tasks_depend_mask": "sim"}
    job_id = _sim_and_render(farm, gates, "frames", 4, render)
    assert states(farm.client, job_id, 1) == ["WDP"] * 4
    assert farm.client.job(job_id)["tasks_waiting_depends"] == 4

    gates.open(3)  # sim frame 3 done: only render frame 3 may run
    wait_until(lambda: states(farm.client, job_id, 1)[2] == "DON")
    assert states(farm.client, job_id, 1) == ["WDP", "WDP", "DON", "WDP"]
    assert states(farm.client, job_id, 0) == ["RUN", "RUN", "DON", "RUN"]

    finish(farm, gates, job_id)
    sim, render = tasks(farm.client, job_id, 0), tasks(farm.client, job_id, 1)
    for n in range(4):
        assert render[n]["time_start"] >= sim[n]["time_done"]


def test_tasks_depend_mask_many_to_one(farm, gates):
    """A render task of two frames waits for both sim tasks that cover them."""
    start_farm(farm, {"r1": 8})
    render = {"frame_last": 4, "frames_per_task": 2, "tasks_depend_mask": "sim"}
    job_id = _sim_and_render(farm, gates, "cover", 4, render)
    gates.open(1)
    wait_until(lambda: states(farm.client, job_id, 0)[0] == "DON")
    assert states(farm.client, job_id, 1) == ["WDP", "WDP"]
    gates.open(2)
    wait_until(lambda: states(farm.client, job_id, 1)[0] == "DON")
    assert states(farm.client, job_id, 1)[1] == "WDP"
    finish(farm, gates, job_id)
    sim, render = tasks(farm.client, job_id, 0), tasks(farm.client, job_id, 1)
    assert render[0]["time_start"] >= max(sim[0]["time_done"], sim[1]["time_done"])
    assert render[1]["time_start"] >= max(sim[2]["time_done"], sim[3]["time_done"])


def test_time_wait_keeps_a_job_waiting_then_the_tick_starts_it(farm):
    start_farm(farm, {"r1": 2})
    wait = int(time.time()) + 3
    job_id = farm.client.submit(job("later", "true", 1, time_wait=wait))
    assert farm.client.job(job_id)["tasks_running"] == 0
    assert reason(farm.client, job_id, "r1") == f"job waits until {wait} (time_wait)"
    farm.wait_job_done(job_id, timeout=30)
    assert tasks(farm.client, job_id)[0]["time_start"] >= wait


def test_time_wait_lifted_by_edit(farm):
    start_farm(farm, {"r1": 1})
    job_id = farm.client.submit(job("tomorrow", "true", 1, time_wait=int(time.time()) + 86400))
    assert "(time_wait)" in reason(farm.client, job_id, "r1")
    farm.client.edit_job(job_id, {"time_wait": 0})
    farm.wait_job_done(job_id)


def test_time_life_deletes_the_job(farm):
    farm.start_server()
    doomed = farm.client.submit(job("doomed", "true", 1, time_life=1, offline=True))
    kept = farm.client.submit(job("kept", "true", 1, time_life=1, offline=True))
    farm.client.edit_job(kept, {"time_life": 0})
    wait_until(lambda: doomed not in {j["id"] for j in farm.client.jobs()}, timeout=15)
    assert kept in {j["id"] for j in farm.client.jobs()}
