"""Per-user quotas (app/core/quotas.py): the queue counted as tasks change, the limits, the
jobs-per-minute window."""

import pytest

from app.core import states
from app.core.errors import SpecError
from app.core.quotas import QuotaDefaults, QuotaExceeded, Quotas
from app.core.task_table import TaskTable
from app.core.users import User
from tests.unit.lifecycle_farm import Farm


def test_a_table_counts_its_unfinished_tasks_in_its_owners_queue():
    ann, bob = User("ann"), User("bob")
    table = TaskTable(5)
    table.count_for(ann)
    assert ann.queued_tasks == 5
    table.start(0, render_id=1, now=1.0)
    table.finish(0, states.DON, 2.0)
    table.set(1, states.SKP)
    table.set(2, states.ERR)  # failed: not done, still queued
    table.set(3, states.SUS)
    assert ann.queued_tasks == 3
    table.set(1, states.RDY)  # restart-skipped
    assert ann.queued_tasks == 4
    table.set(1, states.DON)
    table.reset()
    assert ann.queued_tasks == 5
    table.extend(3, None)
    assert ann.queued_tasks == 8
    table.set(7, states.DON)
    table.count_for(bob)
    assert (ann.queued_tasks, bob.queued_tasks) == (0, 7)
    table.count_for(None)
    table.set(6, states.DON)
    assert (ann.queued_tasks, bob.queued_tasks) == (0, 0)


def test_the_queue_goes_down_as_tasks_finish_and_jobs_go():
    farm = Farm()
    ann = farm.lc.user("ann")
    job = farm.submit(tasks=3)
    other = farm.submit(tasks=10, user="bob")
    assert ann.queued_tasks == 3
    render = farm.online()
    (key,) = farm.keys_on(render)
    farm.result(render, key)
    assert ann.queued_tasks == 2
    farm.lc.act_on_tasks(job.blocks[0], "skip", [1])
    assert ann.queued_tasks == 1
    farm.lc.act_on_job(job, "restart")
    assert ann.queued_tasks == 3
    farm.lc.job_added(job)  # added again (an edit): counted once
    assert ann.queued_tasks == 3
    farm.lc.delete_job(job)
    assert ann.queued_tasks == 0
    assert farm.lc.users["bob"].queued_tasks == other.blocks[0].tasks.size == 10


def test_the_queue_quota_counts_what_a_request_adds():
    quotas = Quotas(QuotaDefaults(max_queued_tasks=10))
    ann = User("ann", queued_tasks=7)
    quotas.check_tasks("ann", ann, 3)
    with pytest.raises(QuotaExceeded) as refused:
        quotas.check_tasks("ann", ann, 4)
    assert refused.value.details() == {
        "quota": "max_queued_tasks",
        "user": "ann",
        "limit": 10,
        "used": 7,
        "requested": 4,
    }
    assert refused.value.retry_after is None
    message = str(refused.value)
    assert "max_queued_tasks 10" in message and "corral user set ann max_queued_tasks=N" in message
    quotas.check_tasks("new", None, 10)  # a user not yet known has nothing queued
    with pytest.raises(QuotaExceeded):
        quotas.check_tasks("new", None, 11)


def test_a_users_own_limit_replaces_the_servers_and_0_is_none():
    quotas = Quotas(QuotaDefaults(max_queued_tasks=10, max_jobs_per_minute=0))
    ann = User("ann", queued_tasks=10)
    with pytest.raises(QuotaExceeded):
        quotas.check_tasks("ann", ann, 1)
    ann.edit({"max_queued_tasks": 20})
    quotas.check_tasks("ann", ann, 10)
    ann.edit({"max_queued_tasks": 0})
    quotas.check_tasks("ann", ann, 10**9)
    ann.edit({"max_queued_tasks": -1})
    assert quotas.limit(ann, "max_queued_tasks") == 10
    for _ in range(1000):  # the server's 0: no jobs-per-minute limit
        quotas.check_job("ann", None, 0, now=5.0)
        quotas.job_submitted("ann", now=5.0)
    ann.edit({"max_jobs_per_minute": 1000})
    with pytest.raises(QuotaExceeded):
        quotas.check_job("ann", ann, 0, now=5.0)


def test_jobs_per_minute_is_a_sliding_window_per_user():
    quotas = Quotas(QuotaDefaults(max_jobs_per_minute=2))
    for now in (100.0, 110.5):
        quotas.check_job("ann", None, 1, now)
        quotas.job_submitted("ann", now)
    with pytest.raises(QuotaExceeded) as refused:
        quotas.check_job("ann", None, 1, now=130.0)
    assert refused.value.quota == "max_jobs_per_minute"
    assert (refused.value.used, refused.value.limit) == (2, 2)
    assert refused.value.retry_after == 30  # the job of 100.0 leaves the window at 160.0
    quotas.check_job("bob", None, 1, now=130.0)  # another user's window
    with pytest.raises(QuotaExceeded) as refused:
        quotas.check_job("ann", None, 1, now=159.9)
    assert refused.value.retry_after == 1
    quotas.check_job("ann", None, 1, now=160.0)
    assert quotas.recent_jobs("ann", 160.0) == 1
    assert quotas.recent_jobs("ann", 170.5) == 0


def test_a_job_over_the_window_is_refused_before_its_tasks_are_counted():
    quotas = Quotas(QuotaDefaults(max_queued_tasks=1, max_jobs_per_minute=1))
    quotas.job_submitted("ann", 0.0)
    with pytest.raises(QuotaExceeded) as refused:
        quotas.check_job("ann", None, 5, now=1.0)
    assert refused.value.quota == "max_jobs_per_minute"
    with pytest.raises(QuotaExceeded) as refused:
        quotas.check_job("ann", None, 5, now=61.0)
    assert refused.value.quota == "max_queued_tasks"


@pytest.mark.parametrize(
    "setting", [{"max_queued_tasks": -2}, {"max_jobs_per_minute": 1.5}, {"max_queued_tasks": None}]
)
def test_a_quota_setting_must_be_a_limit(setting):
    ann = User("ann")
    with pytest.raises(SpecError):
        ann.edit(setting)
    assert (ann.max_queued_tasks, ann.max_jobs_per_minute) == (-1, -1)


def test_the_servers_limits_are_not_negative():
    with pytest.raises(ValueError, match="max_jobs_per_minute"):
        QuotaDefaults(max_jobs_per_minute=-1)
