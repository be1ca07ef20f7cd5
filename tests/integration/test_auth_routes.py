"""Who may call which REST route of a real server: every route of the table without a token,
wrong tokens, users acting on others' jobs, admin-only routes, token life cycle, the throttle,
media types and origins."""

from __future__ import annotations

import aiohttp
import pytest

from app import api
from app.api import numeric_job
from app.server.auth import ADMIN_ONLY, OWNER, PUBLIC
from app.server.pages import pages
from app.server.routes import routes
from tests.integration.auth_calls import call, concrete

WRONG = "crl_" + "x" * 43  # a token of the right shape that no one holds


def person(farm, name: str, role: str = "user") -> api.Client:
    """A client holding the token the admin just gave `name`."""
    token = farm.client.add_user(name, role)["token"]
    return api.Client(farm.url, timeout=10, token=token)


def token_of(client: api.Client) -> str:
    return client._token


# -- authentication ----------------------------------------------------------------------------


def test_every_route_but_health_and_the_pages_needs_a_token(server):
    """Each route of the tables (a new one is covered as soon as it is declared); the public
    ones answer without a token (the page files: 404 for a name that is none)."""
    checked = 0
    every = [*routes, *pages]
    for route in every:
        status, answer = call(server.url, route.method, concrete(route))
        if route.access == PUBLIC:
            assert status == (404 if "{name}" in route.path else 200), route.path
            continue
        assert status == 401, (route.method, route.path, status)
        assert "Authorization" in answer["error"], route.path
        checked += 1
    # health, the farm view, the statistics page and their files
    public = {"/api/v1/health", "/", "/web/{name}", "/stats", "/stats/plotly.min.js"}
    assert checked == len(every) - len(public)
    assert {route.path for route in every if route.access == PUBLIC} == public


def test_a_wrong_or_malformed_token_is_refused(server):
    for path in ("/api/v1/jobs", "/api/v1/renders", "/api/v1/whoami"):
        status, answer = call(server.url, "GET", path, token=WRONG)
        assert (status, answer) == (401, {"error": "unknown or revoked token"})
    status, _ = call(server.url, "GET", "/api/v1/jobs", headers={"Authorization": "Basic YWI6Yw=="})
    assert status == 401
    assert call(server.url, "GET", "/api/v1/jobs", token=server.admin_token)[0] == 200


def test_the_admin_token_of_the_data_folder_is_admin(server):
    assert server.client.whoami() == {"name": "admin", "role": "admin"}


async def test_the_events_socket_needs_a_token_and_the_server_s_own_origin(server):
    url = server.url + "/api/v1/events"
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(url)
        assert refused.value.status == 401
        foreign = {**server.auth_header, "Origin": "http://evil.example"}
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(url, headers=foreign)
        assert refused.value.status == 403
        own = {**server.auth_header, "Origin": server.url}
        async with session.ws_connect(url, headers=own) as ws:
            assert (await ws.receive_json(timeout=10))["type"] == "hello"


def test_a_cross_origin_text_plain_post_submits_nothing(server):
    """What a web page can make a browser send: no token, a text/plain body."""
    before = len(server.client.jobs())
    page = {"Content-Type": "text/plain", "Origin": "http://evil.example"}
    job = numeric_job("csrf", "true", 1, 1)
    assert call(server.url, "POST", "/api/v1/jobs", body=job, headers=page)[0] == 401
    status, answer = call(
        server.url, "POST", "/api/v1/jobs", token=server.admin_token, body=job, headers=page
    )
    assert status == 415 and "application/json" in answer["error"]
    assert len(server.client.jobs()) == before


def test_repeated_failures_are_throttled_even_for_a_good_token(own_server):
    for _ in range(10):
        assert call(own_server.url, "GET", "/api/v1/jobs", token=WRONG)[0] == 401
    status, answer = call(own_server.url, "GET", "/api/v1/jobs", token=own_server.admin_token)
    assert status == 429 and "too many failed authentications" in answer["error"]
    assert call(own_server.url, "GET", "/api/v1/health")[0] == 200  # public stays open


# -- tokens over REST --------------------------------------------------------------------------


def test_token_life_cycle(server):
    added = server.client.add_user("tess")
    assert (added["name"], added["role"]) == ("tess", "user")
    tess = api.Client(server.url, timeout=10, token=added["token"])
    assert tess.whoami() == {"name": "tess", "role": "user"}

    with pytest.raises(api.CorralError) as exists:
        server.client.add_user("tess")
    assert exists.value.status == 409

    issued = server.client.issue_token("tess")
    assert issued["name"] == "tess" and issued["token"] != added["token"]
    with pytest.raises(api.CorralError) as old:
        tess.whoami()
    assert old.value.status == 401 and "--token" in str(old.value)
    tess = api.Client(server.url, timeout=10, token=issued["token"])
    assert tess.whoami()["name"] == "tess"

    server.client.revoke_token("tess")
    with pytest.raises(api.CorralError) as revoked:
        tess.whoami()
    assert revoked.value.status == 401
    with pytest.raises(api.CorralError) as again:
        server.client.revoke_token("tess")
    assert again.value.status == 404


