"""Malformed input on a real server: a 4xx JSON answer (or a socket `error`) that changes
nothing, and a farm that keeps working afterwards."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import aiohttp
import pytest

from app.api import CorralError, numeric_job
from tests.integration.render_by_hand import hello, receive, render_socket

DEEP = b"[" * 1000 + b"]" * 1000  # deeper than the interpreter's recursion limit
DEEP_IN_JOB = json.dumps(numeric_job("deep", "true", 1, 1)).encode()[:-1] + (
    b', "note": ' + b"[" * 500 + b"]" * 500 + b"}"
)  # parses, but nested far more than a job needs


def refusal(server, method: str, path: str, body: object = None) -> CorralError:
    """The server's JSON refusal of a request (a bytes body is sent as it is)."""
    with pytest.raises(CorralError) as caught:
        server.client.request(method, path, body=body)
    assert "not a Corral answer" not in caught.value.message  # a JSON error
    return caught.value


def paused_job(server, name: str, **fields) -> int:
    return server.client.submit({**numeric_job(name, "true", 1, 3, paused=True), **fields})


@pytest.mark.parametrize("body", [DEEP, DEEP_IN_JOB], ids=["too-deep", "deep-in-a-job"])
def test_deep_json_is_refused_on_every_json_route(server, body):
    job_id = paused_job(server, "target")
    before = server.client.jobs()
    for method, path in [
        ("POST", "/jobs"),
        ("PATCH", f"/jobs/{job_id}"),
        ("PATCH", f"/jobs/{job_id}/blocks/0"),
        ("POST", f"/jobs/{job_id}/blocks/0/tasks/skip"),
        ("POST", f"/jobs/{job_id}/blocks"),
        ("POST", "/jobs/actions"),
        ("POST", "/renders/actions"),
        ("POST", "/users"),
        ("PATCH", "/users/admin"),
        ("POST", "/pools"),
    ]:
        error = refusal(server, method, path, body)
        assert error.status == 400, (method, path, error.message)
        assert "nested" in error.message or "deep" in error.message, error.message
    assert server.client.jobs() == before


def _raw(server, method: str, path: str) -> tuple[int, dict, dict]:
    """Status, headers and JSON answer of a request sent with the path exactly as given."""
    request = urllib.request.Request(
        server.url + "/api/v1" + path, method=method, headers=server.auth_header
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=30) as answer:
            return answer.status, dict(answer.headers), json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def test_non_ascii_digits_in_ids_and_offsets_are_refused(server):
    job_id = paused_job(server, "digits")
    for path in [
        "/jobs/%C2%B2",
        f"/jobs/{job_id}/blocks/%C2%B2/tasks",
        f"/jobs/{job_id}/blocks/0/tasks/0/runs/%C2%B2/output",
        f"/jobs/{job_id}/blocks/0/tasks?offset=%C2%B2",
        f"/jobs/{job_id}/blocks/0/tasks?limit=%D9%A3",  # an Arabic-Indic three
    ]:
        status, _, answer = _raw(server, "GET", path)
        assert status == 400, (path, answer)
        assert answer["error"]


def test_null_tasks_is_refused_and_changes_no_task(server):
    job_id = paused_job(server, "null-tasks")
    error = refusal(server, "POST", f"/jobs/{job_id}/blocks/0/tasks/skip", {"tasks": None})
    assert (error.status, error.field) == (400, "tasks")
    states = {task["state"] for task in server.client.tasks(job_id, 0)["tasks"]}
    assert "SKP" not in states
    assert server.client.task_actions(job_id, 0, "skip")["count"] == 3  # {}: every task


def test_unsupported_method_names_the_allowed_ones(server):
    status, headers, answer = _raw(server, "TRACE", "/jobs")
    assert status == 405
    assert answer["error"]
    allowed = {method.strip() for method in headers["Allow"].split(",")}
    assert {"GET", "POST"} <= allowed


async def test_deep_json_on_the_render_socket_is_answered_and_the_socket_kept(server):
    async with render_socket(server) as ws:
        await ws.send_str(DEEP.decode())
        assert "nested" in (await receive(ws, "error"))["error"]
        await ws.send_json(hello("deep-render"))
        assert (await receive(ws, "registered"))["type"] == "registered"


