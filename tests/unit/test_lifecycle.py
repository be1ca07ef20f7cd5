"""The task life cycle: starting runs and how they end (done, errors, retries, skips, stops)."""

from app.core.assignments import assignment
from app.protocol import STOPPED
from tests.unit.lifecycle_farm import Farm


def test_a_free_render_starts_a_ready_task():
    farm = Farm()
    job = farm.submit(tasks=2)
    r1 = farm.online("r1")
    key = (job.id, 0, 0, 1)
    assert farm.keys_on(r1) == [key]
    assert [farm.state(job, n) for n in (0, 1)] == ["RUN", "RDY"]
    assert ("run_started", key, "r1", farm.clock.now) in farm.changes.log
    assert farm.changes.assigned == [("r1", assignment(job, job.blocks[0], 0, 1, 1))]
    assert job.time_started == farm.clock.now
    assert (job.user.running_tasks, r1.capacity_used) == (1, 1000)


def test_the_assignment_leaves_af_capacity_to_the_render():
    farm = Farm()
    job = farm.submit(
        command="render -threads @AF_CAPACITY@",
        capacity=100,
        capacity_coeff_min=1,
        capacity_coeff_max=4,
    )
    farm.online("r1")
    task = farm.changes.assigned[0][1]
    assert task["command"] == "render -threads @AF_CAPACITY@"
    assert (task["capacity_coeff"], task["capacity"]) == (4, 400)
    assert job.user.running_capacity == 400


def test_a_finished_run_is_done_and_frees_the_slot():
    farm = Farm()
    job = farm.submit(tasks=2)
    r1 = farm.online("r1")
    r1.paused = True  # keeps the freed slot empty, to be seen
    assert farm.result(r1, (job.id, 0, 0, 1)) == ("DON", None)
    assert farm.state(job) == "DON" and not r1.runs and job.user.running_tasks == 0
    assert not job.time_done  # one task left


def test_the_next_task_is_assigned_right_after_a_result_is_recorded():
    farm = Farm()
    job = farm.submit(tasks=2)
    r1 = farm.online("r1")
    first, second = (job.id, 0, 0, 1), (job.id, 0, 1, 1)
    before = len(farm.changes.log)
    farm.result(r1, first)
    names = farm.changes.names()[before:]
    assert names.index("tasks_changed") < names.index("run_ended") < names.index("assign")
    ended = farm.changes.log[before + names.index("run_ended")]
    assert ended == ("run_ended", first, "r1", "DON", None)
    assert farm.keys_on(r1) == [second] and farm.changes.assigned[-1][1]["task"] == 1


def test_the_last_task_done_dates_the_job():
    farm = Farm()
    job = farm.submit()
    r1 = farm.online()
    farm.clock.advance(5)
    farm.result(r1, (job.id, 0, 0, 1))
    assert job.time_done == farm.clock.now
    assert ("job_changed", job.id) in farm.changes.log


def test_an_error_with_retries_left_is_ready_again():
    farm = Farm()
    job = farm.submit(errors_retries=1, errors_avoid_host=-1)
    r1 = farm.online()
    assert farm.result(r1, (job.id, 0, 0, 1), exit_code=3) == ("ERR", "exit code 3")
    assert farm.errors(job) == 1
    assert farm.keys_on(r1) == [(job.id, 0, 0, 2)]  # the retry starts at once
    assert farm.result(r1, (job.id, 0, 0, 2), signal=9, exit_code=None) == (
        "ERR",
        "killed by signal 9",
    )
    assert (farm.state(job), farm.errors(job)) == ("ERR", 2)
    assert not job.time_done


def test_an_error_without_retries_is_final():
    farm = Farm()
    job = farm.submit(errors_retries=0)
    r1 = farm.online()
    assert farm.result(r1, (job.id, 0, 0, 1), error="crashed") == ("ERR", "crashed")
    assert farm.state(job) == "ERR"


def test_a_fatal_error_is_not_retried():
    farm = Farm()
    job = farm.submit(errors_retries=5)
    r1 = farm.online()
    farm.result(r1, (job.id, 0, 0, 1), error="no licence", fatal=True)
    assert farm.state(job) == "ERR"


def test_a_command_not_found_is_fatal_and_worded_so():
    farm = Farm()
    job = farm.submit(tasks=2, errors_retries=5)
    r1 = farm.online()
    assert farm.result(r1, (job.id, 0, 0, 1), exit_code=127) == (
        "ERR",
        "exit code 127: command not found",
    )
    assert (farm.state(job), farm.errors(job)) == ("ERR", 1)
    assert farm.keys_on(r1) == [(job.id, 0, 1, 1)]  # the next task, not a retry


