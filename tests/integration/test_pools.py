"""Pools, tickets and the farm file on a real farm: renders follow their pool's settings."""

from __future__ import annotations

import json

from app.api import numeric_job
from tests.polling import wait_until

FARM = {
    "pools": {
        "/": {"capacity_host": 2000, "max_tasks_host": 2, "tickets_pool": {"NUKE": {"count": 1}}},
        "/gpu/": {"pattern": "gpu.*", "properties_host": "gpu"},
    }
}


def runs_of(client, job_id, tasks):
    return [run for n in range(tasks) for run in client.task(job_id, 0, n)["runs"]]


def not_started(client, job_id) -> bool:
    job = client.job(job_id)
    return (job["tasks_running"], job["tasks_done"]) == (0, 0)


def reasons(client, job_id) -> list[str]:
    return [render["reason"] for render in client.explain(job_id)["renders"]]


def test_farm_file_pools_tickets_and_reload(farm, tmp_path):
    farm_file = tmp_path / "farm.json"
    farm_file.write_text(json.dumps(FARM))
    farm.start_server("--farm", str(farm_file))
    farm.start_render("cpu01")
    farm.start_render("gpu01")
    renders = {r["name"]: r for r in farm.wait_renders(2)}
    assert renders["gpu01"]["pool"] == "/gpu/" and renders["cpu01"]["pool"] == "/"
    assert (renders["gpu01"]["capacity"], renders["gpu01"]["max_tasks"]) == (2000, 2)
    overridden = farm.client.edit_render("cpu01", {"capacity_host": 3000, "max_tasks_host": 3})
    assert (overridden["capacity"], overridden["max_tasks"]) == (3000, 3)

    gpu_job = numeric_job("gpu only", "true", 1, 6, user_name="t", block_extra={})
    gpu_job["blocks"][0]["need_properties"] = "gpu"
    job_id = farm.client.submit(gpu_job)
    farm.wait_job_done(job_id)
    assert {run["render"] for run in runs_of(farm.client, job_id, 6)} == {"gpu01"}

    licensed = numeric_job(
        "nuke", "sleep 0.3", 1, 4, user_name="t", block_extra={"tickets": {"NUKE": 1}}
    )
    job_id = farm.client.submit(licensed)
    farm.wait_job_done(job_id)
    runs = sorted(runs_of(farm.client, job_id, 4), key=lambda r: r["time_start"])
    for earlier, later in zip(runs, runs[1:], strict=False):
        assert later["time_start"] >= earlier["time_done"]  # one licence: never two at once

    FARM["pools"]["/"]["tickets_pool"]["NUKE"]["count"] = 2
    farm_file.write_text(json.dumps(FARM))
    wait_until(
        lambda: farm.client.pools()["pools"]["/"]["tickets_pool"]["NUKE"]["count"] == 2, timeout=10
    )
    farm_file.write_text("{broken")
    wait_until(lambda: "not applied" in farm.logs(), timeout=10)  # refused: the pools stay
    assert farm.client.pools()["pools"]["/"]["tickets_pool"]["NUKE"]["count"] == 2
    assert farm.client.health()["ok"]


def test_pools_over_the_api_disable_a_service(farm):
    farm.start_server()
    farm.start_render("r1")
    farm.wait_renders(1)
    pools = farm.client.add_pool("/comp/", {"pattern": "r.*"})
    assert "/comp/" in pools["pools"]
    farm.client.edit_render("r1", {"pool": "/comp/"})
    farm.client.edit_pool("/comp/", {"services_disabled": ["nuke"]})
    job = numeric_job("comp", "true", 1, 2, service="nuke", user_name="t")
    job_id = farm.client.submit(job)  # offered to r1 before the answer: it stays ready
    assert not_started(farm.client, job_id)
    assert reasons(farm.client, job_id) == ["block 0: service nuke is not enabled on this render"]
    farm.client.edit_pool("/comp/", {"services_disabled": [], "services": ["ffmpeg"]})
    # the edit offered the job again: the pool now lists only ffmpeg, nuke still does not run
    assert not_started(farm.client, job_id)
    assert reasons(farm.client, job_id) == ["block 0: service nuke is not enabled on this render"]
    farm.client.edit_render("r1", {"services": ["nuke"]})  # the render enables it for itself
    farm.wait_job_done(job_id)
    answer = farm.client.pools()
    assert answer["effective"]["/comp/"]["renders"] == ["r1"]


def test_new_work_goes_to_the_readiest_render_first(farm):
    farm.start_server()
    farm.client.add_pool("/fast/", {"pattern": "fast.*", "priority": 250})
    farm.start_render("slow01", 1)
    farm.start_render("fast01", 1)
    farm.wait_renders(2)
    for _ in range(3):  # each one-task job lands on the render of the higher-priority pool
        job_id = farm.client.submit(numeric_job("one", "true", 1, 1, user_name="t"))
        farm.wait_job_done(job_id)
        assert farm.client.task(job_id, 0, 0)["render"] == "fast01"
