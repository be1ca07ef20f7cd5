"""`corral doctor` on a healthy farm and on broken ones: a server out of reach, a bad token, no
render online, a render of another version whose clock is an hour off."""

from __future__ import annotations

import asyncio
import json
import time

from app import __version__
from app.cli.doctor import MAX_SKEW
from tests.integration.conftest import RENDER, in_process
from tests.integration.render_by_hand import hello, receive, render_socket
from tests.unit.test_cli_args import closed_port

CHECKS = ["server", "versions", "database", "clock", "token", "renders", "clock", "disk"]


def findings(out: str) -> dict[str, dict]:
    """The --json findings by check (the renders' clock checks by the host they name)."""
    by_check = {}
    for item in json.loads(out):
        key = item["check"]
        if key == "clock":
            key += ":" + item["message"].partition(":")[0]
        by_check.setdefault(key, item)
    return by_check


def test_doctor_on_a_healthy_farm(farm_cli, farm):
    code, out, err = farm_cli("doctor", "--json")
    assert (code, err) == (0, "")
    items = json.loads(out)
    assert [item["check"] for item in items] == CHECKS
    assert {item["status"] for item in items} == {"ok"}
    found = findings(out)
    assert found["server"]["message"] == f"{farm.url} answers (Corral {__version__})"
    assert found["token"]["message"] == "valid: user admin (role admin)"
    assert found["renders"]["message"] == "1 online, 1 taking tasks, 1 with free capacity"
    assert f"clock:render {RENDER}" in found
    assert found["disk"]["message"].startswith("the data folder's disk has ")

    code, out, err = farm_cli("doctor")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == f"ok    server    {farm.url} answers (Corral {__version__})"
    assert all(line.startswith("ok    ") for line in lines)


def test_doctor_on_a_server_out_of_reach(capsys):
    url = f"http://127.0.0.1:{closed_port()}"
    code, out, err = in_process(url, capsys, "any-token")("doctor")
    assert (code, err) == (1, "")
    assert out.splitlines() == [
        f"FAIL  server    cannot reach the Corral server at {url}: Connection refused (is it "
        "running there? give its URL with --server or $CORRAL_SERVER)",
        "      fix:      start the server ('corral server', or 'corral up' on one machine), or "
        "give its URL with --server URL or $CORRAL_SERVER",
    ]


def test_doctor_with_a_bad_token_and_no_render(server, capsys):
    code, out, _ = in_process(server.url, capsys, "not-a-token")("doctor", "--json")
    found = findings(out)
    assert code == 1
    assert found["token"]["status"] == "problem"
    assert found["token"]["message"] == "unknown or revoked token"
    assert "corral users token NAME" in found["token"]["fix"]
    assert "renders" not in found  # nothing more can be asked without a token

    code, out, _ = in_process(server.url, capsys, server.admin_token)("doctor", "--json")
    found = findings(out)
    assert code == 1
    assert found["token"]["status"] == "ok"
    assert found["renders"]["status"] == "problem"
    assert found["renders"]["message"].startswith("no render is online")
    assert found["renders"]["fix"].startswith("start a render on each farm host")


async def test_doctor_finds_a_render_of_another_version_and_a_skewed_clock(server, capsys):
    run = in_process(server.url, capsys, server.admin_token)
    host = {"version": "0.0.1", "time": time.time() - 3600}
    async with render_socket(server) as ws:
        await ws.send_json(hello("old-clock", host=host))
        await receive(ws, "registered")
        code, out, _ = await asyncio.to_thread(run, "doctor", "--json")
    found = findings(out)
    assert code == 1
    version = next(
        f for f in json.loads(out) if "old-clock" in f["message"] and "Corral" in f["message"]
    )
    assert version["status"] == "problem"
    assert version["message"] == (
        f"render old-clock runs Corral 0.0.1, the server Corral {__version__}"
    )
    clock = found["clock:render old-clock"]
    assert clock["status"] == "problem"
    skew = float(clock["message"].split(": ")[1].split(" s ")[0])
    assert -3600 - MAX_SKEW < skew < -3600 + MAX_SKEW
    assert "NTP" in clock["fix"]
