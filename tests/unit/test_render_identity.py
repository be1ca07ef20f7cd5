"""A render's identity under its name (app/render/join_secrets.py:claim_identity): kept beside
its token file, taken back by the same render restarted, never shared with a live process."""

from __future__ import annotations

import json
import subprocess
import sys

import psutil

from app.render.join_secrets import claim_identity


def _holder(path, pid: int, started: float, identity: str = "kept") -> None:
    path.write_text(json.dumps({"identity": identity, "pid": pid, "started": started}) + "\n")


def test_a_render_keeps_its_identity_across_restarts(tmp_path):
    token_file = tmp_path / "render-ws07.token"
    first = claim_identity(token_file)
    kept = json.loads((tmp_path / "render-ws07.identity").read_text())
    assert kept["identity"] == first and kept["pid"] == psutil.Process().pid
    assert (tmp_path / "render-ws07.identity").stat().st_mode & 0o777 == 0o600

    _holder(tmp_path / "render-ws07.identity", 2**22 + 7, 1.0, first)  # its process is gone
    assert claim_identity(token_file) == first


def test_a_second_process_while_the_first_runs_gets_an_identity_of_its_own(tmp_path):
    token_file = tmp_path / "render-ws07.token"
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        started = psutil.Process(other.pid).create_time()
        _holder(tmp_path / "render-ws07.identity", other.pid, started)
        mine = claim_identity(token_file)
        assert mine != "kept"
        assert json.loads((tmp_path / "render-ws07.identity").read_text())["pid"] == other.pid
    finally:
        other.kill()
        other.wait()
    assert claim_identity(token_file) == "kept"  # the holder is gone: its identity is free


def test_an_unreadable_identity_file_is_replaced_and_no_token_file_keeps_none(tmp_path):
    (tmp_path / "r.identity").write_text("not json")
    identity = claim_identity(tmp_path / "r.token")
    assert json.loads((tmp_path / "r.identity").read_text())["identity"] == identity
    assert claim_identity(None) != claim_identity(None)