async def test_deep_json_on_the_events_socket_is_answered_and_the_socket_kept(server):
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(server.url + "/api/v1/events", headers=server.auth_header) as ws,
    ):
        await ws.send_str(DEEP.decode())
        await ws.send_str("[1]")
        errors = []
        while len(errors) < 2:
            message = await ws.receive_json(timeout=10)
            if message["type"] == "error":
                errors.append(message["error"])
        assert "nested" in errors[0]
        assert errors[1] == "expected a JSON object"  # still served


# -- hosts masks ---------------------------------------------------------------------------------


def test_invalid_regex_hosts_mask_is_refused_and_the_farm_keeps_working(farm):
    farm.start_server()
    farm.start_renders({"mask-render": 1})
    bad = {**numeric_job("bad", "true", 1, 1), "hosts_mask_type": "regex", "hosts_mask": "("}
    error = refusal(farm, "POST", "/jobs", bad)
    assert (error.status, error.field) == (400, "hosts_mask")
    del bad["hosts_mask"]
    bad["blocks"][0]["hosts_mask_exclude"] = "["
    error = refusal(farm, "POST", "/jobs", bad)
    assert (error.status, error.field) == (400, "blocks[0].hosts_mask_exclude")
    assert farm.client.jobs() == []
    good = farm.client.submit({**numeric_job("good", "true", 1, 2), "hosts_mask_type": "regex"})
    farm.wait_job_done(good)

    regex = paused_job(farm, "regex", hosts_mask_type="regex")
    for path in (f"/jobs/{regex}", f"/jobs/{regex}/blocks/0"):
        error = refusal(farm, "PATCH", path, {"hosts_mask": "("})
        assert error.status == 400, path
    find = paused_job(farm, "find", hosts_mask="(")  # a valid find mask
    error = refusal(farm, "PATCH", f"/jobs/{find}", {"hosts_mask_type": "regex"})
    assert (error.status, error.field) == (400, "hosts_mask")
    spec = farm.client.job_spec(regex)
    assert (spec["hosts_mask"], spec["blocks"][0]["hosts_mask"]) == ("", "")
    assert farm.client.job_spec(find)["hosts_mask_type"] == ""


def test_invalid_user_mask_is_refused_whichever_edit_makes_it(farm):
    farm.start_server()
    farm.start_renders({"user-render": 1})
    user = farm.client.job(farm.client.submit(numeric_job("first", "true", 1, 1)))["user_name"]
    farm.client.edit_user(user, {"hosts_mask_type": "regex"})
    error = refusal(farm, "PATCH", f"/users/{user}", {"hosts_mask": "("})
    assert (error.status, error.field) == (400, "hosts_mask")
    farm.client.edit_user(user, {"hosts_mask_type": "find", "hosts_mask_exclude": "(x"})
    error = refusal(farm, "PATCH", f"/users/{user}", {"hosts_mask_type": "regex"})
    assert (error.status, error.field) == (400, "hosts_mask_exclude")
    settings = next(u for u in farm.client.users() if u["name"] == user)
    assert (settings["hosts_mask"], settings["hosts_mask_type"]) == ("", "find")
    farm.wait_job_done(farm.client.submit(numeric_job("second", "true", 1, 1)))


def test_a_mask_invalid_in_its_users_mode_blocks_only_its_job(farm):
    """A job without hosts_mask_type takes its user's mode, which may change after the job
    is stored: the scheduler then keeps that job off every render, and the rest runs."""
    farm.start_server()
    farm.start_renders({"mode-render": 1})
    user = farm.client.job(farm.client.submit(numeric_job("first", "true", 1, 1)))["user_name"]
    stuck = farm.client.submit({**numeric_job("stuck", "true", 1, 1), "hosts_mask": "farm["})
    farm.client.edit_user(user, {"hosts_mask_type": "regex"})
    farm.wait_job_done(farm.client.submit(numeric_job("after", "true", 1, 1)))
    assert farm.client.job(stuck)["state"] != "DON"
    assert "not a valid regular expression" in json.dumps(farm.client.explain(stuck))