def test_bad_user_names_and_roles_are_refused(server):
    for body, field in (
        ({"name": "Not Valid"}, "name"),
        ({"name": "render:host"}, "name"),
        ({"name": "vic", "role": "render"}, "role"),
    ):
        with pytest.raises(api.CorralError) as refused:
            server.client.request("POST", "/users", body=body)
        assert (refused.value.status, refused.value.field) == (400, field)
    with pytest.raises(api.CorralError) as admin:
        server.client.issue_token("admin")
    assert admin.value.status == 409  # the data folder's token is not issued over the API


def test_tokens_survive_a_restart(own_server):
    token = own_server.client.add_user("rita")["token"]
    own_server.server.stop()
    own_server.start_server()
    assert api.Client(own_server.url, timeout=10, token=token).whoami()["name"] == "rita"


# -- authorization -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def people(server):
    """ann and bob (users) and their jobs: ann's with an environment."""
    ann, bob = person(server, "ann"), person(server, "bob")
    secret = {"environment": {"API_KEY": "ann-only"}}
    ann_job = ann.submit(
        numeric_job("ann-job", "true", 1, 2, user_name="mallory", paused=True, block_extra=secret)
    )
    bob_job = bob.submit(numeric_job("bob-job", "true", 1, 2, paused=True))
    return ann, bob, ann_job, bob_job


def test_a_user_s_job_is_theirs_whatever_its_user_name_says(server, people):
    ann, _, ann_job, _ = people
    assert ann.job(ann_job)["user_name"] == "ann"
    admin_job = server.client.submit(numeric_job("for-zoe", "true", 1, 1, user_name="zoe"))
    assert server.client.job(admin_job)["user_name"] == "zoe"  # a wrangler submits for an artist


def test_a_user_may_not_touch_another_s_job(server, people):
    ann, bob, ann_job, _ = people
    refused = 0
    for route in routes:
        if route.access == OWNER and route.owner is not None and "{job}" in route.path:
            status, _ = call(server.url, route.method, concrete(route, ann_job), token_of(bob))
            assert status == 403, (route.method, route.path, status)
            refused += 1
    assert refused == 9
    assert ann.job(ann_job)["offline"] is True  # nothing changed
    ann.edit_job(ann_job, {"priority": 120})
    server.client.edit_job(ann_job, {"priority": 121})  # admins change anything
    assert ann.job(ann_job)["priority"] == 121


def test_bulk_job_actions_of_a_user_touch_only_their_jobs(server, people):
    ann, bob, ann_job, bob_job = people
    with pytest.raises(api.CorralError) as refused:
        bob.jobs_action("start", ids=[bob_job, ann_job])
    assert refused.value.status == 403
    assert bob.job(bob_job)["offline"] and ann.job(ann_job)["offline"]  # nothing changed
    assert bob.jobs_action("pause", mask=".*-job")["jobs"] == [bob_job]


def test_admin_routes_refuse_users(server, people):
    ann = people[0]
    refused = 0
    for route in routes:
        if route.access == ADMIN_ONLY:
            status, _ = call(server.url, route.method, concrete(route, name="ann"), token_of(ann))
            assert status == 403, (route.method, route.path, status)
            refused += 1
    assert refused >= 8


def test_a_job_s_environment_is_shown_to_its_owner_and_admins_only(server, people):
    ann, bob, ann_job, _ = people
    for reader in (ann, server.client):
        assert reader.task(ann_job, 0, 0)["environment"] == {"API_KEY": "ann-only"}
        assert reader.job_spec(ann_job)["blocks"][0]["environment"] == {"API_KEY": "ann-only"}
    assert bob.task(ann_job, 0, 0)["environment"] is None
    assert bob.job_spec(ann_job)["blocks"][0]["environment"] is None
    assert bob.job(ann_job)["name"] == "ann-job"  # reads stay open to every person


def test_task_output_is_its_owner_s(server, people):
    ann, bob, ann_job, _ = people
    with pytest.raises(api.CorralError) as refused:
        bob.task_output(ann_job, 0, 0, 1)
    assert refused.value.status == 403
    with pytest.raises(api.CorralError) as missing:
        ann.task_output(ann_job, 0, 0, 1)
    assert missing.value.status == 404  # allowed: the task has not run yet


async def test_a_monitor_watches_only_its_own_jobs_output(server, people):
    ann, bob, ann_job, bob_job = people
    run = {"job": ann_job, "block": 0, "task": 0, "run": 1}
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(
            server.url + "/api/v1/events",
            headers={"Authorization": f"Bearer {token_of(bob)}"},
        ) as ws,
    ):
        assert (await ws.receive_json(timeout=10))["type"] == "hello"
        await ws.send_json({"type": "watch_output", **run})
        error = await ws.receive_json(timeout=10)
        assert error == {
            "type": "error",
            "error": f"watch_output: the output of job {ann_job} is its owner's",
        }
        await ws.send_json({"type": "watch_output", **run, "job": bob_job})  # its own: no error
        await ws.send_json({"type": "watch_block", "job": ann_job, "block": 0})  # tasks: open
        await ws.send_json({"type": "bogus"})
        assert "unknown message type" in (await ws.receive_json(timeout=10))["error"]
