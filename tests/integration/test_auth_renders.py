"""Who may join the render socket of a real server, under which name, and report on which runs:
the farm secret, render tokens, impostors and forged results."""

from __future__ import annotations

import stat

import aiohttp
import pytest

from app.api import numeric_job
from tests.integration.auth_calls import call
from tests.integration.render_by_hand import (
    acknowledged,
    hello,
    listen,
    receive,
    render_socket,
    result,
    run_key,
)
from tests.polling import wait_until


async def refused_status(farm, credential: str | None, **headers: str) -> int:
    """The status a render socket handshake is refused with."""
    sent = dict(headers)
    if credential is not None:
        sent["Authorization"] = f"Bearer {credential}"
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(farm.url + "/api/v1/render/ws", headers=sent)
    return refused.value.status


async def join(farm, name: str) -> str:
    """Register `name` once with the farm secret; its render token."""
    async with render_socket(farm) as ws:
        await ws.send_json(hello(name))
        return (await receive(ws, "registered"))["render_token"]


async def test_a_render_without_the_farm_secret_is_refused_before_registering(own_server):
    assert await refused_status(own_server, None) == 401
    assert await refused_status(own_server, "crlfarm_not-the-secret") == 401
    assert await refused_status(own_server, own_server.admin_token) == 403  # a person's token
    origin = {"Origin": "http://evil.example"}
    assert await refused_status(own_server, own_server.farm_secret, **origin) == 403
    assert own_server.client.renders() == []


async def test_the_farm_secret_gives_a_new_name_its_token_once(own_server):
    async with render_socket(own_server) as ws:
        await ws.send_json(hello("first"))
        token = (await receive(ws, "registered"))["render_token"]
    assert token.startswith("crl_")
    async with render_socket(own_server, token) as ws:  # back with its token: none issued
        await ws.send_json(hello("first"))
        assert "render_token" not in await receive(ws, "registered")


async def test_an_impostor_cannot_take_a_render_s_name(own_server):
    token = await join(own_server, "victim")
    async with render_socket(own_server) as ws:  # the farm secret, a taken name
        await ws.send_json(hello("victim"))
        error = await receive(ws, "error")
        assert "victim has its own token" in error["error"]
        assert (await ws.receive(timeout=10)).type == aiohttp.WSMsgType.CLOSE
    async with render_socket(own_server, token) as ws:  # its token, another name
        await ws.send_json(hello("other"))
        assert "belongs to render victim" in (await receive(ws, "error"))["error"]
        assert (await ws.receive(timeout=10)).type == aiohttp.WSMsgType.CLOSE
    assert [render["name"] for render in own_server.client.renders()] == ["victim"]


async def test_a_render_token_opens_no_rest_route(own_server):
    token = await join(own_server, "curious")
    assert call(own_server.url, "GET", "/api/v1/jobs", token=token)[0] == 403
    assert call(own_server.url, "POST", "/api/v1/jobs", token=token, body={})[0] == 403


async def test_a_deleted_render_loses_its_token_and_frees_its_name(own_server):
    token = await join(own_server, "old")
    wait_until(lambda: not own_server.client.render("old")["online"])
    own_server.client.render_action("old", "delete")
    assert await refused_status(own_server, token) == 401
    assert (await join(own_server, "old")).startswith("crl_")  # another host takes the name


async def test_a_forged_result_for_another_render_s_run_changes_nothing(own_server):
    client = own_server.client
    async with render_socket(own_server) as holder:
        await holder.send_json(hello("holder"))
        await receive(holder, "registered")
        job_id = client.submit(numeric_job("forged", "sleep 100", 1, 1, user_name="t"))
        task = (await receive(holder, "assign"))["task"]
        async with render_socket(own_server) as forger:
            await forger.send_json(hello("forger"))
            await receive(forger, "registered")
            for kind, fields in (
                ("started", {"pid": 1}),
                ("output", {"data": "forged"}),
                ("progress", {"percent": 50, "frame": None}),
            ):
                await forger.send_json({"type": kind, **run_key(task), **fields})
                assert "not assigned to render forger" in (await receive(forger, "error"))["error"]
            await forger.send_json(result(task, seq=1, output="forged"))
            assert "not assigned to render forger" in (await receive(forger, "error"))["error"]
            await listen(forger, 0.5)
            assert 1 not in acknowledged(forger)
        state = client.task(job_id, 0, 0)
        assert (state["state"], state["render"], state["runs"][0]["state"]) == (
            "RUN",
            "holder",
            "RUN",
        )

        await holder.send_json(result(task, seq=1, output="real"))
        wait_until(lambda: client.job(job_id)["state"] == "DON")
    assert client.task_output(job_id, 0, 0, 1) == "real"


def test_a_render_keeps_its_token_and_joins_with_it(farm):
    farm.start_server()
    farm.start_renders({"keeper": 1})
    token_file = farm.folder / "render-keeper.token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    token = token_file.read_text().strip()
    assert call(farm.url, "GET", "/api/v1/jobs", token=token)[0] == 403  # a render's token

    farm.renders["keeper"].stop()
    wait_until(lambda: not farm.online_renders())
    keeper = farm.start_render("keeper", 1)  # with its token: the farm secret is refused now
    farm.wait_renders(1)
    assert token_file.read_text().strip() == token

    # another host of that name has only the farm secret (farm.stop() ends it, not keeper)
    farm.start_render("keeper", 1, "--token-file", str(farm.folder / "other.token"))
    try:
        wait_until(lambda: "keeper has its own token" in farm.logs(), timeout=30)
    finally:
        keeper.stop()


def test_a_render_whose_token_ended_joins_again_with_the_farm_secret(farm):
    farm.start_server()
    farm.start_renders({"moved": 1})
    token_file = farm.folder / "render-moved.token"
    old = token_file.read_text()
    farm.renders["moved"].stop()
    wait_until(lambda: not farm.online_renders())
    farm.client.render_action("moved", "delete")  # its token ends with it
    farm.start_renders({"moved": 1})  # refused with the old token, then joins with the secret
    assert token_file.read_text() != old
    assert "refused this render's token" in farm.logs()
