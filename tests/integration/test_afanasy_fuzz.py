"""Hypothesis-generated Afanasy requests, and garbage, at a live server's Afanasy listener: every
one is answered with one well-framed JSON object, and the server stays healthy."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.local_farm import free_port
from tests.afanasy_client import exchange, raw_answer
from tests.integration.conftest import Farm
from tests.integration.test_socket_fuzz import JSON

EXAMPLES = 150
OPERATIONS = ["start", "pause", "skip", "restart_errors", "append_tasks", "append_blocks"]
OPERATIONS += ["eject_tasks", "nimby", "fly", ""]


@pytest.fixture(scope="module")
def farm(tmp_path_factory):
    farm = Farm(tmp_path_factory.mktemp("afanasy_fuzz"))
    farm.afanasy_port = free_port()
    # a stalled request (a body of white space, waiting for a '{') is answered after 1 s
    farm.start_server("--afanasy-port", str(farm.afanasy_port), "--header-timeout", "1")
    farm.client.add_user("ann")
    job = {"name": "target", "user_name": "ann", "offline": True}
    job["blocks"] = [{"name": "b", "tasks": [{"name": "t", "command": "true"}]}]
    farm.client.submit(job)
    yield farm
    farm.stop()
    assert farm.server.proc.returncode == 0, f"the server did not stop cleanly:\n{farm.logs()}"


SMALL = st.integers(min_value=-1, max_value=2)
FIELDS = {
    "type": st.sampled_from(["jobs", "renders", "users", "monitors", "pools"]) | JSON,
    "user_name": st.sampled_from(["ann", "admin", "nobody", ""]) | JSON,
    "ids": st.lists(SMALL, max_size=2) | JSON,
    "block_ids": st.lists(SMALL, max_size=2) | JSON,
    "task_ids": st.lists(SMALL, max_size=2) | JSON,
    "mask": st.sampled_from(["target", ".*", "(", "ann"]) | JSON,
    "mode": st.sampled_from(["full", "progress", "output", "events"]) | JSON,
    "number": SMALL | JSON,
    "operation": st.fixed_dictionaries(
        {"type": st.sampled_from(OPERATIONS) | JSON},
        optional={"task_ids": JSON, "blocks": JSON, "tasks": JSON},
    )
    | JSON,
    "params": st.dictionaries(st.sampled_from(["priority", "nimby", "paused", "x"]), JSON) | JSON,
}
REQUESTS = st.builds(
    lambda kind, body: {kind: body},
    st.sampled_from(["get", "action", "job", "monitor", "other"]),
    st.fixed_dictionaries({}, optional=FIELDS) | JSON,
)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request=REQUESTS)
def test_every_request_gets_one_json_answer(farm, request):
    body = json.dumps(request).encode()
    answer = raw_answer(exchange(farm.afanasy_port, b"AFANASY %d JSON" % len(body) + body))
    assert isinstance(answer, dict) and answer


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=64))
def test_garbage_gets_an_error(farm, data):
    answer = raw_answer(exchange(farm.afanasy_port, b"AFANASY %d JSON" % len(data) + data))
    assert answer["info"]["kind"] == "error"
    assert farm.client.health()["ok"] is True
