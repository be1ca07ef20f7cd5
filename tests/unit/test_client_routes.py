"""app/api.py requests only routes of the server's route table, has a method for each route a
script may want, and sends the bodies the routes read. app/api.py runs inside DCCs and cannot
import the table, so each public method is called against tests/route_recorder.py (the table's
routes, recording) instead."""

from __future__ import annotations

import inspect

import pytest

from app import api
from app.protocol import JOB_ACTIONS, RENDER_ACTIONS, TASK_ACTIONS
from app.server.routes import routes
from tests.route_recorder import RouteRecorder

JOB = api.numeric_job("a", "echo @#@", 1, 2)
NOT_FOR_SCRIPTS = {
    ("GET", "/api/v1/events"),  # the monitors' WebSocket
    ("GET", "/api/v1/render/ws"),  # the renders' WebSocket
}

# every public method of api.Client, each way it builds a different request
CALLS = [
    ("request", ("GET", "/openapi.json"), {}),
    ("health", (), {}),
    ("submit", (JOB,), {}),
    ("submit_job", (JOB,), {"strict": True}),
    ("jobs", (), {}),
    ("job", (1,), {}),
    ("job_spec", (1,), {}),
    ("append_blocks", (1, JOB["blocks"]), {}),
    ("append_tasks", (1, 0, [{"name": "t", "command": "true"}]), {}),
    *[("job_action", (1, action), {}) for action in JOB_ACTIONS],
    ("delete_job", (1,), {}),
    ("move_job", (1, "top"), {}),
    ("edit_job", (1, {"priority": 10}), {}),
    ("edit_job", (1, {"capacity": 10}), {"block": 0}),
    ("explain", (1,), {}),
    ("tasks", (1, 0), {"offset": 5, "limit": 10}),
    ("task", (1, 0, 2), {}),
    *[("task_actions", (1, 0, action), {"tasks": [2]}) for action in TASK_ACTIONS],
    ("stats", ("over-time",), {"by": "user", "start": 1.0, "end": 2.0}),
    ("stats", ("breakdown",), {"by": "host"}),
    ("stats", ("slowest",), {"limit": 5}),
    ("stats", ("utilisation",), {}),
    ("task_output", (1, 0, 2, 1), {}),
    ("thumbnail", (1, 0, 2, 1), {}),
    ("jobs_action", ("pause",), {"ids": [1, 2]}),
    ("users", (), {}),
    ("edit_user", ("ann", {"priority": 10}), {}),
    ("whoami", (), {}),
    ("services", (), {}),
    ("add_user", ("ann",), {"role": "admin"}),
    ("issue_token", ("ann",), {}),
    ("revoke_token", ("ann",), {}),
    ("renders", (), {}),
    ("render", ("r1",), {}),
    ("render_resources", ("r1",), {"since": 1.5}),
    ("edit_render", ("r1", {"priority": 10}), {}),
    *[("render_action", ("r1", action), {}) for action in RENDER_ACTIONS],
    ("renders_action", ("free",), {"mask": "r.*"}),
    ("pools", (), {}),
    ("add_pool", ("/gpu/",), {}),
    ("edit_pool", ("/gpu/", {"capacity_host": 2}), {}),
    ("delete_pool", ("/gpu/",), {}),
    ("server_config", (), {}),
    ("edit_server_config", ({"log_level": "DEBUG"},), {}),
    ("server_stats", (), {}),
]


def test_every_public_method_is_called():
    public = {name for name, value in vars(api.Client).items() if inspect.isfunction(value)}
    assert {name for name, _, _ in CALLS} == {name for name in public if name[0] != "_"}


def test_the_client_requests_only_routes_of_the_table_and_all_of_them():
    with RouteRecorder() as server:
        client = api.Client(server.url, timeout=10)
        for name, args, kwargs in CALLS:
            getattr(client, name)(*args, **kwargs)  # a route the table lacks raises
        assert len(server.requests) == len(CALLS)
        table = {(route.method, route.path) for route in routes}
        assert table - server.templates() == NOT_FOR_SCRIPTS


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/job/1", 404),
        ("GET", "/jobs/1/blocks/0/tasks/2/runs/1/log", 404),
        ("PUT", "/jobs/1", 405),
        ("POST", "/jobs/one/pause", 400),
        ("POST", "/jobs/1/explode", 400),
        ("POST", "/renders/r1/dance", 400),
    ],
)
def test_a_request_outside_the_table_fails(method, path, status):
    with RouteRecorder() as server, pytest.raises(api.CorralError) as caught:
        api.Client(server.url, timeout=10).request(method, path)
    assert caught.value.status == status


def test_client_pool_and_bulk_requests():
    with RouteRecorder() as server:
        client = api.Client(server.url, timeout=10)
        client.pools()
        client.add_pool("/gpu/", {"pattern": "gpu.*"})
        client.add_pool("/cpu/")
        client.edit_pool("/gpu/", {"capacity_host": 2000})
        client.delete_pool("/gpu/")
        client.jobs_action("pause", mask="shot_.*")
        client.jobs_action("delete", ids=["3", 4])
        client.renders_action("NIMBY", names=["r1"])
        client.renders_action("free", mask="r.*")
    assert [(r.method, r.path, r.body, r.query) for r in server.requests] == [
        ("GET", "/api/v1/pools", None, {}),
        ("POST", "/api/v1/pools", {"pattern": "gpu.*", "path": "/gpu/"}, {}),
        ("POST", "/api/v1/pools", {"path": "/cpu/"}, {}),
        ("PATCH", "/api/v1/pools", {"capacity_host": 2000}, {"path": "/gpu/"}),
        ("DELETE", "/api/v1/pools", None, {"path": "/gpu/"}),
        ("POST", "/api/v1/jobs/actions", {"action": "pause", "mask": "shot_.*"}, {}),
        ("POST", "/api/v1/jobs/actions", {"action": "delete", "ids": [3, 4]}, {}),
        ("POST", "/api/v1/renders/actions", {"action": "NIMBY", "names": ["r1"]}, {}),
        ("POST", "/api/v1/renders/actions", {"action": "free", "mask": "r.*"}, {}),
    ]


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.jobs_action("pause"),
        lambda c: c.jobs_action("pause", ids=[1], mask="a"),
        lambda c: c.jobs_action("explode", ids=[1]),
        lambda c: c.renders_action("free"),
        lambda c: c.renders_action("dance", names=["r1"]),
        lambda c: c.add_pool("/gpu/", {"path": "/cpu/"}),
    ],
)
def test_client_refuses_bad_calls_before_sending(call):
    with RouteRecorder() as server, pytest.raises(ValueError):
        call(api.Client(server.url, timeout=10))
    assert server.requests == []
