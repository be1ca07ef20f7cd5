"""Which task runs first: sequential orders, try-next, and previews pending approval (PPA)."""

from __future__ import annotations

from app.api import numeric_job
from tests.polling import wait_until


def start_order(client, job_id, tasks):
    starts = [(client.task(job_id, 0, n)["runs"][0]["time_start"], n) for n in range(tasks)]
    return [n for _, n in sorted(starts)]


def test_sequential_descending(farm):
    farm.start_server()
    farm.start_renders({"r1": 1})
    job = numeric_job("down", "true", 1, 5, user_name="t", block_extra={"sequential": -1})
    job_id = farm.client.submit(job)
    farm.wait_job_done(job_id)
    assert start_order(farm.client, job_id, 5) == [4, 3, 2, 1, 0]


def test_try_next_runs_marked_tasks_first(farm):
    farm.start_server()
    job_id = farm.client.submit(numeric_job("pick", "true", 1, 10, user_name="t", paused=True))
    assert farm.client.task_actions(job_id, 0, "try-next", [7, 3])["count"] == 2
    farm.client.job_action(job_id, "start")
    farm.start_render("r1", 1)
    farm.wait_job_done(job_id)
    assert set(start_order(farm.client, job_id, 10)[:2]) == {3, 7}


def test_preview_pending_approval(farm):
    farm.start_server()
    farm.start_renders({"r1": 1})
    job = numeric_job(
        "preview", "true", 1, 10, user_name="t", ppa=True, block_extra={"sequential": 3}
    )
    job_id = farm.client.submit(job)
    preview = {0, 9, 2, 5, 8}  # first, last, and the tasks of frames 3, 6 and 9
    # the server looks for the next task as it counts a result: none started after the last
    job = wait_until(lambda: (j := farm.client.job(job_id))["tasks_done"] == len(preview) and j)
    assert job["tasks_running"] == 0 and "PPA" in job["state"]
    done = {t["num"] for t in farm.client.tasks(job_id, 0)["tasks"] if t["state"] == "DON"}
    assert done == preview
    reasons = [r["reason"] for r in farm.client.explain(job_id)["renders"]]
    assert reasons == ["block 0: preview done: waiting for approval (ppa)"]
    farm.client.edit_job(job_id, {"ppa": False})
    farm.wait_job_done(job_id)
