"""The mistakes people make most, walked against a real server: each message names the thing,
the value and the fix (wrong server URL, expired token, bad frame range, unknown service,
missing scene, a job stuck because no render matches it)."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from app import api
from app.credentials import TOKEN_ENV
from tests.integration.conftest import in_process
from tests.integration.render_by_hand import hello, receive, render_socket
from tests.unit.test_cli_args import closed_port


def test_a_wrong_server_url(capsys):
    url = f"http://127.0.0.1:{closed_port()}"
    assert in_process(url, capsys, "token")("jobs") == (
        1,
        "",
        f"corral: cannot reach the Corral server at {url}: Connection refused (is it running "
        "there? give its URL with --server or $CORRAL_SERVER)\n",
    )


def test_an_expired_token(server, capsys):
    token = server.client.add_user("leaver")["token"]
    server.client.revoke_token("leaver")
    assert in_process(server.url, capsys, token)("jobs") == (
        1,
        "",
        f"corral: unknown or revoked token (give the token for {server.url} with --token, or "
        f"set {TOKEN_ENV}; an admin makes one with `corral users add NAME`)\n",
    )


def test_a_bad_frame_range(cli):
    code, out, err = cli("submit", "--frames", "10-1", "--", "echo", "@#@")
    assert (code, out) == (2, "")
    assert err.endswith(
        "corral submit: error: argument --frames: invalid frame range '10-1': the last frame "
        "is before the first (write it FIRST-LAST: 1-10)\n"
    )
    code, _, err = cli("submit", "--frames", "1-10x0", "--", "echo", "@#@")
    assert code == 2
    assert err.endswith("invalid frame range '1-10x0': the step must be >= 1 (e.g. 1-10x1)\n")


def test_an_unknown_service(cli, server):
    code, out, err = cli("submit", "--service", "mya", "--frames", "1-2", "--", "maya", "@#@")
    assert (code, out) == (1, "")
    known = ", ".join(server.client.services())
    assert err == (
        f"corral: invalid job: blocks[0].service: unknown service 'mya' (known: {known})\n"
    )
    code, _, err = cli("submit", "--service", "mya", "--scene", "a.mb", "--frames", "1")
    assert code == 2
    assert err.endswith("error: unknown service 'mya' (see `corral services`)\n")
    scene = ["submit", "--service", "mya", "--scene", "a.mb", "--frames", "1"]
    alone = subprocess.run(  # its own process: a warning logged on the way would show here
        [sys.executable, "-m", "app", "--server", server.url, *scene],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert alone.returncode == 2
    assert alone.stderr.startswith("usage: corral submit"), alone.stderr
    assert alone.stderr.endswith("error: unknown service 'mya' (see `corral services`)\n")


def test_a_missing_scene(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = cli("submit", "--service", "blender", "--scene", "shot.blend", "--frames", "1")
    assert (code, out) == (2, "")
    assert err.endswith(
        f"error: scene file 'shot.blend' does not exist (looked for {tmp_path}/shot.blend): give "
        "the path of an existing scene, or --platform OS when it is a path on the renders' OS\n"
    )
    (tmp_path / "shot.blend").write_bytes(b"BLENDER")
    code, out, _ = cli(
        "submit", "--service", "blender", "--scene", "shot.blend", "--frames", "1", "--paused"
    )
    assert code == 0 and out.startswith("Job ")


async def test_a_job_stuck_because_no_render_matches(server, capsys):
    why = in_process(server.url, capsys, server.admin_token)
    job_id = server.client.submit(api.numeric_job("masked", "echo @#@", 1, 2, hosts_mask="gpu.*"))
    code, out, _ = why("job", "why", str(job_id))
    assert code == 0
    assert out.endswith(
        "No online renders.\nfix: start a render on a farm host: corral render --server URL\n"
    )
    async with render_socket(server) as ws:
        await ws.send_json(hello("cpu-01"))
        await receive(ws, "registered")
        code, out, _ = await asyncio.to_thread(why, "job", "why", str(job_id))
    assert code == 0
    assert out.splitlines()[-2:] == [
        "cpu-01  job hosts_mask 'gpu.*' does not match cpu-01",
        f"fix: corral job set {job_id} hosts_mask=REGEX (a regular expression of render names)",
    ]
