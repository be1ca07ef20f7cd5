"""UI tests: real widgets offscreen, on the qasync loop, against a real server on loopback.

Every async test here runs on a qasync loop driven by the QApplication, as `corral monitor`
does. `farm` is a real server (bench/local_farm.py) with no renders yet; `client` is a
FarmClient connected to it (REST and events) and closed after the test.
"""

from __future__ import annotations

import asyncio
import time

import pytest


def pytest_asyncio_loop_factories(config, item):
    import qasync
    from PyQt6.QtWidgets import QApplication

    return {"qasync": lambda: qasync.QEventLoop(QApplication.instance() or QApplication([]))}


@pytest.fixture
def farm(own_server):
    return own_server


@pytest.fixture
async def client(farm, qapp):
    from app.ui.client import FarmClient

    client = FarmClient(farm.url)
    await client.start()
    await until(lambda: client.state == "online")
    yield client
    await client.close()


async def until(predicate, timeout: float = 20.0, every: float = 0.02):
    """Wait on the running (qasync) loop until predicate() is truthy; return its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s")
        await asyncio.sleep(every)
