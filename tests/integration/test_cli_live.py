"""The live verbs on a real farm: `corral job watch` (its exit status follows the job) and
`corral renders --watch`; and rich tables on a real terminal (a pty), plain ones without it or
with NO_COLOR."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from app import api
from app.api import SERVER_ENV
from app.credentials import TOKEN_ENV
from bench.terminal_screenshots import in_terminal
from tests.integration.conftest import RENDER
from tests.integration.test_cli_controls import submit
from tests.polling import wait_until

ROOT = Path(__file__).resolve().parents[2]


def test_job_watch_exits_with_the_job_s_outcome(farm_cli, farm):
    good = farm.client.submit(api.numeric_job("watched", "sleep 0.3; echo @#@", 1, 6))
    code, out, err = farm_cli("job", "watch", str(good), "--every", "0.2")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith(f"Job {good}: watched, ")
    assert "  block 0 watched: 6/6 done, 0 running" in lines
    assert lines[-1] == f"Job {good} done"
    assert farm.client.job(good)["state"] == "DON"

    job = api.numeric_job("failing", "exit 3", 1, 2)
    job["blocks"][0]["errors_retries"] = 0
    bad = farm.client.submit(job)
    code, out, err = farm_cli("job", "watch", str(bad), "--every", "0.2")
    assert (code, err) == (1, "")
    assert "  block 0 failing: 0/2 done, 0 running, 2 failed" in out.splitlines()
    assert out.splitlines()[-1] == (
        f"Job {bad} ended with 2 failed tasks: see 'corral job show {bad}', then "
        f"'corral job restart-errors {bad}'"
    )

    # on a terminal: progress bars, and the same exit status
    env = _env(farm.url, farm.admin_token, COLUMNS="120")
    code, drawn = in_terminal(["job", "watch", str(bad), "--every", "0.2"], env)
    assert code == 1
    assert "\x1b[" in drawn and "━" in drawn  # coloured bars
    assert f"Job {bad} ended with 2 failed tasks" in drawn
    assert in_terminal(["job", "watch", str(good)], env)[0] == 0

    # --json: a JSON object per change, the last block's line with every task done
    code, out, _ = farm_cli("job", "watch", str(good), "--json")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert lines[0]["job"] == good and lines[0]["state"] == "DON"
    assert lines[-1] == {
        "block": 0,
        "state": "DON",
        "tasks_total": 6,
        "tasks_done": 6,
        "tasks_running": 0,
        "tasks_skipped": 0,
        "tasks_error": 0,
        "eta": None,
    }


def test_job_watch_shows_an_eta_measured_from_finished_tasks(farm_cli, farm):
    job_id = farm.client.submit(api.numeric_job("long", "sleep 0.5", 1, 12))
    code, out, _ = farm_cli("job", "watch", str(job_id), "--every", "0.3")
    assert code == 0
    etas = [line for line in out.splitlines() if ", ETA 0:0" in line]
    assert etas, out  # 12 tasks of 0.5 s on two slots: about 3 s, measured on the way


def test_job_watch_of_a_job_that_does_not_exist(cli):
    code, out, err = cli("job", "watch", "999999")
    assert (code, out) == (1, "")
    assert err == (
        "corral: job 999999: no such job (deleted, or never submitted): 'corral jobs' lists "
        "the jobs\n"
    )


def _env(url: str, token: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    return {**env, "PYTHONPATH": str(ROOT), SERVER_ENV: url, TOKEN_ENV: token, **extra}


def test_renders_watch_prints_the_list_again_until_interrupted(farm_cli, farm):
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "renders", "--watch", "--every", "0.2"],
        env=_env(farm.url, farm.admin_token),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        header = proc.stdout.readline()
        assert header.split()[:3] == ["NAME", "STATE", "TASKS"]
        assert proc.stdout.readline().split()[:2] == [RENDER, "ONL"]
        farm_cli("render-ctl", "pause", RENDER)
        assert proc.stdout.readline() == "\n"  # the list changed: printed again
        assert proc.stdout.readline().split() == header.split()
        assert proc.stdout.readline().split()[:3] == [RENDER, "ONL", "PAU"]
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err


def test_a_terminal_gets_a_coloured_table_and_no_color_the_plain_one(cli, server):
    job_id = submit(server.client, "colours", paused=True)
    env = _env(server.url, server.admin_token, COLUMNS="120")
    code, coloured = in_terminal(["jobs", "--user", "colours"], env)
    assert code == 0
    assert "\x1b[" in coloured  # ANSI styles: bold headers, the state's colour
    assert "\x1b[2mOFF" in coloured  # a paused job's state is dim
    assert str(job_id) in coloured

    _, plain = in_terminal(["jobs", "--user", "colours"], {**env, "NO_COLOR": "1"})
    code, piped, _ = cli("jobs", "--user", "colours")
    assert code == 0
    assert plain == piped  # byte for byte the table scripts read
    assert "\x1b[" not in plain


def test_a_watch_says_why_its_job_waits_and_follows_it_once_started(farm_cli, farm):
    """A job paused at first: the watch says why it waits, then follows it once started."""
    job_id = submit(farm.client, "later", paused=True, frames=2)
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "job", "watch", str(job_id), "--every", "0.2"],
        env=_env(farm.url, farm.admin_token),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(1)
    assert proc.poll() is None  # paused: nothing ends it
    farm_cli("job", "start", str(job_id))
    out, err = proc.communicate(timeout=60)
    assert (proc.returncode, err) == (0, "")
    assert (
        f"  waiting ({RENDER}: job is paused); fix: corral job start {job_id}" in out.splitlines()
    )
    assert out.splitlines()[-1] == f"Job {job_id} done"
    wait_until(lambda: farm.client.job(job_id)["state"] == "DON")
