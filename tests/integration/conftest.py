"""Real farm processes on loopback: the server and render clients as subprocesses."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from app.api import Client, CorralError


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate: Callable[[], object], timeout: float = 30.0, every: float = 0.05):
    """Poll until predicate() is truthy; returns its value or fails the test."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s: {predicate}")
        time.sleep(every)


class FarmProcess:
    """One `corral` subprocess with its log file."""

    def __init__(self, args: list[str], log: Path) -> None:
        self.args = args
        self.log = log
        self.proc: subprocess.Popen | None = None

    def start(self) -> FarmProcess:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "app", *self.args],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
            )
        return self

    @property
    def pid(self) -> int:
        return self.proc.pid

    def kill(self) -> None:
        """SIGKILL: no chance to clean up."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self, timeout: float = 20) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None


class Farm:
    """A server and its renders for one test; everything is stopped at the end."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp = tmp_path
        self.data = tmp_path / "data"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.client = Client(self.url, timeout=10)
        self.server: FarmProcess | None = None
        self.renders: dict[str, FarmProcess] = {}

    def start_server(self, *extra: str) -> FarmProcess:
        args = ["server", "--port", str(self.port), "--data", str(self.data), *extra]
        self.server = FarmProcess(args, self.tmp / "server.log").start()
        wait_until(self._healthy, timeout=30)
        return self.server

    def start_render(self, name: str, max_tasks: int = 1, *extra: str) -> FarmProcess:
        args = ["render", "--server", self.url, "--name", name, "--max-tasks", str(max_tasks),
                *extra]  # fmt: skip
        render = FarmProcess(args, self.tmp / f"render-{name}.log").start()
        self.renders[name] = render
        return render

    def wait_renders(self, count: int, timeout: float = 30) -> list[dict]:
        def online():
            renders = [r for r in self.client.renders() if r["online"]]
            return renders if len(renders) >= count else None

        return wait_until(online, timeout)

    def wait_job_done(self, job_id: int, timeout: float = 120) -> dict:
        return wait_until(lambda: self._done(job_id), timeout, every=0.2)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
                         for p in sorted(self.tmp.glob("*.log")))  # fmt: skip

    def stop(self) -> None:
        for render in self.renders.values():
            render.stop()
        if self.server:
            self.server.stop()

    def _healthy(self) -> bool:
        if self.server and self.server.proc.poll() is not None:
            pytest.fail(f"server exited with {self.server.proc.returncode}\n{self.logs()}")
        try:
            return self.client.health()["ok"]
        except CorralError:
            return False

    def _done(self, job_id: int) -> dict | None:
        job = self.client.job(job_id)
        return job if job["state"] == "DON" else None


@pytest.fixture
def farm(tmp_path):
    farm = Farm(tmp_path)
    yield farm
    farm.stop()
