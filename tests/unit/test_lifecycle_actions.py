"""Job and task actions (JOB_ACTIONS, TASK_ACTIONS) as the life cycle applies them."""

import pytest

from app.core import states
from app.core.errors import SpecError
from app.core.jobs import task_summary
from app.core.task_actions import TASK_CHANGES
from app.protocol import TASK_ACTIONS
from tests.unit.lifecycle_farm import Farm

# every task state, each held by one task of a 9-task block
ALL_STATES = list(range(states.COUNT))


def block_in_every_state(farm):
    job = farm.submit(tasks=states.COUNT, errors_retries=0)
    table = job.blocks[0].tasks
    for n in ALL_STATES:
        table.restore(n, n, 1, 1, 0, 0.0, 0.0)  # task n in state n, one error
    farm.lc.solver.refresh(job)
    return job


def test_every_task_action_but_try_next_and_reset_error_hosts_has_a_change():
    assert set(TASK_CHANGES) == set(TASK_ACTIONS) - {"try-next", "reset-error-hosts"}


@pytest.mark.parametrize("action", sorted(TASK_CHANGES))
def test_a_task_action_moves_exactly_the_tasks_it_applies_to(action):
    farm = Farm()
    job = block_in_every_state(farm)
    applies, new = TASK_CHANGES[action]
    changed = farm.lc.act_on_tasks(job.blocks[0], action, None)
    table = job.blocks[0].tasks
    assert changed == len(applies)
    for n in ALL_STATES:
        if n in applies:
            assert (table.state(n), table.detail(n)[1]) == (new, 0), states.code(n)
        else:
            assert (table.state(n), table.detail(n)[1]) == (n, 1), states.code(n)
    stopped = sorted(key[2] for _, key in farm.changes.stopped)
    assert stopped == sorted(n for n in states.ACTIVE if n in applies)


def test_a_task_action_on_listed_tasks_leaves_the_others():
    farm = Farm()
    job = farm.submit(tasks=4)
    assert farm.lc.act_on_tasks(job.blocks[0], "skip", [1, 3, 3]) == 2
    assert [farm.state(job, n) for n in range(4)] == ["RDY", "SKP", "RDY", "SKP"]
    assert ("tasks_changed", job.id, 0, [1, 3]) in farm.changes.log


def test_the_last_tasks_marked_done_finish_the_job():
    farm = Farm()
    job = farm.submit(tasks=2)
    farm.lc.act_on_tasks(job.blocks[0], "done", None)
    assert job.time_done == farm.clock.now


def test_try_next_starts_the_marked_task_first():
    farm = Farm()
    job = farm.submit(tasks=10)
    assert farm.lc.act_on_tasks(job.blocks[0], "try-next", [7]) == 1
    r1 = farm.online()
    assert farm.keys_on(r1) == [(job.id, 0, 7, 1)]


def test_try_next_needs_task_numbers():
    with pytest.raises(SpecError):
        farm = Farm()
        farm.lc.act_on_tasks(farm.submit().blocks[0], "try-next", None)


def test_pause_and_start_a_job():
    farm = Farm()
    job = farm.submit(tasks=2, capacity=100)
    farm.lc.act_on_job(job, "pause")
    r1 = farm.online(max_tasks=2)
    assert job.offline and not r1.runs
    farm.lc.act_on_job(job, "start")
    assert not job.offline and len(r1.runs) == 2


def test_stop_a_job_stops_its_runs_and_pauses_it():
    farm = Farm()
    job = farm.submit(tasks=2)
    r1 = farm.online()
    farm.lc.act_on_job(job, "stop")
    assert job.offline and farm.changes.stopped == [(r1.id, (job.id, 0, 0, 1))]
    assert farm.state(job) == "RDY"


