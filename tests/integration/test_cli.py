"""The `corral` command against a real server (and a real render) on loopback.

The helpers at the top (free_port, ServerProcess, corral) are self-contained so that other tests
can import them: ``from tests.integration.test_cli import ServerProcess``.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.util import find_spec
from pathlib import Path

import pytest

from app import api
from app.cli import main

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    find_spec("app.server.main") is None, reason="the server (app/server/main.py) is not there yet"
)
needs_render = pytest.mark.skipif(
    find_spec("app.render.agent") is None,
    reason="the render (app/render/agent.py) is not there yet",
)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def poll(predicate: Callable[[], object], timeout: float, what: str, every: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


class CorralProcess:
    """``python -m app ARGS...`` in the background, its output in a log file."""

    def __init__(self, args: list[str], log: Path) -> None:
        self.log = log
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "app", *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        """Send a signal and wait; kill it if it does not end. Returns the exit code."""
        if self.alive():
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
                pytest.fail(f"{self.proc.args} ignored signal {sig}:\n{self.output()[-3000:]}")
        return self.proc.returncode


class ServerProcess(CorralProcess):
    """A real `corral server` on a free loopback port; ready once /api/v1/health answers."""

    def __init__(self, data: Path, log: Path, *extra: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.client = api.Client(self.url, timeout=10)
        super().__init__(["server", "--port", str(self.port), "--data", str(data), *extra], log)
        poll(self._healthy, 30, f"the server at {self.url}")

    def _healthy(self) -> bool:
        if not self.alive():
            pytest.fail(f"the server exited with {self.proc.returncode}:\n{self.output()[-3000:]}")
        try:
            return bool(self.client.health().get("ok"))
        except api.CorralError:
            return False


@contextmanager
def running_server(tmp: Path) -> Iterator[ServerProcess]:
    tmp.mkdir(parents=True, exist_ok=True)
    server = ServerProcess(tmp / "data", tmp / "server.log")
    try:
        yield server
    finally:
        code = server.stop()
        assert code == 0, f"the server did not stop cleanly ({code}):\n{server.output()[-3000:]}"


def corral(url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """Run the `corral` command in a subprocess against the server at url."""
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**os.environ, "CORRAL_SERVER": url},
    )


def submitted_id(out: str) -> int:
    match = re.fullmatch(r"Job (\d+) submitted\n", out)
    assert match, out
    return int(match[1])


# -- one server for the client tests -----------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[ServerProcess]:
    with running_server(tmp_path_factory.mktemp("cli-server")) as server:
        yield server


@pytest.fixture
def cli(server, capsys) -> Callable[..., tuple[int, str, str]]:
    """Run main() in this process: (exit code, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["--server", server.url, *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_submit_from_file(server, tmp_path):
    path = tmp_path / "job.json"
    path.write_text(json.dumps(api.numeric_job("cli-file", "echo frame @#@", 1, 6, per_task=2)))
    done = corral(server.url, "submit", str(path))
    assert done.returncode == 0, done.stderr
    job_id = submitted_id(done.stdout)

    table = corral(server.url, "jobs")
    assert table.returncode == 0, table.stderr
    header, *rows = table.stdout.splitlines()
    assert header.split() == ["ID", "NAME", "USER", "STATE", "PRI", "DONE/TOTAL", "RUN", "ERR"]
    row = next(r.split() for r in rows if r.split()[0] == str(job_id))
    assert row[1] == "cli-file"
    assert row[5] == "0/3"

    show = corral(server.url, "job", "show", str(job_id))
    assert show.returncode == 0, show.stderr
    assert show.stdout.startswith(f"Job {job_id}: cli-file\n")
    assert "BLOCK" in show.stdout

    raw = corral(server.url, "--json", "job", "show", str(job_id))
    job = json.loads(raw.stdout)
    assert (job["id"], job["name"], job["tasks_total"]) == (job_id, "cli-file", 3)
    assert len(job["blocks"]) == 1


def test_submit_from_stdin(server):
    job = api.tasks_job("cli-stdin", [("one", "echo one"), ("two", "echo two")])
    done = corral(server.url, "submit", "-", "--json", stdin=json.dumps(job))
    assert done.returncode == 0, done.stderr
    job_id = json.loads(done.stdout)["id"]
    assert server.client.job(job_id)["tasks_total"] == 2


def test_submit_command(cli, server):
    code, out, err = cli(
        "submit", "--json", "--name", "cli-cmd", "--frames", "1-10", "--fpt", "2", "--paused",
        "--priority", "50", "--", "echo", "frame", "@#@",
    )  # fmt: skip
    assert (code, err) == (0, "")
    job_id = json.loads(out)["id"]
    job = server.client.job(job_id)
    assert (job["name"], job["priority"], job["tasks_total"]) == ("cli-cmd", 50, 5)
    assert "OFF" in job["state"].split()

    code, out, err = cli("task", "show", str(job_id), "0", "1", "--json")
    assert code == 0, err
    task = json.loads(out)
    assert (task["frame_start"], task["frame_end"]) == (3, 4)
    assert "echo frame 3" in task["command"]

    code, out, _ = cli("task", "show", str(job_id), "0", "1")
    assert code == 0
    assert out.startswith(f"Task {job_id}/0/1: ")


def test_pause_start_delete(cli, server):
    code, out, _ = cli("submit", "--name", "cli-actions", "--frames", "1-3", "--", "echo", "@#@")
    job_id = submitted_id(out)

    assert cli("job", "pause", str(job_id)) == (0, f"Job {job_id} paused\n", "")
    code, out, _ = cli("job", "show", str(job_id), "--json")
    assert "OFF" in json.loads(out)["state"].split()

    assert cli("job", "start", str(job_id)) == (0, f"Job {job_id} started\n", "")
    assert "OFF" not in server.client.job(job_id)["state"].split()

    code, out, _ = cli("jobs", "--json")
    assert job_id in [j["id"] for j in json.loads(out)]

    assert cli("job", "delete", str(job_id)) == (0, f"Job {job_id} deleted\n", "")
    code, out, err = cli("job", "show", str(job_id))
    assert (code, out) == (1, "")
    assert err.startswith("corral: ")


def test_unknown_id(server):
    unknown = [
        ["job", "show", "987654"],
        ["job", "pause", "987654"],
        ["task", "log", "987654", "0", "0"],
    ]
    for args in unknown:
        done = corral(server.url, *args)
        assert done.returncode == 1, args
        assert done.stdout == ""
        assert done.stderr.startswith("corral: ")
        assert len(done.stderr.splitlines()) == 1, done.stderr  # one line, no traceback


def test_invalid_job_file(server, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(api.numeric_job("cli-bad", "echo @#@", 1, 10, per_task=0)))
    done = corral(server.url, "submit", str(path))
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith("corral: invalid job: blocks[0].frames_per_task")
    assert len(done.stderr.splitlines()) == 1

    done = corral(server.url, "submit", "-", stdin='{"name": "no blocks"}')
    assert done.returncode == 1
    assert done.stderr.startswith("corral: invalid job: ")


def test_renders_empty(cli):
    code, out, err = cli("renders", "--json")
    assert (code, err) == (0, "")
    assert isinstance(json.loads(out), list)


# -- with a real render ------------------------------------------------------------------------


@needs_render
def test_render_runs_a_job_and_task_log(tmp_path):
    with running_server(tmp_path / "server") as server:
        render = CorralProcess(
            ["render", "--server", server.url, "--name", "cli-render", "--max-tasks", "2"],
            tmp_path / "render.log",
        )
        try:

            def render_listed() -> bool:
                done = corral(server.url, "renders")
                return done.returncode == 0 and "cli-render" in done.stdout

            poll(render_listed, 30, "the render to register")
            done = corral(server.url, "submit", "--frames", "1-4", "--", "echo", "frame", "@#@")
            job_id = submitted_id(done.stdout)
            poll(lambda: server.client.job(job_id)["state"] == "DON", 60, "the job to finish")

            log = corral(server.url, "task", "log", str(job_id), "0", "2")
            assert (log.returncode, log.stdout) == (0, "frame 3\n"), log.stderr
            log = corral(server.url, "task", "log", str(job_id), "0", "2", "--run", "1", "--json")
            assert json.loads(log.stdout)["output"] == "frame 3\n"
        finally:
            assert render.stop() == 0, render.output()[-3000:]


@needs_render
def test_up_runs_a_farm_and_stops_on_ctrl_c(tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    up = CorralProcess(
        ["up", "--port", str(port), "--data", str(tmp_path / "data"), "--max-tasks", "2"],
        tmp_path / "up.log",
    )
    try:
        poll(lambda: "Corral is up" in up.output() or not up.alive(), 30, "corral up to start")
        assert up.alive(), up.output()
        assert url in up.output()
        done = corral(url, "submit", "--frames", "1-3", "--", "echo", "frame", "@#@")
        job_id = submitted_id(done.stdout)
        client = api.Client(url, timeout=10)
        poll(lambda: client.job(job_id)["state"] == "DON", 60, "the job to finish")
    finally:
        code = up.stop(signal.SIGINT)
    assert code == 0, up.output()[-3000:]
