"""The traffic counters: keys only from known types, rates from the samples."""

from __future__ import annotations

from app.server.traffic import Traffic


def test_a_message_of_an_unknown_or_malformed_type_counts_as_other():
    traffic = Traffic()
    for kind in ("result", "result", "nonsense", None, ["result"], {"a": 1}, 7):
        traffic.message_in("render", kind, frozenset({"result"}))
    assert traffic.messages_in == {"render result": 2, "render other": 5}


def test_decisions_per_second_over_the_samples():
    now = [100.0]
    traffic = Traffic(clock=lambda: now[0])
    assert traffic.decisions_per_second() == 0.0
    for _ in range(15):
        traffic.sample()
        traffic.decisions += 30
        now[0] += 1.0
    assert traffic.decisions_per_second() == 30.0
    assert traffic.summary(renders=2, monitors=1)["decisions"] == 450
