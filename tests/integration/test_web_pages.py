"""The web pages' files and the browser's way into the events socket, on a real server."""

from __future__ import annotations

import aiohttp
import pytest

from app.server.pages import FILES
from tests.integration.auth_calls import exchange, fetch


def test_the_farm_view_is_served_with_its_policy(server):
    status, headers, page = fetch(server.url, "GET", "/")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert b'<script type="module" src="/web/farm.js">' in page


@pytest.mark.parametrize("name", sorted(FILES))
def test_each_web_file_is_served_without_a_token(server, name):
    status, _, body = fetch(server.url, "GET", f"/web/{name}")
    assert status == 200
    assert body == FILES[name].read_bytes()


@pytest.mark.parametrize("name", ["nope.js", "..%2Fpages.py", "__init__.py", "%2e%2e", "x" * 300])
def test_nothing_else_is_served(server, name):
    status, _, answer = exchange(server.url, "GET", f"/web/{name}")
    assert status == 404
    assert "no web file" in answer["error"]


async def test_a_browser_s_socket_brings_its_token_as_protocols(server):
    protocols = ("corral.bearer", server.admin_token)
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(server.url + "/api/v1/events", protocols=protocols) as ws,
    ):
        assert ws.protocol == "corral.bearer"  # the token is not echoed
        assert (await ws.receive_json())["type"] == "hello"


@pytest.mark.parametrize(
    "protocols", [("corral.bearer", "crl_not-a-token"), ("chat",), ("corral.bearer",)]
)
async def test_a_socket_without_a_good_token_is_refused(server, protocols):
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(server.url + "/api/v1/events", protocols=protocols)
    assert refused.value.status == 401
