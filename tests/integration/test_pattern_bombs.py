"""A catastrophic-backtracking pattern (a "regex bomb") as a bulk action mask or a regex hosts
mask: the server answers at once and keeps answering, and a pattern its engine refuses is a 400
naming the field."""

from __future__ import annotations

import pytest

from app.api import Client, CorralError, numeric_job
from tests.integration.scenarios import reason

BOMB = "(a+)+$"  # a backtracking engine takes 2^n steps to refuse n a's and a "!"
VICTIM = "a" * 40 + "!"
GUARD = 5  # seconds a call may take: generous; a backtracking engine needs hours for VICTIM


def _guarded(farm) -> Client:
    """The admin's client, giving up on a call after GUARD seconds."""
    return Client(farm.url, timeout=GUARD, token=farm.admin_token)


def test_bomb_mask_for_a_bulk_action(server):
    client = _guarded(server)
    victim = client.submit(numeric_job(VICTIM, "true", 1, 1, paused=True))
    assert client.jobs_action("start", mask=BOMB)["jobs"] == []
    assert client.health()["ok"]
    assert client.jobs_action("start", mask="a+!")["jobs"] == [victim]
    with pytest.raises(CorralError) as refused:  # backreferences are what RE2 leaves out
        client.jobs_action("start", mask=r"(a)\1+!")
    assert (refused.value.status, refused.value.field) == (400, "mask")


def test_bomb_hosts_mask(farm):
    farm.start_server()
    farm.start_renders({VICTIM: 1})
    client = _guarded(farm)
    spec = numeric_job("bomb", "true", 1, 1, hosts_mask=BOMB, hosts_mask_type="regex")
    job_id = client.submit(spec)  # offered to the render at once: the mask is matched here
    assert reason(client, job_id, VICTIM) == f"job hosts_mask '{BOMB}' does not match {VICTIM}"
    assert client.health()["ok"]
    assert client.render(VICTIM)["online"]