def test_a_run_the_render_judged_a_success_is_done_whatever_its_exit_code():
    farm = Farm()
    job = farm.submit()
    r1 = farm.online()
    assert farm.result(r1, (job.id, 0, 0, 1), exit_code=1, success=True) == ("DON", None)
    assert farm.state(job) == "DON"


def test_an_old_style_result_without_a_success_flag_is_judged_by_its_exit_code():
    farm = Farm()
    job = farm.submit(tasks=2, errors_retries=0)
    r1 = farm.online()
    report = {"error": None, "exit_code": 2, "signal": None, "time_start": 0.0, "time_done": 9.0}
    assert farm.end(r1, (job.id, 0, 0, 1), report) == ("ERR", "exit code 2")
    report["exit_code"] = 0
    assert farm.end(r1, (job.id, 0, 1, 1), report) == ("DON", None)


def test_a_skipped_run_is_skp():
    farm = Farm()
    job = farm.submit()
    r1 = farm.online()
    assert farm.result(r1, (job.id, 0, 0, 1), skipped="files exist") == ("SKP", "files exist")
    assert farm.state(job) == "SKP" and job.time_done


def test_a_run_stopped_by_its_render_is_ready_again_without_an_error():
    farm = Farm()
    job = farm.submit()
    r1 = farm.online()
    r1.paused = True  # keeps the task ready, to be seen
    assert farm.result(r1, (job.id, 0, 0, 1), error=STOPPED) == ("STOPPED", STOPPED)
    assert (farm.state(job), farm.errors(job)) == ("RDY", 0)
    assert not r1.sick and not job.blocks[0].error_hosts


def test_a_run_faster_than_task_min_run_time_failed():
    farm = Farm()
    job = farm.submit(task_min_run_time=30, errors_retries=0)
    r1 = farm.online()
    now = farm.clock.now
    ended = farm.result(r1, (job.id, 0, 0, 1), time_start=now - 10, time_done=now)
    assert ended == ("ERR", "finished faster than task_min_run_time 30 s")
    assert farm.state(job) == "ERR"


def test_task_min_run_time_passes_a_long_enough_run():
    farm = Farm()
    job = farm.submit(task_min_run_time=30)
    r1 = farm.online()
    now = farm.clock.now
    assert farm.result(r1, (job.id, 0, 0, 1), time_start=now - 31, time_done=now)[0] == "DON"


def test_a_resent_result_is_not_counted_twice():
    farm = Farm()
    job = farm.submit(errors_retries=3)
    r1 = farm.online()
    r1.paused = True
    key = (job.id, 0, 0, 1)
    assert farm.result(r1, key, exit_code=1) is not None
    before = list(farm.changes.log)
    assert farm.result(r1, key, exit_code=1) is None
    assert (farm.state(job), farm.errors(job)) == ("RER", 1)
    # only recorded as late: the store keeps the run's counted result
    assert farm.changes.log[len(before) :] == [("run_late", key, "r1", "ERR", "exit code 1")]


def test_a_result_of_a_deleted_job_changes_nothing():
    farm = Farm()
    job = farm.submit()
    r1 = farm.online()
    farm.lc.act_on_job(job, "delete")
    assert farm.result(r1, (job.id, 0, 0, 1)) is None
    assert not r1.runs


def test_an_error_avoids_the_host_after_errors_avoid_host():
    farm = Farm()
    job = farm.submit(errors_retries=5, errors_avoid_host=1, errors_forgive_time=0)
    r1 = farm.online("r1")
    farm.result(r1, (job.id, 0, 0, 1), exit_code=1)
    assert not r1.runs  # r1 failed the job once: it is avoided
    r2 = farm.online("r2")
    assert farm.keys_on(r2) == [(job.id, 0, 0, 2)]
    assert [host["host"] for host in job.blocks[0].error_hosts.summary()] == ["r1"]


def _summary(farm, job) -> dict:
    return farm.lc.job_summary(job)


