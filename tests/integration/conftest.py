"""Real farm processes on loopback: the server and render clients as subprocesses.

Fixtures for a farm of the test's own (`farm`), one server for a module's tests (`server`),
gate files (`gates`) and the `corral` command run in this process (`cli`, `farm_cli`). The
scenarios' job builders and waits are in scenarios.py; the render protocol spoken by hand is in
render_by_hand.py.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest

from app.cli import main
from app.credentials import TOKEN_ENV
from bench.local_farm import LocalFarm
from tests.integration.scenarios import Gates
from tests.polling import wait_until

CliRun = Callable[..., tuple[int, str, str]]
RENDER = "cli-render"  # the render of farm_cli


class Farm(LocalFarm):
    """A LocalFarm with test-friendly waits that fail the test with the farm's logs."""

    def wait_renders(self, count: int, timeout: float = 30) -> list[dict]:
        return wait_until(
            lambda: len(self.online_renders()) >= count and self.online_renders(), timeout
        )

    def start_renders(self, renders: dict[str, int | None], *args: str) -> list[dict]:
        """Renders {name: max_tasks (None: as their pool says)}, each started with args; returns
        the online renders once these are among them."""
        online = len(self.online_renders())
        for name, max_tasks in renders.items():
            self.start_render(name, max_tasks, *args)
        return self.wait_renders(online + len(renders))

    def wait_job_done(self, job_id: int, timeout: float = 120) -> dict:
        def done():
            job = self.client.job(job_id)
            return job if job["state"] == "DON" else None

        try:
            return wait_until(done, timeout, every=0.2)
        except pytest.fail.Exception:
            print(self.logs())
            raise


@pytest.fixture
def farm(tmp_path):
    farm = Farm(tmp_path)
    yield farm
    farm.stop()


@pytest.fixture
def gates(tmp_path) -> Gates:
    """Gate files in this test's folder: gated tasks run until their gate is opened."""
    return Gates(tmp_path / "gates")


@pytest.fixture(scope="module")
def server(tmp_path_factory, request) -> Iterator[LocalFarm]:
    """One server for all the tests of a module; it must stop cleanly at the end."""
    farm = LocalFarm(tmp_path_factory.mktemp(request.module.__name__.rpartition(".")[2]))
    farm.start_server()
    yield farm
    farm.stop()
    assert farm.server.proc.returncode == 0, f"the server did not stop cleanly:\n{farm.logs()}"


def in_process(url: str, capsys, token: str | None) -> CliRun:
    """main() in this process against url with token (as $CORRAL_TOKEN): run(*args) ->
    (exit code, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        before = os.environ.pop(TOKEN_ENV, None)
        if token is not None:
            os.environ[TOKEN_ENV] = token
        try:
            code = main(["--server", url, *args])
        finally:
            os.environ.pop(TOKEN_ENV, None)
            if before is not None:
                os.environ[TOKEN_ENV] = before
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def cli(server, capsys) -> CliRun:
    """The `corral` command run in this process against the module's server."""
    return in_process(server.url, capsys, server.admin_token)


@pytest.fixture
def farm_cli(farm, capsys) -> CliRun:
    """The `corral` command run in this process against a farm of this test's own with one
    render, RENDER, of two slots."""
    farm.start_server()
    farm.start_renders({RENDER: 2})
    return in_process(farm.url, capsys, farm.admin_token)
