"""How the render agent reads the server's messages: acknowledgements on any message, the older
one-`seq` form, and malformed parts that must not cost the rest of the message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.render.agent import RenderAgent, _ExitOrdered
from app.render.config import RenderConfig


@pytest.fixture
def agent(tmp_path: Path) -> RenderAgent:
    agent = RenderAgent(RenderConfig(server_url="http://127.0.0.1:1", tmp_dir=tmp_path))
    agent._results = {seq: {"type": "result", "seq": seq} for seq in (1, 2, 3, 4)}
    return agent


def test_acknowledgements_on_any_message_forget_those_results(agent):
    agent._dispatch(json.dumps({"type": "error", "error": "bad message", "acks": [1, 3]}))
    assert sorted(agent._results) == [2, 4]
    agent._dispatch(json.dumps({"type": "ack", "acks": [2, 99]}))  # 99: already forgotten
    assert sorted(agent._results) == [4]


def test_an_older_server_acknowledges_one_seq(agent):
    agent._dispatch(json.dumps({"type": "ack", "seq": 2}))
    assert sorted(agent._results) == [1, 3, 4]


def test_malformed_acknowledgements_do_not_cost_the_message(agent):
    agent._dispatch(json.dumps({"type": "ack", "acks": ["1"]}))
    agent._dispatch(json.dumps({"type": "ack", "acks": 1}))
    assert sorted(agent._results) == [1, 2, 3, 4]
    with pytest.raises(_ExitOrdered):  # the exit order is obeyed all the same
        agent._dispatch(json.dumps({"type": "exit", "acks": {"seq": 1}}))
