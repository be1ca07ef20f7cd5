"""Per-user quotas on a real server: tasks in the queue and jobs per minute, the refusals
(nothing stored), the count following tasks and deletions, a user's own limits kept over a
restart, and the command line showing and setting them."""

from __future__ import annotations

import json

import pytest

from app.api import Client, CorralError, numeric_job, tasks_job
from tests.integration.auth_calls import exchange
from tests.polling import wait_until

QUEUE_FLAG = "--max-queued-tasks-per-user"
RATE_FLAG = "--max-jobs-per-minute-per-user"


def user(farm, name: str) -> dict:
    return next(u for u in farm.client.users() if u["name"] == name)


def as_person(farm, name: str) -> tuple[Client, str]:
    """A client with a user token of its own, and the token."""
    token = farm.client.add_user(name)["token"]
    return Client(farm.url, timeout=30, token=token), token


def test_over_the_queue_quota_nothing_is_added(farm):
    farm.start_server(QUEUE_FLAG, "100")
    ann, token = as_person(farm, "ann")
    first = ann.submit(tasks_job("listed", [("a", "true")] * 60, paused=True))
    before, spec = farm.client.jobs(), farm.client.job_spec(first)

    status, _, answer = exchange(
        farm.url,
        "POST",
        "/api/v1/jobs",
        token,
        numeric_job("more", "true", 1, 41, paused=True),
    )
    assert status == 409
    assert {k: answer[k] for k in ("quota", "user", "limit", "used", "requested")} == {
        "quota": "max_queued_tasks",
        "user": "ann",
        "limit": 100,
        "used": 60,
        "requested": 41,
    }
    assert "corral user set ann max_queued_tasks=N" in answer["error"]
    with pytest.raises(CorralError) as by_admin:  # the quota is the job's user's, whoever sends
        farm.client.submit(numeric_job("admin's", "true", 1, 41, user_name="ann", paused=True))
    assert by_admin.value.status == 409
    with pytest.raises(CorralError) as grown:
        ann.append_tasks(first, 0, [{"name": "b", "command": "true"}] * 41)
    assert grown.value.status == 409
    block = {"name": "more", "numeric": True, "frame_first": 1, "frame_last": 41, "command": "x"}
    with pytest.raises(CorralError) as appended:
        ann.append_blocks(first, [block])
    assert appended.value.status == 409

    assert farm.client.jobs() == before
    assert farm.client.job_spec(first) == spec
    assert user(farm, "ann")["queued_tasks"] == 60
    assert ann.append_tasks(first, 0, [{"name": "b", "command": "true"}] * 40) == list(
        range(60, 100)
    )
    farm.client.submit(numeric_job("bob's", "true", 1, 100, user_name="bob", paused=True))
    assert (user(farm, "ann")["queued_tasks"], user(farm, "bob")["queued_tasks"]) == (100, 100)


def test_the_queue_empties_as_tasks_finish_and_jobs_are_deleted(farm):
    farm.start_server(QUEUE_FLAG, "10")
    farm.start_renders({"r1": 2})
    job_id = farm.client.submit(numeric_job("runs", "true", 1, 10, user_name="ann"))
    with pytest.raises(CorralError):
        farm.client.submit(numeric_job("waits", "true", 1, 1, user_name="ann", paused=True))
    farm.wait_job_done(job_id)
    wait_until(lambda: user(farm, "ann")["queued_tasks"] == 0)
    paused = farm.client.submit(numeric_job("full", "true", 1, 10, user_name="ann", paused=True))
    assert user(farm, "ann")["queued_tasks"] == 10
    farm.client.delete_job(paused)
    assert user(farm, "ann")["queued_tasks"] == 0
    farm.client.job_action(job_id, "pause")  # so that no render takes them before we count
    farm.client.job_action(job_id, "restart")  # done tasks back in the queue
    assert user(farm, "ann")["queued_tasks"] == 10


def test_a_users_own_limits_replace_the_servers_and_survive_a_restart(farm):
    farm.start_server(QUEUE_FLAG, "5", RATE_FLAG, "0")
    job = numeric_job("big", "true", 1, 20, user_name="ann", paused=True)
    with pytest.raises(CorralError):
        farm.client.submit(job)
    with pytest.raises(CorralError) as unknown:  # neither a user nor a token holder
        farm.client.edit_user("ann", {"max_queued_tasks": 20})
    assert unknown.value.status == 404
    farm.client.add_user("ann")
    edited = farm.client.edit_user("ann", {"max_queued_tasks": 20})  # before her first job
    assert (edited["max_queued_tasks"], edited["queued_tasks_limit"]) == (20, 20)
    farm.client.submit(job)
    farm.client.add_user("zed")
    with pytest.raises(CorralError) as refused:
        farm.client.edit_user("zed", {"max_queued_tasks": -5})
    assert refused.value.status == 400
    assert "zed" not in [u["name"] for u in farm.client.users()]

    farm.server.stop()
    farm.start_server(QUEUE_FLAG, "5", RATE_FLAG, "0")
    ann = user(farm, "ann")
    assert (ann["max_queued_tasks"], ann["queued_tasks_limit"], ann["queued_tasks"]) == (20, 20, 20)
    assert ann["jobs_per_minute_limit"] == 0
    with pytest.raises(CorralError):
        farm.client.submit(numeric_job("one more", "true", 1, 1, user_name="ann", paused=True))
    farm.client.edit_user("ann", {"max_queued_tasks": -1})
    assert user(farm, "ann")["queued_tasks_limit"] == 5


def test_jobs_per_minute_are_refused_with_retry_after(farm):
    farm.start_server(RATE_FLAG, "3")
    ann, token = as_person(farm, "ann")
    for n in range(3):
        ann.submit(numeric_job(f"quick-{n}", "true", 1, 1, paused=True))
    before = farm.client.jobs()
    status, headers, answer = exchange(
        farm.url, "POST", "/api/v1/jobs", token, numeric_job("fourth", "true", 1, 1)
    )
    assert status == 429
    assert 1 <= int(headers["Retry-After"]) <= 60
    assert answer["retry_after"] == int(headers["Retry-After"])
    assert (answer["quota"], answer["limit"], answer["used"]) == ("max_jobs_per_minute", 3, 3)
    assert farm.client.jobs() == before
    farm.client.submit(numeric_job("bob's", "true", 1, 1, user_name="bob", paused=True))
    assert user(farm, "ann")["jobs_last_minute"] == 3
    farm.client.edit_user("ann", {"max_jobs_per_minute": 4})
    ann.submit(numeric_job("fourth", "true", 1, 1, paused=True))


def test_the_command_line_shows_and_sets_quotas(farm_cli):
    assert farm_cli("users", "add", "ann")[0] == 0
    code, out, _ = farm_cli("user", "set", "ann", "max_queued_tasks=50", "max_jobs_per_minute=7")
    assert code == 0, out
    submit = ("submit", "--name", "q", "--user", "ann", "--frames", "1-5", "--paused")
    code, out, _ = farm_cli(*submit, "--", "true")
    assert code == 0, out
    code, out, _ = farm_cli("users")
    header, *rows = out.splitlines()
    ann = next(row for row in rows if row.startswith("ann")).split()
    row = dict(zip(header.split(), ann, strict=True))
    assert (row["QUEUED"], row["JOBS/MIN"]) == ("5/50", "1/7")
    code, out, _ = farm_cli("users", "--json")
    ann = next(u for u in json.loads(out) if u["name"] == "ann")
    assert (ann["max_jobs_per_minute"], ann["jobs_per_minute_limit"]) == (7, 7)
