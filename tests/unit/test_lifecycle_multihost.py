"""Multihost tasks in the life cycle: reserving renders, starting the hosts' services and the
master, ending, failing and giving up (app/core/multihost.py)."""

from tests.unit.lifecycle_farm import Farm

MULTIHOST = {
    "multihost": True,
    "multihost_min": 2,
    "multihost_max": 2,
    "multihost_max_wait": 10,
    "multihost_service": "serve @AF_HOSTS@",
    "command": "master @AF_HOSTS@",
}


def started(farm: Farm) -> list[tuple[str, str, list[str], int]]:
    """(render, command, hosts, run) of every assignment so far."""
    return [(r, t["command"], t.get("hosts"), t["run"]) for r, t in farm.changes.assigned]


def test_the_master_starts_once_it_has_its_hosts_and_the_hosts_serve():
    farm = Farm()
    job = farm.submit(**MULTIHOST)
    r1 = farm.online("r1")
    assert farm.state(job) == "RUN" and farm.changes.assigned == []  # reserved, waiting
    farm.online("r2")
    assert farm.changes.assigned == []
    farm.online("r3")
    assert started(farm) == [
        ("r2", "serve @AF_HOSTS@", ["r2", "r3"], 1),
        ("r3", "serve @AF_HOSTS@", ["r2", "r3"], 2),
        ("r1", "master @AF_HOSTS@", ["r2", "r3"], 3),
    ]
    assert farm.changes.assigned[0][1]["parser"] == "none"
    assert job.user.running_tasks == 3 and r1.capacity_used == 1000


def test_the_master_ends_the_task_and_stops_the_hosts():
    farm = Farm()
    job = farm.submit(**MULTIHOST)
    r1, r2, r3 = (farm.online(name) for name in ("r1", "r2", "r3"))
    assert farm.result(r1, (job.id, 0, 0, 3)) == ("DON", None)
    assert farm.state(job) == "DON"
    assert sorted(farm.changes.stopped) == [(r2.id, (job.id, 0, 0, 1)), (r3.id, (job.id, 0, 0, 2))]
    assert farm.result(r2, (job.id, 0, 0, 1), error="stopped") == ("STOPPED", "stopped")
    assert farm.result(r3, (job.id, 0, 0, 2), error="stopped") == ("STOPPED", "stopped")
    assert not (r1.runs or r2.runs or r3.runs) and job.user.running_tasks == 0


def test_a_service_that_ends_first_fails_the_task():
    farm = Farm()
    job = farm.submit(errors_retries=0, **MULTIHOST)
    r1, r2, r3 = (farm.online(name) for name in ("r1", "r2", "r3"))
    failed = "multihost service ended before the master"
    assert farm.result(r2, (job.id, 0, 0, 1)) == ("ERR", failed)
    assert farm.state(job) == "ERR"
    assert sorted(farm.changes.stopped) == [(r1.id, (job.id, 0, 0, 3)), (r3.id, (job.id, 0, 0, 2))]


def test_a_lost_host_fails_the_task():
    farm = Farm()
    job = farm.submit(errors_retries=0, **{**MULTIHOST, "multihost_service": ""})
    r1, r2, r3 = (farm.online(name) for name in ("r1", "r2", "r3"))
    assert started(farm) == [("r1", "master @AF_HOSTS@", ["r2", "r3"], 1)]  # no service
    assert r2.capacity_used == 1000  # held for the master's use
    farm.lc.lose_run(r3, (job.id, 0, 0, 1))
    assert farm.state(job) == "ERR" and not r3.runs
    assert farm.changes.stopped == [(r1.id, (job.id, 0, 0, 1))]
    assert not r2.runs


def test_a_lost_hosts_service_run_is_recorded_lost_and_fails_the_task():
    farm = Farm()
    job = farm.submit(errors_retries=0, **MULTIHOST)
    r1, r2, r3 = (farm.online(name) for name in ("r1", "r2", "r3"))
    farm.lc.lose_run(r2, (job.id, 0, 0, 1))
    assert ("run_lost", (job.id, 0, 0, 1), farm.clock.now, False, "r2") in farm.changes.log
    assert farm.state(job) == "ERR" and not r2.runs
    assert sorted(farm.changes.stopped) == [(r1.id, (job.id, 0, 0, 3)), (r3.id, (job.id, 0, 0, 2))]


def test_with_min_hosts_after_max_wait_the_task_starts_with_them():
    farm = Farm()
    job = farm.submit(**{**MULTIHOST, "multihost_max": 3})
    for name in ("r1", "r2", "r3"):
        farm.online(name)
    assert farm.changes.assigned == []
    farm.wait(11)
    assert [entry[0] for entry in started(farm)] == ["r2", "r3", "r1"]
    assert farm.state(job) == "RUN"


def test_too_few_hosts_after_max_wait_frees_the_renders():
    farm = Farm()
    job = farm.submit(**{**MULTIHOST, "multihost_min": 3, "multihost_max": 3})
    r1, r2 = farm.online("r1"), farm.online("r2")
    assert r1.runs and r2.runs and farm.state(job) == "RUN"
    r1.paused = r2.paused = True  # nothing takes them again at once
    farm.wait(11)
    assert farm.state(job) == "RDY" and not (r1.runs or r2.runs)
    assert farm.changes.assigned == [] and job.user.running_tasks == 0


def test_master_on_slave_counts_the_masters_render_as_a_host_and_waits_for_the_service():
    farm = Farm()
    keys = {**MULTIHOST, "multihost_master_on_slave": True, "multihost_service_wait": 5}
    farm.submit(**keys)
    farm.online("r1"), farm.online("r2")
    assert started(farm) == [("r2", "serve @AF_HOSTS@", ["r1", "r2"], 1)]
    farm.wait(6)
    assert started(farm)[1:] == [("r1", "master @AF_HOSTS@", ["r1", "r2"], 2)]


def test_stopping_a_reservation_frees_its_renders():
    farm = Farm()
    job = farm.submit(**MULTIHOST)
    r1 = farm.online("r1")
    farm.lc.stop_running(job)
    assert farm.state(job) == "RDY" and not r1.runs and farm.changes.stopped == []


def test_a_render_the_task_avoids_does_not_join():
    farm = Farm()
    job = farm.submit(errors_task_same_host=1, **MULTIHOST)
    job.blocks[0].task_errors(0).add("r2", farm.clock.now)
    farm.online("r1")
    r2 = farm.online("r2")
    assert not r2.runs and farm.changes.assigned == []
