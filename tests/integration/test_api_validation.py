"""Bad input over the network gets a clear 4xx and changes nothing; the server stays up."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from app.api import CorralError
from tests.integration.render_by_hand import hello, render_socket

GOOD_BLOCK = {"numeric": True, "frame_first": 1, "frame_last": 10, "command": "echo @#@"}


def refusal(server, path: str, body: bytes) -> CorralError:
    """The server's refusal of a POST of these bytes (they are sent as they are)."""
    with pytest.raises(CorralError) as caught:
        server.client.request("POST", path, body=body)
    assert "not a Corral answer" not in caught.value.message  # a JSON error
    return caught.value


BAD_JOBS = [
    ({"name": "x"}, "blocks"),
    ({"blocks": []}, "blocks"),
    ({"blocks": {"a": 1}}, "blocks"),
    ({"blocks": [5]}, "blocks[0]"),
    ({"blocks": [{**GOOD_BLOCK, "frame_first": 10, "frame_last": -5}]}, "blocks[0].frame_last"),
    ({"blocks": [{**GOOD_BLOCK, "frames_per_task": 0}]}, "blocks[0].frames_per_task"),
    ({"priority": "high", "blocks": [GOOD_BLOCK]}, "priority"),
    ({"priority": 10**30, "blocks": [GOOD_BLOCK]}, "priority"),
    ({"blocks": [{**GOOD_BLOCK, "capacity": True}]}, "blocks[0].capacity"),
    ({"name": ["a"], "blocks": [GOOD_BLOCK]}, "name"),
    ({"name": "x" * 10_000_000, "blocks": [GOOD_BLOCK]}, "name"),
    ({"blocks": [{**GOOD_BLOCK, "environment": {"A": 1}}]}, 'blocks[0].environment["A"]'),
    ({"blocks": [{"tasks": [{"name": "a"}]}]}, "blocks[0].tasks[0].command"),
    ({"blocks": [GOOD_BLOCK, {**GOOD_BLOCK, "service": "nosuch"}]}, "blocks[1].service"),
]


@pytest.mark.parametrize(("job", "field"), BAD_JOBS, ids=[f for _, f in BAD_JOBS])
def test_bad_job_is_refused_with_its_field(server, job, field):
    error = refusal(server, "/jobs", json.dumps(job).encode())
    assert error.status == 400
    assert error.field == field
    assert error.message.startswith(field)
    assert server.client.jobs() == []


@pytest.mark.parametrize(("job", "field"), BAD_JOBS, ids=[f for _, f in BAD_JOBS])
def test_the_api_refuses_a_bad_job_with_the_servers_field(server, job, field):
    """Kinds and required keys before sending (app/api.py:check_job), the rest by the server:
    the same error either way."""
    with pytest.raises(CorralError) as caught:
        server.client.submit(job)
    assert (caught.value.status, caught.value.field) == (400, field)
    assert caught.value.message.startswith(field)
    assert server.client.jobs() == []


def test_unknown_keys_are_answered_with_warnings_or_refused_when_strict(farm, caplog):
    farm.start_server()
    server = farm
    job = {"name": "typo", "prioirty": 5, "branch": "/prj/", "blocks": [GOOD_BLOCK]}
    error = refusal(server, "/jobs?strict=true", json.dumps(job).encode())
    assert (error.status, error.field) == (400, "prioirty")
    assert server.client.jobs() == []
    answer = server.client.request("POST", "/jobs", body=job)
    assert answer["warnings"] == ["prioirty: unknown key, ignored (did you mean 'priority'?)"]
    assert server.client.job_spec(answer["id"])["prioirty"] == 5  # kept, as Afanasy's keys
    job_id = server.client.submit(job)  # a script's submit logs the warnings
    expected = f"job {job_id}: prioirty: unknown key, ignored (did you mean 'priority'?)"
    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records] == [
        ("corral.api", "WARNING", expected)
    ]