def test_a_job_shows_its_failures_at_once_and_avd_when_every_online_render_is_avoided():
    """`sh -c 'exit 1'` on a one-render farm: each failure counts on its host at once, and once
    the block avoids the only render the job and its block say AVD, not RDY, with the task
    waiting for a retry counted (tasks_error_ready)."""
    farm = Farm()
    job = farm.submit(tasks=2)  # the user's defaults: 3 retries, avoid a host after 3 errors
    r1 = farm.online("r1")
    farm.result(r1, (job.id, 0, 0, 1), exit_code=1)
    first = _summary(farm, job)  # the retry runs at once
    assert (first["state"], first["tasks_error_ready"], first["tasks_error"]) == ("RUN RDY", 0, 0)
    assert [(h["host"], h["errors"], h["avoided"]) for h in first["blocks"][0]["error_hosts"]] == [
        ("r1", 1, False)
    ]
    farm.result(r1, (job.id, 0, 0, 2), exit_code=1)
    farm.result(r1, (job.id, 0, 0, 3), exit_code=1)
    assert not r1.runs  # the third error: the block avoids r1, the only render

    stuck = _summary(farm, job)
    assert (stuck["state"], stuck["tasks_error_ready"]) == ("AVD", 1)
    block = stuck["blocks"][0]
    assert block["state"] == "AVD"
    assert [(h["host"], h["errors"], h["avoided"]) for h in block["error_hosts"]] == [
        ("r1", 3, True)
    ]

    farm.online("r2")  # a render the block does not avoid: ready again, and it runs there
    assert _summary(farm, job)["state"] == "RUN RDY"


def test_a_block_avoiding_an_offline_render_only_is_not_stuck():
    farm = Farm()
    job = farm.submit(errors_avoid_host=1, errors_retries=3)
    r1 = farm.online("r1")
    farm.result(r1, (job.id, 0, 0, 1), exit_code=1)
    assert _summary(farm, job)["state"] == "AVD"
    farm.lc.render_disconnected(r1)
    assert _summary(farm, job)["state"] == "RDY"  # no online render: nothing to avoid


def test_errors_forgive_time_lets_the_avoided_host_back():
    farm = Farm()
    job = farm.submit(errors_retries=5, errors_avoid_host=1, errors_forgive_time=60)
    r1 = farm.online("r1")
    farm.result(r1, (job.id, 0, 0, 1), exit_code=1)
    assert not r1.runs
    farm.wait(30)
    assert not r1.runs
    farm.wait(31)  # the forgive time's wakeup offers the task again
    assert farm.keys_on(r1) == [(job.id, 0, 0, 2)]


def _fail(farm, render, user):
    job = farm.submit(user=user, errors_retries=0, capacity=100)
    farm.lc.fill(render)
    farm.result(render, (job.id, 0, 0, 1), exit_code=1)
    return job


def _shown(farm, since):
    """How many times monitors were shown the render r1 since a point of the log."""
    return farm.changes.log[since:].count(("show_render", "r1"))


def test_errors_from_sick_errors_count_users_make_a_render_sick():
    farm = Farm()
    farm.lc.pools.edit("/", {"sick_errors_count": 2})
    r1 = farm.online()
    _fail(farm, r1, "ann")
    before = len(farm.changes.log)
    _fail(farm, r1, "ann")
    assert not r1.sick  # one user's errors may be that user's fault
    shown = _shown(farm, before)  # the run started, then left
    before = len(farm.changes.log)
    _fail(farm, r1, "bob")
    assert r1.sick
    assert _shown(farm, before) == shown + 1  # monitors see it fall sick


def test_a_success_makes_a_sick_render_healthy_again():
    farm = Farm()
    farm.lc.pools.edit("/", {"sick_errors_count": 2})
    long = farm.submit(user="cat", capacity=10)
    r1 = farm.online(max_tasks=3)
    _fail(farm, r1, "ann")
    _fail(farm, r1, "bob")
    assert r1.sick
    before = len(farm.changes.log)
    farm.result(r1, (long.id, 0, 0, 1))  # a run started before it fell sick ends well
    assert not r1.sick and not r1.recent_errors
    assert _shown(farm, before) == 2  # the run left, and the render is healthy


def test_a_sick_render_gets_no_task_until_it_is_healed():
    farm = Farm()
    farm.lc.pools.edit("/", {"sick_errors_count": 2})
    r1 = farm.online()
    _fail(farm, r1, "ann")
    _fail(farm, r1, "bob")
    job = farm.submit(user="cat")
    farm.lc.fill(r1)
    assert r1.sick and farm.keys_on(r1) == []  # no run: no success can heal it
    before = len(farm.changes.log)
    farm.lc.heal(r1)
    assert not r1.sick and not r1.recent_errors and _shown(farm, before) == 1
    farm.lc.fill(r1)
    assert farm.keys_on(r1) == [(job.id, 0, 0, 1)]


def test_a_finished_job_frees_its_dependants():
    farm = Farm()
    first = farm.submit()
    second = farm.submit(job_keys={"depend_mask": "job1"})
    assert second.waiting
    r1 = farm.online(max_tasks=2)
    assert farm.keys_on(r1) == [(first.id, 0, 0, 1)]
    farm.result(r1, (first.id, 0, 0, 1))
    assert not second.waiting
    farm.lc.fill(r1)
    assert farm.keys_on(r1) == [(second.id, 0, 0, 1)]
