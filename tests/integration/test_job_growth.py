"""Jobs that grow while they run (append blocks and tasks) and maintenance jobs."""

from __future__ import annotations

import pytest

from app.api import CorralError, numeric_job, tasks_job


def test_append_blocks_and_tasks_to_a_running_job(farm, tmp_path):
    farm.start_server()
    farm.start_render("r1", 2)
    farm.wait_renders(1)
    job_id = farm.client.submit(tasks_job("grow", [("a", "echo a")], user_name="t"))
    farm.wait_job_done(job_id)
    added = farm.client.append_tasks(
        job_id, 0, [{"name": "b", "command": "echo b"}, {"name": "c", "command": "echo c"}]
    )
    assert added == [1, 2]
    block = {
        "name": "more",
        "numeric": True,
        "frame_first": 1,
        "frame_last": 3,
        "command": "echo frame @#@",
        "depend_mask": "grow",
    }
    assert farm.client.append_blocks(job_id, [block]) == [1]
    job = farm.wait_job_done(job_id)
    assert [b["tasks_total"] for b in job["blocks"]] == [3, 3]
    assert farm.client.task_output(job_id, 0, 2, 1).strip() == "c"
    assert farm.client.task_output(job_id, 1, 2, 1).strip() == "frame 3"
    farm.server.stop()  # the grown job comes back whole after a restart
    farm.start_server()
    assert [b["tasks_total"] for b in farm.client.job(job_id)["blocks"]] == [3, 3]


def test_append_refuses_bad_input_and_numeric_blocks(farm):
    farm.start_server()
    job_id = farm.client.submit(numeric_job("n", "true", 1, 2, user_name="t", paused=True))
    for append, status in [
        (lambda: farm.client.append_tasks(job_id, 0, [{"command": "x"}]), 409),
        (lambda: farm.client.append_blocks(job_id, [{"name": "x"}]), 400),
        (lambda: farm.client.append_blocks(job_id, []), 400),
    ]:
        with pytest.raises(CorralError) as caught:
            append()
        assert caught.value.status == status, caught.value
    assert len(farm.client.job(job_id)["blocks"]) == 1


def test_maintenance_job_runs_one_task_on_each_named_render(farm):
    farm.start_server()
    for name in ("m1", "m2"):
        farm.start_render(name, 2)
    farm.wait_renders(2)
    job = tasks_job(
        "install", [("m1", "echo on m1"), ("m2", "echo on m2")], user_name="t", maintenance=True
    )
    job_id = farm.client.submit(job)
    farm.wait_job_done(job_id)
    for n, name in enumerate(("m1", "m2")):
        assert farm.client.task(job_id, 0, n)["render"] == name
