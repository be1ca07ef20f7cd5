"""Render operations: start flags, exit_no_task, and what a render does with
its running tasks when it is told to stop (--on-exit)."""

from __future__ import annotations

import json
import signal
import subprocess

import pytest

from app.api import numeric_job
from app.server import render_messages
from tests.integration.conftest import in_process
from tests.integration.render_by_hand import hello
from tests.polling import wait_until


def one_task_job(name: str, command: str) -> dict:
    return numeric_job(name, command, 1, 1, user_name="tester")


def task_state(farm, job_id: int) -> dict:
    return farm.client.tasks(job_id, 0, 0, 1)["tasks"][0]


def wait_exit(process, timeout: float) -> int:
    try:
        return process.proc.wait(timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the render did not exit within {timeout} s")


def terminated_while_running(farm, name: str, command: str, *render_args: str):
    """A render (started with render_args) sent SIGTERM while it runs a one-task job of the
    command; returns the render's process and the job's id."""
    farm.start_server()
    render = farm.start_render(name, 1, *render_args)
    farm.wait_renders(1)
    job_id = farm.client.submit(one_task_job(name, command))
    wait_until(lambda: task_state(farm, job_id)["state"] == "RUN", timeout=20)
    render.proc.send_signal(signal.SIGTERM)
    return render, job_id


def test_render_started_NIMBY_takes_no_task_until_freed(farm, capsys):
    farm.start_server()
    farm.start_renders({"shy": 1}, "--NIMBY", "--paused")
    render = farm.client.render("shy")
    assert (render["nimby"], render["paused"]) == ("NIMBY", True)
    farm.client.render_action("shy", "unpause")
    job_id = farm.client.submit(one_task_job("held", "echo hi"))
    # the submit offered the job to the render and answered after: it stays ready, and why
    assert task_state(farm, job_id)["state"] == "RDY"
    assert [r["reason"] for r in farm.client.explain(job_id)["renders"]] == ["render is NIMBY"]
    assert in_process(farm.url, capsys, farm.admin_token)("render-ctl", "free", "shy")[0] == 0
    capsys.readouterr()
    farm.wait_job_done(job_id, timeout=30)
    assert farm.client.render("shy")["nimby"] == "free"


def test_register_start_state_is_validated():
    register = hello("r", host={})
    assert render_messages.register(register)["state"] == {}
    ok = render_messages.register({**register, "state": {"nimby": "nimby", "paused": False}})
    assert ok["state"] == {"nimby": "nimby", "paused": False}
    for bad in ({"nimby": "busy"}, {"paused": 1}, {"color": "red"}, ["NIMBY"]):
        with pytest.raises(render_messages.ProtocolError, match="state"):
            render_messages.register({**register, "state": bad})


def test_a_render_of_another_protocol_is_refused_with_both_versions():
    old = {key: value for key, value in hello("old").items() if key != "protocol"}
    for message in (old, {**old, "protocol": 3}, {**old, "protocol": "2"}):
        with pytest.raises(render_messages.ProtocolError, match="run the same Corral version"):
            render_messages.register({**message, "host": {"version": "0.0.9"}})


def test_exit_no_task_ends_an_idle_render(farm, tmp_path):
    farm.start_server()
    log_file = tmp_path / "cloud.jsonl"
    render = farm.start_render("cloud", 1, "--exit-no-task", "2", "--log-file", str(log_file))
    farm.wait_renders(1)
    assert wait_exit(render, 10) == 0
    wait_until(lambda: not farm.client.render("cloud")["online"], timeout=5)
    lines = [json.loads(line) for line in log_file.read_text().splitlines()]
    assert any("exit_no_task" in line["message"] for line in lines), lines


def test_on_exit_return_gives_the_task_back_at_once(farm):
    # on_exit "return" is the default
    render, job_id = terminated_while_running(farm, "giver", "sleep 60")
    wait_until(lambda: task_state(farm, job_id)["state"] == "RDY", timeout=5)
    task = farm.client.task(job_id, 0, 0)
    assert task["errors"] == 0
    assert [run["state"] for run in task["runs"]] == ["STOPPED"]
    assert wait_exit(render, 10) == 0


def test_on_exit_finish_lets_the_task_end(farm):
    render, job_id = terminated_while_running(
        farm, "finisher", "sleep 2; echo done", "--on-exit", "finish"
    )
    assert wait_exit(render, 15) == 0
    task = farm.client.task(job_id, 0, 0)
    assert task["state"] == "DON" and [run["state"] for run in task["runs"]] == ["DON"]
    assert "done" in farm.client.task_output(job_id, 0, 0, 1)
