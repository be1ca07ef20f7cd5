"""Real farm processes on loopback: the server and render clients as subprocesses."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from bench.local_farm import LocalFarm


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


class Farm(LocalFarm):
    """A LocalFarm with test-friendly waits that fail the test with the farm's logs."""

    def wait_renders(self, count: int, timeout: float = 30) -> list[dict]:
        return wait_until(lambda: len(self.online_renders()) >= count and self.online_renders(),
                          timeout)  # fmt: skip

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