def test_appended_and_edited_blocks_need_a_known_service(farm):
    farm.start_server()
    server = farm
    job_id = server.client.submit({"name": "svc", "blocks": [GOOD_BLOCK]})
    for call, field in (
        (lambda: server.client.append_blocks(job_id, [{**GOOD_BLOCK, "service": "x"}]), 1),
        (lambda: server.client.edit_job(job_id, {"service": "x"}, block=0), 0),
    ):
        with pytest.raises(CorralError) as caught:
            call()
        assert (caught.value.status, caught.value.field) == (400, f"blocks[{field}].service")
    spec = server.client.job_spec(job_id)
    assert [block["service"] for block in spec["blocks"]] == ["generic"]


@pytest.mark.parametrize(
    "body",
    [b"\xff\xfe{}", b"{not json", b"null", b"[]", b'"job"', b'{"blocks": [{"name": "\\ud800"}]}'],
)
def test_unreadable_body_is_refused(server, body):
    error = refusal(server, "/jobs", body)
    assert error.status == 400
    assert error.message
    assert server.client.jobs() == []


def test_oversized_body_is_refused(server):
    assert refusal(server, "/jobs", b"{" + b" " * (65 * 2**20) + b"}").status == 413
    assert server.client.health()["ok"]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/jobs/999999", 404),
        ("/api/v1/jobs/abc", 400),
        ("/api/v1/jobs/99999999999999999999999", 400),
        ("/api/v1/jobs/1/blocks/7/tasks", 404),
        ("/api/v1/jobs/1/blocks/0/tasks?limit=5000", 400),
        ("/api/v1/jobs/1/blocks/0/tasks?offset=-1", 400),
        ("/api/v1/jobs/1/blocks/0/tasks/10", 404),
        ("/api/v1/jobs/1/blocks/0/tasks/3/runs/1/output", 404),
    ],
)
def test_bad_paths_answer_json_errors(server, path, status):
    if not server.client.jobs():
        server.client.submit({"blocks": [GOOD_BLOCK], "offline": True})
    try:
        request = urllib.request.Request(server.url + path, headers=server.auth_header)
        urllib.request.urlopen(request, timeout=10)
        pytest.fail("expected an error status")
    except urllib.error.HTTPError as error:
        assert error.code == status
        assert json.loads(error.read())["error"]


def test_bad_actions_change_nothing(server):
    job_id = server.client.submit({"blocks": [GOOD_BLOCK], "offline": True})
    before = server.client.job(job_id)
    for path, body in [
        (f"/jobs/{job_id}/explode", b""),
        (f"/jobs/{job_id}/blocks/0/tasks/skip", b'{"tasks": [1, 99]}'),
        (f"/jobs/{job_id}/blocks/0/tasks/skip", b'{"tasks": "all"}'),
        (f"/jobs/{job_id}/blocks/0/tasks/melt", b'{"tasks": [1]}'),
        (f"/jobs/{job_id}/restart", b'{"to": null}'),  # only a move's "to", one of four
        (f"/jobs/{job_id}/pause", b'{"now": true}'),
        (f"/jobs/{job_id}/move", b'{"to": "sideways"}'),
        ("/jobs/actions", b'{"action": "melt", "ids": []}'),
        ("/jobs/actions", b'{"action": "pause", "ids": [%d], "mask": "."}' % job_id),
        ("/renders/actions", b'{"action": "melt", "names": []}'),
    ]:
        error = refusal(server, path, body)
        assert 400 <= error.status < 500, error
    assert server.client.job(job_id) == before


async def test_bad_render_messages_get_errors_and_server_survives(server):
    async with render_socket(server) as ws:
        for bad in [
            "not json",
            "[1, 2]",
            json.dumps({"type": "heartbeat"}),
            json.dumps(hello("")),
            json.dumps(hello("r", max_tasks="many")),
        ]:
            await ws.send_str(bad)
            answer = await ws.receive_json(timeout=10)
            assert answer["type"] == "error", bad
        await ws.send_json(hello("probe"))
        assert (await ws.receive_json(timeout=10))["type"] == "registered"
        await ws.send_json({"type": "result", "seq": 1, "job": "x"})
        assert (await ws.receive_json(timeout=10))["type"] == "error"
        await ws.send_bytes(b"\x00\x01")
        assert (await ws.receive_json(timeout=10))["type"] == "error"
    assert server.client.health()["ok"]
    assert [r["name"] for r in server.client.renders()] == ["probe"]
