"""`corral server --afanasy-port`: Afanasy's protocol from a raw socket and from our own client
(tests/afanasy_client.py), on a real server with a real render."""

from __future__ import annotations

import json
import socket

import pytest

from bench.local_farm import free_port
from tests.afanasy_client import AfanasyClient, exchange, raw_answer
from tests.integration.conftest import Farm
from tests.polling import wait_until

RENDER = "af-render"


@pytest.fixture(scope="module")
def farm(tmp_path_factory):
    farm = Farm(tmp_path_factory.mktemp("afanasy"))
    farm.afanasy_port = free_port()
    farm.start_server("--afanasy-port", str(farm.afanasy_port))
    for name in ("ann", "bob"):
        farm.client.add_user(name)
    farm.start_renders({RENDER: 2})
    yield farm
    farm.stop()
    assert farm.server.proc.returncode == 0, f"the server did not stop cleanly:\n{farm.logs()}"


@pytest.fixture
def ann(farm) -> AfanasyClient:
    return AfanasyClient(farm.afanasy_port, "ann")


def af_job(name: str, command: str, frames: int, tmp_path, user: str = "ann", **keys) -> dict:
    """A job shaped as CGRU's Python API shapes it: a numeric block of frames 1..frames."""
    block = {
        "name": "frames",
        "service": "generic",
        "parser": "generic",
        "capacity": 100,
        "working_directory": str(tmp_path),
        "command": command,
        "numeric": True,
        "frame_first": 1,
        "frame_last": frames,
        "frames_per_task": 1,
        "frames_inc": 1,
        "tasks_name": "frame @#@",
    }
    job = {"name": name, "user_name": user, "host_name": "ws01", "blocks": [block]}
    return {**job, **keys}


def acted(answer: dict) -> None:
    assert answer["info"]["kind"] == "log", answer


def test_job_registered_over_the_listener_runs_to_done(farm, ann, tmp_path):
    command = 'echo "frame @#@ of $AF_JOB_ID $AF_BLOCK_ID $AF_TASK_ID $AF_TASK_NAME"'
    answer = ann.register(af_job("af shot", command, 3, tmp_path))
    job_id = answer["id"]
    assert answer == {"id": job_id, "serial": job_id}  # as Afanasy answers a registration
    done = farm.wait_job_done(job_id)
    assert done["user_name"] == "ann"

    progress = ann.get("jobs", ids=[job_id], mode="progress")["job_progress"]
    assert progress["id"] == job_id
    tasks = progress["progress"][0]
    assert [(t["state"], t["per"], t["str"], t["hst"]) for t in tasks] == [
        ("DON", 100, 1, RENDER)
    ] * 3
    assert "err" not in tasks[0]  # as Afanasy writes a task's progress: what is set
    output = ann.get("jobs", ids=[job_id], block_ids=[0], task_ids=[1], mode="output")
    message = output["message"]
    assert (message["name"], message["type"]) == ("frame 2[1]", "output")
    assert f"frame 2 of {job_id} 0 1 frame 2" in message["list"][0]
    task = ann.get("jobs", ids=[job_id], block_ids=[0], task_ids=[2])["task"]
    assert task["state"] == "DON" and task["command"].startswith('echo "frame 3')

    (listed,) = ann.get("jobs", ids=[job_id])["jobs"]
    assert listed["id"] == job_id and listed["state"].split()[0] == "DON"
    (full,) = ann.get("jobs", ids=[job_id], mode="full")["jobs"]
    assert full["host_name"] == "ws01" and full["blocks"][0]["command"] == command
    assert full["blocks"][0]["tasks_done"] == 3
    mine = ann.get("jobs", mask="af sh.*")["jobs"]
    assert job_id in [job["id"] for job in mine]


def test_a_raw_socket_gets_one_frame_and_the_connection_closes(farm):
    body = json.dumps({"get": {"type": "users", "user_name": "ann"}}).encode()
    data = exchange(farm.afanasy_port, b"AFANASY %d JSON" % len(body) + body)
    assert data.startswith(b"AFANASY ")  # exchange() returned: the server closed it
    names = [user["name"] for user in raw_answer(data)["users"]]
    assert names == [user["name"] for user in farm.client.users()]
    renders = AfanasyClient(farm.afanasy_port, "ann").get("renders")["renders"]
    assert [r["name"] for r in renders] == [RENDER]


def test_http_post_framing(farm):
    client = AfanasyClient(farm.afanasy_port, "bob", http=True)
    assert client.get("renders", mask=RENDER)["renders"][0]["name"] == RENDER
    assert client.get("renders", ids="x")["error"] == "ids: expected a list of integers"
    refused = client.get("renders", mask="(a)\\1")["error"]  # RE2, as every mask of Corral's
    assert refused.startswith("mask: not a valid regular expression")


