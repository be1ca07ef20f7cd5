"""Hypothesis-generated messages of every type, and garbage, over a live server's render and
events sockets, next to a real render running a job. The server answers every malformed message
with an error and keeps the socket (or closes only that socket, after an error naming the
reason), keeps the well-behaved render connected throughout, and stays healthy."""

from __future__ import annotations

import asyncio
import itertools
import json

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.api import numeric_job
from app.protocol import KEY_FIELDS, RESULT_FIELDS
from tests.integration.render_by_hand import hello, render_socket

EXAMPLES = 100  # per socket
STEADY = "steady"  # the well-behaved render
SENTINEL = "[]"  # after the generated frames: its error answer ends the exchange
SENTINEL_ERROR = "expected a JSON object"
FIELDS = {  # the fields of each message type a render sends (docs/protocol.md)
    "register": ("name", "protocol", "max_tasks", "capacity", "host", "running", "finished")
    + ("state", "draining"),
    "result": ("seq", *KEY_FIELDS, *RESULT_FIELDS),
    "output": (*KEY_FIELDS, "data"),
    "progress": (*KEY_FIELDS, "percent", "frame"),
    "started": KEY_FIELDS,
    "heartbeat": ("resources",),
}
MONITOR_FIELDS = {  # the messages a monitor sends on the events socket
    kind: KEY_FIELDS if kind.endswith("output") else KEY_FIELDS[:2]
    for kind in ("watch_block", "unwatch_block", "watch_output", "unwatch_output")
}

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()  # NaN and infinities too: Python's json reads them
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)
VALUE = JSON | st.integers(min_value=-1, max_value=3)  # small numbers hit existing runs


def messages(fields: dict[str, tuple[str, ...]]) -> st.SearchStrategy[dict]:
    """Messages of every type, each field absent, plausible or any JSON value."""
    return st.sampled_from(sorted(fields)).flatmap(
        lambda kind: st.fixed_dictionaries(
            {"type": st.just(kind)}, optional=dict.fromkeys(fields[kind], VALUE)
        )
    )


def frames(fields: dict[str, tuple[str, ...]]) -> st.SearchStrategy[list]:
    """What a peer sends: messages, any JSON, any text, binary frames."""
    frame = (
        messages(fields).map(json.dumps)
        | JSON.map(json.dumps)
        | st.text(max_size=40)
        | st.binary(max_size=40)
    )
    return st.lists(frame, max_size=8)


async def exchange(ws: aiohttp.ClientWebSocketResponse, sent: list) -> list[dict]:
    """Send the frames then the sentinel; the server's messages up to the sentinel's error (or
    up to the socket's close)."""
    for frame in [*sent, SENTINEL]:
        if isinstance(frame, bytes):
            await ws.send_bytes(frame)
        else:
            await ws.send_str(frame)
    answers = []
    while True:
        frame = await ws.receive(timeout=20)
        if frame.type != aiohttp.WSMsgType.TEXT:
            return answers
        answers.append(json.loads(frame.data))
        if _sentinel_answered(answers):
            return answers


def check_answers(answers: list[dict], closed_early: bool) -> None:
    """Every answer a typed object, every error worded; a socket closed before the sentinel was
    answered was told why first."""
    assert all(isinstance(a, dict) and isinstance(a.get("type"), str) for a in answers), answers
    errors = [a for a in answers if a["type"] == "error"]
    assert all(isinstance(e["error"], str) and e["error"] for e in errors), errors
    if closed_early:
        assert errors, f"closed without a reason after {answers}"


@pytest.fixture
def steady_farm(farm):
    """A farm with one well-behaved render running a long job."""
    farm.start_server()
    farm.start_renders({STEADY: 1})
    farm.client.submit(numeric_job("steady", "sleep 0.2", 1, 200))
    return farm


def test_garbage_on_the_sockets_harms_no_one_else(steady_farm):
    farm = steady_farm
    (before,) = [r for r in farm.client.renders() if r["name"] == STEADY]
    names = (f"fuzz{n}" for n in itertools.count())
    settings_ = settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )

    @settings_
    @given(sent=frames(FIELDS), registers=st.booleans())
    def render_socket_fuzz(sent, registers):
        async def run():
            async with render_socket(farm) as ws:
                if registers:
                    await ws.send_json(hello(next(names)))
                answers = await exchange(ws, sent)
                check_answers(answers, closed_early=not _sentinel_answered(answers))

        asyncio.run(run())
        assert farm.client.health()["ok"]

    @settings_
    @given(sent=frames(MONITOR_FIELDS))
    def events_socket_fuzz(sent):
        async def run():
            headers = {"Authorization": f"Bearer {farm.admin_token}"}
            async with (
                aiohttp.ClientSession() as session,
                session.ws_connect(f"{farm.url}/api/v1/events", headers=headers) as ws,
            ):
                answers = await exchange(ws, sent)
                check_answers(answers, closed_early=not _sentinel_answered(answers))

        asyncio.run(run())
        assert farm.client.health()["ok"]

    render_socket_fuzz()
    events_socket_fuzz()

    (after,) = [r for r in farm.client.renders() if r["name"] == STEADY]
    assert after["online"] and after["time_registered"] == before["time_registered"]
    job_id = farm.client.submit(numeric_job("after", "true", 1, 2, priority=250))
    farm.wait_job_done(job_id)


def _sentinel_answered(answers: list[dict]) -> bool:
    return isinstance(answers[-1:], list) and any(
        isinstance(a, dict) and a.get("error") == SENTINEL_ERROR for a in answers[-1:]
    )
