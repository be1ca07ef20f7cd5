"""Which work goes first: job priority, users' fair share, moves in a user's queue, paused users.

Jobs are submitted before the render comes online, so the render's first decisions see all of
them; the order is read back from task start times and task states, never from sleeping.
"""

from __future__ import annotations

import pytest

from tests.integration.scenarios import (
    SMALL,
    USER,
    add_renders,
    done_while_held,
    finish,
    job,
    reason,
    start_farm,
    tasks,
    wait_running,
)


def _ran_first(client, first: int, then: int) -> bool:
    """Whether every task of job `first` started before (or with) any task of job `then`."""
    starts = {
        job_id: [task["time_start"] for task in tasks(client, job_id)] for job_id in (first, then)
    }
    return max(starts[first]) <= min(starts[then])


def _alice_and_bob(client, gates) -> tuple[int, int]:
    """Gated jobs of four SMALL tasks each, alice's submitted first, then bob's."""
    return tuple(
        client.submit(job(f"{user}-job", gates.command(), 4, user=user, block=SMALL))
        for user in ("alice", "bob")
    )


def _running(client, *job_ids: int) -> dict[int, int]:
    return {job_id: client.job(job_id)["tasks_running"] for job_id in job_ids}


def test_higher_priority_job_runs_all_its_tasks_first(farm):
    farm.start_server()
    low = farm.client.submit(job("low", "true", 3, priority=10))
    high = farm.client.submit(job("high", "true", 3, priority=200))
    add_renders(farm, {"r1": 1})
    farm.wait_job_done(low)
    farm.wait_job_done(high)
    assert _ran_first(farm.client, high, low)
    assert farm.client.job(high)["priority"] == 200


def test_job_priority_edit_reorders_waiting_jobs(farm):
    farm.start_server()
    first = farm.client.submit(job("first", "true", 2))
    second = farm.client.submit(job("second", "true", 2))
    farm.client.edit_job(second, {"priority": 150})
    add_renders(farm, {"r1": 1})
    farm.wait_job_done(first)
    farm.wait_job_done(second)
    assert _ran_first(farm.client, second, first)


def test_fair_share_between_two_users(farm, gates):
    """Equal priorities: need = 1.1^priority / (running capacity + 1) alternates the users."""
    farm.start_server()
    alice, bob = _alice_and_bob(farm.client, gates)
    add_renders(farm, {"r1": 4})
    wait_running(farm.client, alice, 1)
    assert _running(farm.client, alice, bob) == {alice: 2, bob: 2}  # not all four to alice
    users = {u["name"]: u for u in farm.client.users()}
    assert users["alice"]["running_capacity"] == users["bob"]["running_capacity"] == 200
    finish(farm, gates, alice, bob)


def test_fair_share_weighs_user_priority(farm, gates):
    """12 priority points more is 1.1^12 = 3.1 times the need: 3 of 4 slots for bob."""
    farm.start_server()
    alice, bob = _alice_and_bob(farm.client, gates)
    farm.client.edit_user("bob", {"priority": 111})
    add_renders(farm, {"r1": 4})
    wait_running(farm.client, bob, 1)
    assert _running(farm.client, alice, bob) == {alice: 1, bob: 3}
    finish(farm, gates, alice, bob)


@pytest.mark.parametrize(
    ("moves", "queue"),
    [
        ([("c", "top"), ("a", "bottom")], "cba"),
        ([("c", "up"), ("a", "down")], "cab"),  # a c b, then c a b
    ],
    ids=["top_and_bottom", "up_and_down"],
)
def test_move_job(farm, moves, queue):
    """Moves reorder the user's queue; one render then runs the jobs in that order."""
    farm.start_server()
    ids = {name: farm.client.submit(job(name, "true", 2)) for name in "abc"}
    for name, to in moves:
        farm.client.move_job(ids[name], to)
    orders = [farm.client.job(ids[name])["order"] for name in queue]
    assert orders == sorted(orders)
    add_renders(farm, {"r1": 1})
    for job_id in ids.values():
        farm.wait_job_done(job_id)
    for earlier, later in zip(queue, queue[1:], strict=False):
        assert _ran_first(farm.client, ids[earlier], ids[later])


def test_paused_user_runs_nothing_until_unpaused(farm):
    start_farm(farm, {"r1": 2})
    job_id = farm.client.submit(job("paused-user", "true", 2, offline=True))
    farm.client.edit_user(USER, {"paused": True})
    farm.client.job_action(job_id, "start")
    assert farm.client.job(job_id)["tasks_running"] == 0
    assert reason(farm.client, job_id, "r1") == f"user {USER} is paused"
    other = farm.client.submit(job("other-user", "true", 1, user="someone"))
    done_while_held(farm, other, held=job_id)  # only that user is paused, not the farm

    farm.client.edit_user(USER, {"paused": False})
    farm.wait_job_done(job_id)


def test_job_priority_zero_is_never_solved(farm):
    start_farm(farm, {"r1": 1})
    job_id = farm.client.submit(job("zero", "true", 1, priority=0))
    assert farm.client.job(job_id)["tasks_running"] == 0
    assert reason(farm.client, job_id, "r1") == "job priority is 0"
    farm.client.edit_job(job_id, {"priority": 1})
    farm.wait_job_done(job_id)
