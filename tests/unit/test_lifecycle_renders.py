"""The task life cycle as renders come and go: adoption after a restart, the start-up hold,
lost runs, silent renders, eject."""

from app.core import states
from tests.unit.lifecycle_farm import Farm


def restored(farm, tasks=3, running=(0,), holder="r1", online=("r1",)):
    """A job as the server restores it after a restart: its running tasks wait (WRC) for their
    render (holder), and for 30 s nothing starts until the renders that were online are back."""
    render = farm.known(holder)
    job = farm.submit(tasks=tasks, capacity=100)
    for n in running:
        job.blocks[0].tasks.restore(n, states.WRC, 1, 0, render.id, farm.clock.now - 5, 0.0)
    farm.lc.solver.refresh(job)
    farm.lc.hold_for_renders(set(online), grace=30)
    return job


def test_a_render_back_after_a_restart_keeps_its_running_task():
    farm = Farm()
    job = restored(farm)
    farm.known("r1").max_tasks = 2
    r1, stop = farm.render("r1", running=[(job.id, 0, 0, 1)])
    assert stop == []
    assert farm.state(job) == "RUN" and (job.id, 0, 0, 1) in r1.runs
    assert ("run_adopted", (job.id, 0, 0, 1)) in farm.changes.log
    assert len(r1.runs) == job.user.running_tasks == 2  # the hold is over: one more started


def test_a_finished_run_reported_at_register_is_counted_once_by_its_result():
    farm = Farm()
    job = restored(farm, tasks=1)
    r1, _ = farm.render("r1", finished=[(job.id, 0, 0, 1)])
    assert farm.result(r1, (job.id, 0, 0, 1)) == ("DON", None)
    assert farm.result(r1, (job.id, 0, 0, 1)) is None
    assert farm.state(job) == "DON"


def test_a_reported_run_of_a_task_that_was_ready_is_taken_as_started():
    farm = Farm()
    job = farm.submit(tasks=1)
    farm.lc.hold_until = farm.clock.now + 30
    farm.lc.expected_renders = {"r1", "r2"}
    r1, stop = farm.render("r1", running=[(job.id, 0, 0, 4)])
    assert stop == [] and farm.state(job) == "RUN"
    assert job.blocks[0].tasks.detail(0)[0] == 4
    assert ("run_started", (job.id, 0, 0, 4), "r1", farm.clock.now) in farm.changes.log


def test_a_run_held_by_another_online_render_is_refused():
    farm = Farm()
    job = farm.submit(tasks=1)
    r1 = farm.online("r1")
    key = (job.id, 0, 0, 1)
    assert key in r1.runs
    r2, stop = farm.render("r2", running=[key])
    assert stop == [key] and key not in r2.runs and key in r1.runs


def test_a_run_the_farm_no_longer_wants_is_stopped():
    farm = Farm()
    job = farm.submit(tasks=1)
    job.blocks[0].tasks.set(0, states.DON)
    _, stop = farm.render("r1", running=[(job.id, 0, 0, 1), (99, 0, 0, 1)])
    assert sorted(stop) == [(job.id, 0, 0, 1), (99, 0, 0, 1)]


def test_a_run_a_reconnecting_render_no_longer_has_is_lost():
    farm = Farm()
    job = farm.submit(tasks=1)
    r1 = farm.online("r1")
    r1.paused = True
    key = (job.id, 0, 0, 1)
    farm.lc.render_disconnected(r1)
    farm.render("r1", running=[])
    assert (farm.state(job), farm.errors(job)) == ("RDY", 0)
    assert ("run_lost", key, farm.clock.now, True) in farm.changes.log


def test_the_start_up_hold_starts_nothing_until_every_render_is_back():
    farm = Farm()
    job = restored(farm, tasks=2, running=(0,), online=("r1", "r2"))
    r2 = farm.online("r2")
    assert not r2.runs and farm.state(job) == "WRC"
    r1, _ = farm.render("r1", running=[(job.id, 0, 0, 1)])
    assert farm.lc.hold_until == 0.0
    assert farm.state(job) == "RUN" and farm.keys_on(r2) == [(job.id, 0, 1, 1)]


def test_the_start_up_hold_ends_after_its_time_and_unclaimed_runs_are_ready():
    farm = Farm()
    job = restored(farm, tasks=1, online=("r1", "gone"))
    r1 = farm.online("r1")
    farm.wait(29)
    assert not r1.runs and farm.state(job) == "WRC"
    farm.wait(2)
    assert farm.lc.hold_until == 0.0
    assert ("run_lost", (job.id, 0, 0, 1), farm.clock.now, True) in farm.changes.log
    assert farm.keys_on(r1) == [(job.id, 0, 0, 2)]  # WRC -> RDY, started again