def test_restart_a_job_resets_every_task():
    farm = Farm()
    job = farm.submit(tasks=2, errors_retries=0, capacity=100)
    r1 = farm.online(max_tasks=2)
    farm.result(r1, (job.id, 0, 0, 1), exit_code=1)
    r1.paused = True
    farm.result(r1, (job.id, 0, 1, 1))
    assert [farm.state(job, n) for n in (0, 1)] == ["ERR", "DON"]
    farm.lc.act_on_tasks(job.blocks[0], "skip", [0])
    assert job.time_done
    farm.lc.act_on_job(job, "restart")
    assert ("block_reset", job.id, 0) in farm.changes.log
    assert [farm.state(job, n) for n in (0, 1)] == ["RDY", "RDY"]
    assert farm.errors(job) == 0 and not job.blocks[0].error_hosts
    assert job.time_done == job.time_started == 0.0


def test_restart_errors_makes_failed_tasks_ready():
    farm = Farm()
    job = farm.submit(tasks=2, errors_retries=0, capacity=100)
    r1 = farm.online(max_tasks=2)
    r1.paused = True
    farm.result(r1, (job.id, 0, 0, 1), exit_code=1)
    farm.result(r1, (job.id, 0, 1, 1))
    assert [farm.state(job, n) for n in (0, 1)] == ["ERR", "DON"] and farm.errors(job) == 1
    farm.lc.act_on_job(job, "restart-errors")
    assert [farm.state(job, n) for n in (0, 1)] == ["RDY", "DON"]
    assert farm.errors(job) == 0 and ("job_changed", job.id) in farm.changes.log


def test_reset_error_hosts_lets_an_avoided_render_retry():
    farm = Farm()
    job = farm.submit(errors_retries=5, errors_avoid_host=1, errors_forgive_time=0)
    r1 = farm.online()
    farm.result(r1, (job.id, 0, 0, 1), exit_code=1)
    assert not r1.runs
    farm.lc.act_on_job(job, "reset-error-hosts")
    assert farm.keys_on(r1) == [(job.id, 0, 0, 2)]


def test_reset_a_tasks_error_hosts_lets_it_retry_where_it_failed():
    farm = Farm()
    job = farm.submit(tasks=2, errors_retries=5, errors_task_same_host=1, errors_forgive_time=0)
    r1 = farm.online()
    farm.result(r1, (job.id, 0, 0, 1), exit_code=1)
    block = job.blocks[0]
    assert task_summary(block, 0)["error_hosts"] == ["r1"]
    assert task_summary(block, 1)["error_hosts"] == []
    farm.result(r1, (job.id, 0, 1, 1))
    assert not r1.runs  # task 0 avoids r1
    assert farm.lc.act_on_tasks(block, "reset-error-hosts", [1]) == 0  # it has none
    assert farm.lc.act_on_tasks(block, "reset-error-hosts", [0, 0]) == 1
    assert task_summary(block, 0)["error_hosts"] == []
    assert ("tasks_changed", job.id, 0, [0]) in farm.changes.log
    assert farm.keys_on(r1) == [(job.id, 0, 0, 2)]


def test_delete_a_job_stops_its_runs_and_frees_its_dependants():
    farm = Farm()
    first = farm.submit()
    second = farm.submit(job_keys={"depend_mask": "job1"})
    r1 = farm.online(max_tasks=2, capacity=2000)
    farm.lc.act_on_job(first, "delete")
    assert first.id not in farm.lc.jobs and ("job_deleted", first.id) in farm.changes.log
    assert farm.changes.stopped == [(r1.id, (first.id, 0, 0, 1))]
    assert not second.waiting
    assert (second.id, 0, 0, 1) in r1.runs


def test_an_unknown_job_action_is_refused_and_changes_nothing():
    farm = Farm()
    job = farm.submit()
    before = list(farm.changes.log)
    with pytest.raises(ValueError, match="unknown job action 'sleep'"):
        farm.lc.act_on_job(job, "sleep")
    assert farm.changes.log == before
