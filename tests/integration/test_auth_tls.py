"""The real server over TLS (`corral server --tls-cert --tls-key`), and its warning when it
listens beyond loopback without."""

from __future__ import annotations

import aiohttp
import pytest

from app import api
from app.server.auth import ADMIN_TOKEN_FILE, FARM_SECRET_FILE, client_context, read_secret
from bench.local_farm import FarmProcess, free_port
from tests.afanasy_client import AfanasyClient
from tests.polling import wait_until
from tests.unit.test_tls import _self_signed


@pytest.fixture
def tls_server(tmp_path):
    cert, key = _self_signed(tmp_path, "farm")
    port, afanasy_port, data = free_port(), free_port(), tmp_path / "data"
    args = ["server", "--port", str(port), "--data", str(data), "--afanasy-port", str(afanasy_port)]
    server = FarmProcess([*args, "--tls-cert", str(cert), "--tls-key", str(key)], tmp_path / "log")
    server.start()
    url = f"https://localhost:{port}"
    wait_until(lambda: f"serving on https://127.0.0.1:{port}" in server.log.read_text())
    yield url, cert, data, afanasy_port
    assert server.stop() == 0


def test_the_afanasy_listener_reaches_a_tls_server(tls_server):
    """Its requests go to the routes over the server's own TLS port."""
    admin = AfanasyClient(tls_server[3], "admin")
    assert admin.get("renders") == {"renders": []}


async def test_a_tls_round_trip_with_a_self_signed_certificate(tls_server):
    url, cert, data, _ = tls_server
    client = api.Client(url, timeout=10, token=read_secret(data / ADMIN_TOKEN_FILE), ca_file=cert)
    assert client.whoami() == {"name": "admin", "role": "admin"}
    with pytest.raises(api.CorralError) as untrusted:
        api.Client(url, timeout=10, token="crl_x").health()  # the system's authorities only
    assert untrusted.value.status is None and "CERTIFICATE" in str(untrusted.value).upper()

    secret = {"Authorization": f"Bearer {read_secret(data / FARM_SECRET_FILE)}"}
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(
            url + "/api/v1/render/ws", headers=secret, ssl=client_context(cert)
        ) as ws,
    ):
        await ws.send_json({"type": "heartbeat"})
        assert (await ws.receive_json(timeout=10))["error"] == "register first"


def test_a_render_joins_a_tls_server_with_its_ca_file(tls_server, tmp_path):
    """`corral render --ca-file`: its socket verifies the server against the studio's CA."""
    url, cert, data, _ = tls_server
    admin = api.Client(url, timeout=10, token=read_secret(data / ADMIN_TOKEN_FILE), ca_file=cert)
    join = ["--server", url, "--farm-secret-file", str(data / FARM_SECRET_FILE)]
    render = FarmProcess(
        [
            "render",
            *join,
            "--name",
            "tls-r",
            "--token-file",
            str(tmp_path / "t"),
            "--ca-file",
            str(cert),
        ],
        tmp_path / "render.log",
    ).start()
    try:
        wait_until(lambda: [r["name"] for r in admin.renders()] == ["tls-r"], timeout=20)
    finally:
        assert render.stop() == 0


def test_listening_beyond_loopback_without_tls_is_warned_about(tmp_path):
    port = free_port()
    args = ["server", "--host", "0.0.0.0", "--port", str(port), "--data", str(tmp_path / "data")]
    server = FarmProcess(args, tmp_path / "log").start()
    try:
        wait_until(lambda: "serving on" in server.log.read_text())
        assert "WARNING" in server.log.read_text() and "without TLS" in server.log.read_text()
    finally:
        server.stop()