def test_blocks_and_tasks_appended_over_http(farm, tmp_path):
    client = AfanasyClient(farm.afanasy_port, "bob", http=True)
    job_id = client.register(af_job("af growing", "true", 1, tmp_path, user="bob"))["id"]
    farm.wait_job_done(job_id)
    named = {"name": "named", "service": "generic", "working_directory": str(tmp_path)}
    named["tasks"] = [{"name": "first", "command": "echo first"}]
    acted(client.operation("jobs", "append_blocks", ids=[job_id], operation={"blocks": [named]}))
    tasks = {"tasks": [{"name": "extra", "command": "echo extra"}]}
    acted(client.operation("jobs", "append_tasks", ids=[job_id], block_ids=[1], operation=tasks))
    refused = client.operation("jobs", "append_tasks", ids=[job_id], block_ids=[0], operation=tasks)
    assert refused["error"] == "tasks can only be appended to a block with a tasks list"
    farm.wait_job_done(job_id)
    listed = client.get("jobs", ids=[job_id])["jobs"][0]
    assert listed["tasks_total"] == 3 and listed["user_name"] == "bob"
    assert [b["name"] for b in farm.client.job_spec(job_id)["blocks"]] == ["frames", "named"]


def test_unknown_users_are_refused_and_nothing_is_created(farm, tmp_path):
    before = len(farm.client.jobs())
    answer = AfanasyClient(farm.afanasy_port, "mallory").register(
        af_job("intruder", "true", 1, tmp_path, user="mallory")
    )
    assert answer == {
        "id": 0,
        "serial": 0,
        "error": "unknown user 'mallory': an admin adds them with 'corral users add mallory'",
    }
    assert len(farm.client.jobs()) == before
    nameless = AfanasyClient(farm.afanasy_port, "").send({"get": {"type": "jobs"}})
    text = "user_name: expected the name of a Corral user"
    assert nameless == {"error": text, "info": {"kind": "error", "text": text}}


def test_job_operations_and_parameters_follow_the_owner_rule(farm, ann, tmp_path):
    job_id = ann.register(af_job("af paused", "true", 2, tmp_path, offline=True))["id"]
    bob = AfanasyClient(farm.afanasy_port, "bob")
    refused = bob.operation("jobs", "start", ids=[job_id])
    assert "bob (user) may not" in refused["error"]
    assert "OFF" in farm.client.job(job_id)["state"]

    acted(ann.action("jobs", ids=[job_id], params={"priority": 42}))
    assert farm.client.job(job_id)["priority"] == 42
    acted(ann.action("jobs", ids=[job_id], block_ids=[0], params={"capacity": 200}))
    assert farm.client.job_spec(job_id)["blocks"][0]["capacity"] == 200
    skip = {"task_ids": [0]}
    acted(ann.operation("jobs", "skip", ids=[job_id], block_ids=[0], operation=skip))
    assert [t["state"] for t in farm.client.tasks(job_id, 0)["tasks"]] == ["SKP", "RDY"]
    acted(ann.operation("jobs", "start", mask="af paused"))
    farm.wait_job_done(job_id)
    acted(ann.operation("jobs", "delete", ids=[job_id]))
    assert job_id not in [job["id"] for job in farm.client.jobs()]


def test_render_and_user_parameters_as_an_admin(farm):
    admin = AfanasyClient(farm.afanasy_port, "admin")
    ann = AfanasyClient(farm.afanasy_port, "ann")
    assert "may not" in ann.action("renders", mask=RENDER, params={"nimby": True})["error"]
    acted(admin.action("renders", mask=RENDER, params={"nimby": True, "priority": 60}))
    render = farm.client.render(RENDER)
    assert render["nimby"] == "nimby" and render["priority"] == 60
    acted(admin.action("renders", mask=RENDER, params={"nimby": False}))
    assert farm.client.render(RENDER)["nimby"] == "free"
    acted(admin.operation("renders", "eject_tasks", mask=RENDER))

    acted(admin.action("users", mask="ann", params={"priority": 77}))
    assert {u["name"]: u["priority"] for u in farm.client.users()}["ann"] == 77


def framed(body: bytes) -> bytes:
    return b"AFANASY %d JSON" % len(body) + body


@pytest.mark.parametrize(
    "data",
    [
        b"garbage that is no request",
        framed(b"{nope"),
        framed(b"[]"),
        framed(b'{"launch":{"type":"jobs","user_name":"ann"}}'),
        framed(b'{"get":{"type":"pools","user_name":"ann"}}'),
        framed(b'{"action":{"type":"jobs","user_name":"ann","ids":[1]}}'),
        framed(b'{"action":{"type":"jobs","user_name":"ann","operation":{"type":"fly"},"ids":[]}}'),
    ],
)
def test_bad_requests_get_an_error_and_the_listener_keeps_serving(farm, data):
    answer = raw_answer(exchange(farm.afanasy_port, data))
    assert answer["info"]["kind"] == "error" and answer["error"] == answer["info"]["text"]
    with socket.create_connection(("127.0.0.1", farm.afanasy_port)) as sock:
        sock.sendall(b"AFANASY 100 JSON{")  # a client that stops halfway
    wait_until(lambda: "renders" in AfanasyClient(farm.afanasy_port, "ann").get("renders"))
