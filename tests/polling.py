"""Waiting in tests for a condition: polled until true, the test failing once the time is up.
wait_until blocks (integration tests), until awaits on the running loop (UI tests)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest


class _Poll:
    """predicate() asked again and again; the test fails once timeout seconds have passed."""

    def __init__(self, predicate: Callable[[], object], timeout: float) -> None:
        self.predicate = predicate
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout

    def value(self) -> object:
        """predicate()'s value: truthy when met, falsy to ask again later."""
        value = self.predicate()
        if not value and time.monotonic() > self.deadline:
            pytest.fail(f"condition not met within {self.timeout} s: {self.predicate}")
        return value


def wait_until(predicate: Callable[[], object], timeout: float = 30.0, every: float = 0.05):
    """Poll until predicate() is truthy; returns its value or fails the test."""
    poll = _Poll(predicate, timeout)
    while not (value := poll.value()):
        time.sleep(every)
    return value


async def until(predicate: Callable[[], object], timeout: float = 20.0, every: float = 0.02):
    """Wait on the running (qasync) loop until predicate() is truthy; returns its value."""
    poll = _Poll(predicate, timeout)
    while not (value := poll.value()):
        await asyncio.sleep(every)
    return value
