"""What time alone decides: task_max_run_time, task_progress_change_timeout, time_life."""

from app.protocol import STOPPED
from tests.unit.lifecycle_farm import Farm


def test_a_run_over_task_max_run_time_is_stopped_as_an_error():
    farm = Farm()
    job = farm.submit(task_max_run_time=100, errors_retries=0)
    r1 = farm.online()
    key = (job.id, 0, 0, 1)
    farm.wait(99)
    assert farm.state(job) == "RUN" and not farm.changes.stopped
    farm.wait(2)
    assert farm.changes.stopped == [(r1.id, key)]
    assert (farm.state(job), farm.errors(job)) == ("ERR", 1)
    # the render's answer to the stop records the timeout, and counts nothing more
    ended = farm.result(r1, key, error=STOPPED)
    assert ended == ("ERR", "ran longer than task_max_run_time 100 s")
    assert farm.errors(job) == 1 and not r1.runs


def test_task_max_run_time_spares_a_run_that_ended_in_time():
    farm = Farm()
    job = farm.submit(task_max_run_time=100)
    r1 = farm.online()
    farm.wait(50)
    farm.result(r1, (job.id, 0, 0, 1))
    farm.wait(60)
    assert farm.state(job) == "DON" and not farm.changes.stopped


def test_a_run_without_progress_for_task_progress_change_timeout_is_an_error():
    farm = Farm()
    job = farm.submit(task_progress_change_timeout=30, errors_retries=0)
    r1 = farm.online()
    key = (job.id, 0, 0, 1)
    farm.wait(20)
    farm.lc.progress(r1, key, 10, None)
    assert ("show_progress", job.id, 0, 0) in farm.changes.log
    farm.wait(20)
    farm.lc.progress(r1, key, 10, None)  # the same figure: no progress
    assert farm.state(job) == "RUN"
    farm.wait(11)
    assert farm.changes.stopped == [(r1.id, key)] and farm.state(job) == "ERR"
    assert farm.result(r1, key, error=STOPPED) == ("ERR", "no progress for 30 s")


def test_a_job_past_its_time_life_is_deleted():
    farm = Farm()
    job = farm.submit(job_keys={"time_life": 100})
    r1 = farm.online()
    farm.wait(99)
    assert job.id in farm.lc.jobs
    farm.wait(2)
    assert job.id not in farm.lc.jobs
    assert ("job_deleted", job.id) in farm.changes.log
    assert farm.changes.stopped == [(r1.id, (job.id, 0, 0, 1))]


def test_time_wait_starts_the_job_when_it_comes():
    farm = Farm()
    job = farm.submit(job_keys={"time_wait": int(farm.clock.now) + 50})
    r1 = farm.online()
    assert not r1.runs
    farm.wait(51)
    assert farm.keys_on(r1) == [(job.id, 0, 0, 1)]
