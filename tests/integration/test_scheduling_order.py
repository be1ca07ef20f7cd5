"""Which work goes first: job priority, users' fair share, moves in a user's queue, paused users.

Jobs are submitted before the render comes online, so the render's first decisions see all of
them; the order is read back from task start times and task states, never from sleeping.
"""

from __future__ import annotations

from tests.integration.test_scheduling_common import (
    SMALL,
    USER,
    Gates,
    job,
    reason,
    start_farm,
    start_renders,
    tasks,
    wait_running,
)


def _starts(client, job_id: int) -> list[float]:
    return [task["time_start"] for task in tasks(client, job_id)]


def test_higher_priority_job_runs_all_its_tasks_first(farm):
    farm.start_server()
    low = farm.client.submit(job("low", "true", 3, priority=10))
    high = farm.client.submit(job("high", "true", 3, priority=200))
    start_renders(farm, {"r1": 1})
    farm.wait_job_done(low)
    farm.wait_job_done(high)
    assert max(_starts(farm.client, high)) <= min(_starts(farm.client, low))
    assert farm.client.job(high)["priority"] == 200


def test_job_priority_edit_reorders_waiting_jobs(farm):
    farm.start_server()
    first = farm.client.submit(job("first", "true", 2))
    second = farm.client.submit(job("second", "true", 2))
    farm.client.edit_job(second, {"priority": 150})
    start_renders(farm, {"r1": 1})
    farm.wait_job_done(first)
    farm.wait_job_done(second)
    assert max(_starts(farm.client, second)) <= min(_starts(farm.client, first))


def test_fair_share_between_two_users(farm, tmp_path):
    """Equal priorities: need = 1.1^priority / (running capacity + 1) alternates the users."""
    farm.start_server()
    gates = Gates(tmp_path / "gates")
    alice = farm.client.submit(job("alice-job", gates.command(), 4, user="alice", block=SMALL))
    bob = farm.client.submit(job("bob-job", gates.command(), 4, user="bob", block=SMALL))
    start_renders(farm, {"r1": 4})
    wait_running(farm.client, alice, 1)
    running = {j: farm.client.job(j)["tasks_running"] for j in (alice, bob)}
    assert running == {alice: 2, bob: 2}  # submission order alone would give alice all four
    users = {u["name"]: u for u in farm.client.users()}
    assert users["alice"]["running_capacity"] == users["bob"]["running_capacity"] == 200
    gates.open_all()
    farm.wait_job_done(alice)
    farm.wait_job_done(bob)


def test_fair_share_weighs_user_priority(farm, tmp_path):
    """12 priority points more is 1.1^12 = 3.1 times the need: 3 of 4 slots for bob."""
    farm.start_server()
    gates = Gates(tmp_path / "gates")
    alice = farm.client.submit(job("alice-job", gates.command(), 4, user="alice", block=SMALL))
    bob = farm.client.submit(job("bob-job", gates.command(), 4, user="bob", block=SMALL))
    farm.client.edit_user("bob", {"priority": 111})
    start_renders(farm, {"r1": 4})
    wait_running(farm.client, bob, 1)
    running = {j: farm.client.job(j)["tasks_running"] for j in (alice, bob)}
    assert running == {alice: 1, bob: 3}
    gates.open_all()
    farm.wait_job_done(alice)
    farm.wait_job_done(bob)


def test_move_job_top_and_bottom(farm):
    farm.start_server()
    a = farm.client.submit(job("a", "true", 2))
    b = farm.client.submit(job("b", "true", 2))
    c = farm.client.submit(job("c", "true", 2))
    farm.client.move_job(c, "top")
    farm.client.move_job(a, "bottom")
    orders = [farm.client.job(j)["order"] for j in (c, b, a)]
    assert orders == sorted(orders)
    start_renders(farm, {"r1": 1})
    for job_id in (a, b, c):
        farm.wait_job_done(job_id)
    assert max(_starts(farm.client, c)) <= min(_starts(farm.client, b))
    assert max(_starts(farm.client, b)) <= min(_starts(farm.client, a))


def test_move_job_up_and_down(farm):
    farm.start_server()
    a = farm.client.submit(job("a", "true", 2))
    b = farm.client.submit(job("b", "true", 2))
    c = farm.client.submit(job("c", "true", 2))
    farm.client.move_job(c, "up")  # a c b
    farm.client.move_job(a, "down")  # c a b
    start_renders(farm, {"r1": 1})
    for job_id in (a, b, c):
        farm.wait_job_done(job_id)
    assert max(_starts(farm.client, c)) <= min(_starts(farm.client, a))
    assert max(_starts(farm.client, a)) <= min(_starts(farm.client, b))


def test_paused_user_runs_nothing_until_unpaused(farm):
    start_farm(farm, {"r1": 2})
    job_id = farm.client.submit(job("paused-user", "true", 2, offline=True))
    farm.client.edit_user(USER, {"paused": True})
    farm.client.job_action(job_id, "start")
    assert farm.client.job(job_id)["tasks_running"] == 0
    assert reason(farm.client, job_id, "r1") == f"user {USER} is paused"
    other = farm.client.submit(job("other-user", "true", 1, user="someone"))
    farm.wait_job_done(other)  # only that user is paused, not the farm
    assert farm.client.job(job_id)["tasks_done"] == 0

    farm.client.edit_user(USER, {"paused": False})
    farm.wait_job_done(job_id)


def test_job_priority_zero_is_never_solved(farm):
    start_farm(farm, {"r1": 1})
    job_id = farm.client.submit(job("zero", "true", 1, priority=0))
    assert farm.client.job(job_id)["tasks_running"] == 0
    assert reason(farm.client, job_id, "r1") == "job priority is 0"
    farm.client.edit_job(job_id, {"priority": 1})
    farm.wait_job_done(job_id)