def test_the_start_up_hold_waits_for_every_render_whose_runs_wait():
    """A render not stored online (away when the server stopped) still holds its runs: the
    first render back must not take them while their render is about to report them."""
    farm = Farm()
    job = restored(farm, tasks=2, running=(0,), holder="r1", online=("r2",))
    r2 = farm.online("r2")
    assert not r2.runs and farm.state(job) == "WRC" and farm.lc.hold_until
    r1, _ = farm.render("r1", finished=[(job.id, 0, 0, 1)])
    assert farm.lc.hold_until == 0.0
    assert farm.result(r1, (job.id, 0, 0, 1)) == ("DON", None)
    assert farm.keys_on(r2) == [(job.id, 0, 1, 1)]
    assert [entry[1] for entry in farm.changes.log if entry[0] == "run_started"] == [
        (job.id, 0, 1, 1)
    ]


def test_a_late_result_of_a_run_started_again_is_recorded_and_moves_nothing():
    farm = Farm()
    job = farm.submit(tasks=1)
    first, second = (job.id, 0, 0, 1), (job.id, 0, 0, 2)
    r1 = farm.online("r1")
    farm.lc.render_disconnected(r1)
    farm.wait(61)  # r1's run is lost
    r2 = farm.online("r2")
    assert farm.keys_on(r2) == [second]
    r1, stop = farm.render("r1", finished=[first])  # back, with the lost run's result
    assert stop == [] and not r1.runs
    before = len(farm.changes.log)
    assert farm.result(r1, first, exit_code=1) is None  # not counted
    assert farm.changes.log[before:] == [("run_late", first, "r1", "ERR", "exit code 1")]
    assert farm.state(job) == "RUN" and farm.keys_on(r2) == [second] and farm.errors(job) == 0


def test_runs_of_a_disconnected_render_are_lost_after_zombie_time():
    farm = Farm()
    job = farm.submit(tasks=1)
    r1 = farm.online("r1")
    farm.lc.render_disconnected(r1)
    farm.wait(59)
    assert farm.state(job) == "RUN"
    farm.wait(2)
    assert (farm.state(job), farm.errors(job)) == ("RDY", 0) and not r1.runs
    assert not job.blocks[0].error_hosts


def test_a_silent_render_is_dropped_and_its_runs_lost_from_when_it_was_last_heard():
    farm = Farm()
    job = farm.submit(tasks=1)
    r1 = farm.online("r1")
    farm.wait(59, heard=False)
    assert r1.online and farm.state(job) == "RUN"
    farm.wait(2, heard=False)
    assert ("render_silent", "r1") in farm.changes.log and not r1.online
    # its zombie_time counts from when it was last heard: its runs are lost at once
    assert farm.lc.lost_since == {} and farm.state(job) == "RDY"


def test_eject_stops_every_run_and_makes_them_ready_without_errors():
    farm = Farm()
    ann = farm.submit(tasks=1, user="ann", capacity=100)
    bob = farm.submit(tasks=1, user="bob", capacity=100)
    r1 = farm.online("r1", max_tasks=2)
    r1.paused = True
    farm.lc.eject(r1, None)
    assert sorted(key for _, key in farm.changes.stopped) == [(ann.id, 0, 0, 1), (bob.id, 0, 0, 1)]
    assert [farm.state(ann), farm.state(bob)] == ["RDY", "RDY"]
    assert farm.errors(ann) == farm.errors(bob) == 0


def test_eject_not_mine_keeps_the_runs_of_the_renders_user():
    farm = Farm()
    ann = farm.submit(tasks=1, user="ann", capacity=100)
    bob = farm.submit(tasks=1, user="bob", capacity=100)
    r1 = farm.online("r1", max_tasks=2, user_name="bob")
    r1.paused = True
    farm.lc.eject(r1, "bob")
    assert [key for _, key in farm.changes.stopped] == [(ann.id, 0, 0, 1)]
    assert [farm.state(ann), farm.state(bob)] == ["RDY", "RUN"]


def test_deleting_a_render_loses_its_runs():
    farm = Farm()
    job = farm.submit(tasks=1)
    r1 = farm.online("r1")
    farm.lc.render_disconnected(r1)
    farm.lc.forget_render(r1)
    assert "r1" not in farm.lc.renders and r1.id not in farm.lc.render_names
    assert farm.state(job) == "RDY" and not farm.lc.lost_since
    lost = farm.changes.names().index("run_lost")
    assert farm.changes.names()[-1] == "render_deleted" and lost < len(farm.changes.log) - 1


def test_a_run_of_a_deleted_job_is_forgotten_without_a_lost_record():
    farm = Farm()
    job = farm.submit(tasks=1)
    r1 = farm.online("r1")
    farm.lc.delete_job(job)
    farm.lc.render_disconnected(r1)
    farm.lc.forget_render(r1)
    assert ("run_lost", (job.id, 0, 0, 1), farm.clock.now, False) in farm.changes.log
