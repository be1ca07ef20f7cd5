"""A farm of real `corral` processes on loopback, for benchmarks and integration tests."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from app.api import Client
from app.server.auth import ADMIN_TOKEN_FILE, FARM_SECRET_FILE, read_secret

_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no system proxy


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class FarmProcess:
    """One `corral` subprocess, its output going to a log file."""

    def __init__(
        self,
        args: list[str],
        log: Path,
        code: Path | None = None,
        open_files: tuple[int, int] | None = None,
    ) -> None:
        self.args = args
        self.log = log
        self.code = code  # a checkout of Corral to run instead of this one
        self.open_files = open_files  # its (soft, hard) open-file limits; None: this process's
        self.proc: subprocess.Popen | None = None

    def start(self) -> FarmProcess:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "app", *self.args],
                cwd=self.code,  # `-m app` imports the package of the working directory first
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                preexec_fn=self._limit if self.open_files else None,
            )
        return self

    def _limit(self) -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_NOFILE, self.open_files)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: no chance to clean up."""
        if self.running():
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self, timeout: float = 20) -> int | None:
        """SIGTERM, then SIGKILL if it does not exit in time; returns the exit code."""
        if not self.running():
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None


class LocalFarm:
    """A server and its renders in one folder; stop() ends them all. `code`: a checkout of
    Corral whose server and renders to run (bench/ab.py), by default this one.

    Once the server has started, `client` holds the admin token of its data folder, and renders
    join with its farm secret (each keeping its render token in this folder)."""

    def __init__(self, folder: Path, code: Path | None = None) -> None:
        self.folder = Path(folder)
        self.code = code
        self.data = self.folder / "data"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.admin_token: str | None = None  # read from the data folder once the server started
        self.client: Client | None = None  # with the admin token, once the server started
        self.server: FarmProcess | None = None
        self.renders: dict[str, FarmProcess] = {}

    def start_server(
        self, *extra: str, timeout: float = 30, open_files: tuple[int, int] | None = None
    ) -> FarmProcess:
        """The server, with extra arguments; open_files: its (soft, hard) open-file limits."""
        args = ["server", "--port", str(self.port), "--data", str(self.data), *extra]
        log = self.folder / "server.log"
        self.server = FarmProcess(args, log, self.code, open_files).start()
        deadline = time.monotonic() + timeout
        while not self._healthy():
            if not self.server.running():
                raise RuntimeError(f"server exited with {self.server.proc.returncode}")
            if time.monotonic() > deadline:
                raise TimeoutError("server did not answer in time")
            time.sleep(0.05)
        if (self.data / ADMIN_TOKEN_FILE).exists():  # a revision without tokens has none (ab)
            self.admin_token = read_secret(self.data / ADMIN_TOKEN_FILE)
        self.client = Client(self.url, timeout=30, token=self.admin_token)
        return self.server

    @property
    def farm_secret_file(self) -> Path:
        return self.data / FARM_SECRET_FILE

    @property
    def farm_secret(self) -> str | None:
        """The farm secret renders join with (None: a revision without one, see bench/ab.py)."""
        path = self.farm_secret_file
        return read_secret(path) if path.exists() else None

    @property
    def auth_header(self) -> dict[str, str]:
        """The admin's Authorization header, for requests made without `client` (none from a
        revision without tokens)."""
        return {"Authorization": f"Bearer {self.admin_token}"} if self.admin_token else {}

    def start_render(self, name: str, max_tasks: int | None = None, *extra: str) -> FarmProcess:
        """A render; without max_tasks its pool decides how many tasks it runs at once."""
        args = ["render", "--server", self.url, "--name", name]
        if self.farm_secret_file.exists():
            args += ["--farm-secret-file", str(self.farm_secret_file)]
            args += ["--token-file", str(self.folder / f"render-{name}.token")]
        args += extra
        if max_tasks is not None:
            args += ["--max-tasks", str(max_tasks)]
        render = FarmProcess(args, self.folder / f"render-{name}.log", self.code).start()
        self.renders[name] = render
        return render

    def online_renders(self) -> list[dict]:
        return [render for render in self.client.renders() if render["online"]]

    def logs(self, tail: int = 3000) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-tail:]}"
            for p in sorted(self.folder.glob("*.log"))
        )

    def stop(self) -> None:
        for render in self.renders.values():
            render.stop()
        if self.server:
            self.server.stop()

    def _healthy(self) -> bool:
        """Whether the server answers /api/v1/health (public: no token needed)."""
        try:
            with _DIRECT.open(self.url + "/api/v1/health", timeout=5) as answer:
                return bool(json.load(answer)["ok"])
        except (OSError, ValueError, KeyError):
            return False
