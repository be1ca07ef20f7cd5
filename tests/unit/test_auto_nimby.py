"""Render states automation rules (app/core/auto_nimby.py) with a fake clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from app.core.auto_nimby import AutoNimby, busy_reasons, check, figures, not_idle_reasons
from app.core.pools import PoolTree
from app.platform import local_time

QUIET = {
    "cpu_idle": 97.0,
    "cpu_nice": 0.0,
    "mem_total_mb": 1000,
    "mem_free_mb": 800,
    "swap_total_mb": 0,
    "swap_used_mb": 0,
    "hdd_free_gb": 100.0,
    "hdd_busy": 1.0,
    "net_recv_kbsec": 10.0,
    "net_send_kbsec": 10.0,
    "idle_seconds": 600.0,
}


def settings(**values):
    tree = PoolTree()
    tree.edit("/", values)
    return tree.effective("/")


USER = settings(idle_user_time=60, busy_nimby_time=10, idle_free_time=20)


def run(auto, times, resources, cfg, state="free", has_tasks=False):
    """update() at each time; the list of answers."""
    return [auto.update(t, resources, cfg, state, has_tasks, local_time) for t in times]


def test_user_active_for_less_than_busy_nimby_time_changes_nothing():
    auto = AutoNimby()
    active = {**QUIET, "idle_seconds": 5.0}
    assert run(auto, [0, 5, 9.9], active, USER) == [None, None, None]


def test_user_active_long_enough_turns_nimby_with_a_reason():
    auto = AutoNimby()
    active = {**QUIET, "idle_seconds": 5.0}
    assert run(auto, [0, 5, 10], active, USER) == [None, None, "NIMBY"]
    assert "user active" in auto.reason and "idle_user_time 60" in auto.reason


def test_interruption_resets_the_busy_timer():
    auto = AutoNimby()
    active = {**QUIET, "idle_seconds": 5.0}
    assert run(auto, [0, 8], active, USER) == [None, None]
    assert auto.update(9, QUIET, USER, "free", False, local_time) is None  # idle a moment
    assert run(auto, [10, 19], active, USER) == [None, None]
    assert auto.update(20, active, USER, "free", False, local_time) == "NIMBY"


def test_a_render_with_tasks_or_not_free_is_not_made_nimby():
    active = {**QUIET, "idle_seconds": 5.0}
    assert run(AutoNimby(), [0, 100], active, USER, has_tasks=True) == [None, None]
    assert run(AutoNimby(), [0, 100], active, USER, state="nimby") == [None, None]


def test_idle_frees_after_idle_free_time():
    auto = AutoNimby()
    assert run(auto, [0, 10, 19.9, 20], QUIET, USER, state="NIMBY") == [None, None, None, "free"]
    assert "idle for 20 s" in auto.reason
    auto = AutoNimby()
    assert run(auto, [0, 20], QUIET, USER, state="nimby") == [None, "free"]


def test_interruption_resets_the_idle_timer():
    auto = AutoNimby()
    active = {**QUIET, "idle_seconds": 5.0}
    assert run(auto, [0, 15], QUIET, USER, state="NIMBY") == [None, None]
    assert auto.update(16, active, USER, "NIMBY", False, local_time) is None
    assert run(auto, [17, 36], QUIET, USER, state="NIMBY") == [None, None]
    assert auto.update(37, QUIET, USER, "NIMBY", False, local_time) == "free"


def test_free_render_is_not_freed_and_idle_machine_is_not_made_nimby():
    assert run(AutoNimby(), [0, 100], QUIET, USER) == [None, None]


def test_paused_render_is_untouched():
    active = {**QUIET, "idle_seconds": 5.0}
    assert run(AutoNimby(), [0, 100, 200], active, USER, state="paused") == [None] * 3
    assert run(AutoNimby(), [0, 100, 200], QUIET, USER, state="paused") == [None] * 3


def test_off_by_default_and_minus_one_thresholds_ignored():
    cfg = settings()
    assert cfg.busy_nimby_time == -1 and cfg.idle_user_time == -1
    hot = {**QUIET, "cpu_idle": 0.0, "idle_seconds": 0.0, "mem_free_mb": 0}
    assert run(AutoNimby(), [0, 1000], hot, cfg) == [None, None]
    # busy_nimby_time on, but every threshold -1: never busy
    cfg = settings(busy_nimby_time=1)
    assert busy_reasons(hot, cfg) == []
    assert run(AutoNimby(), [0, 1000], hot, cfg) == [None, None]
    # idle_free_time on, no idle threshold: idle (Afanasy frees even a hand-set nimby)
    cfg = settings(idle_free_time=1, busy_cpu=-1, idle_cpu=-1)
    assert not_idle_reasons(hot, cfg) == []
    assert run(AutoNimby(), [0, 1], hot, cfg, state="nimby") == [None, "free"]


@pytest.mark.parametrize(
    ("key", "busy", "idle", "change"),
    [
        ("cpu", 50, 10, {"cpu_idle": 30.0}),  # 70 % busy
        ("mem", 90, 50, {"mem_free_mb": 50}),  # 95 % used
        ("swp", 50, 10, {"swap_total_mb": 100, "swap_used_mb": 60}),
        ("hddgb", 10, 20, {"hdd_free_gb": 5.0}),  # free at or below busy_hddgb: busy
        ("hddio", 50, 10, {"hdd_busy": 80.0}),
        ("netmbs", 10, 1, {"net_recv_kbsec": 20480.0}),  # 20 MB/s
    ],
)
def test_each_threshold(key, busy, idle, change):
    cfg = settings(
        busy_nimby_time=5, idle_free_time=5, **{f"busy_{key}": busy, f"idle_{key}": idle}
    )
    loaded = {**QUIET, **change}
    assert busy_reasons(QUIET, cfg) == []
    assert busy_reasons(loaded, cfg) and f"busy_{key}" in busy_reasons(loaded, cfg)[0]
    assert not_idle_reasons(QUIET, cfg) == []
    assert not_idle_reasons(loaded, cfg)
    assert run(AutoNimby(), [0, 5], loaded, cfg) == [None, "NIMBY"]
    assert run(AutoNimby(), [0, 5], loaded, cfg, state="NIMBY") == [None, None]
    assert run(AutoNimby(), [0, 5], QUIET, cfg, state="NIMBY") == [None, "free"]


def test_unknown_figures_neither_busy_nor_idle():
    cfg = replace(USER, idle_cpu=50)
    blind = {}
    assert figures(blind)["user"] is None
    assert busy_reasons(blind, cfg) == []
    assert set(not_idle_reasons(blind, cfg)) == {
        "no cpu figure (idle_cpu 50)",
        "user idle time unknown",
    }
    assert run(AutoNimby(), [0, 100], blind, cfg) == [None, None]
    assert run(AutoNimby(), [0, 100], blind, cfg, state="NIMBY") == [None, None]


def test_niced_cpu_does_not_count():
    assert figures({"cpu_idle": 10.0, "cpu_nice": 85.0})["cpu"] == pytest.approx(5.0)


class FakeRender:
    def __init__(self):
        self.name, self.nimby, self.paused, self.runs = "ws1", "free", False, {}
        self.resources = {**QUIET, "idle_seconds": 1.0}


def test_check_keeps_timers_per_render():
    one, two = FakeRender(), FakeRender()
    assert check(one, USER, 0, local_time) is None
    assert check(two, USER, 9, local_time) is None
    state, reason = check(one, USER, 10, local_time)
    assert state == "NIMBY" and "user active" in reason
    assert check(two, USER, 10, local_time) is None
    one.paused = True
    one.nimby = "NIMBY"
    one.resources = dict(QUIET)
    assert check(one, USER, 100, local_time) is None and check(one, USER, 1000, local_time) is None


# ---------------------------------------------------------------- render hours


def local(day, hour, minute=0):
    """Clock seconds for a server-local wall time (2024-01-01 is a Monday)."""
    return datetime(2024, 1, day, hour, minute).timestamp()


NIGHTS = settings(render_hours="20:00-08:00")


def test_outside_render_hours_turns_nimby_and_inside_frees_it():
    auto = AutoNimby()
    assert auto.update(local(1, 21), QUIET, NIGHTS, "free", False, local_time) is None
    assert auto.update(local(2, 7, 59), QUIET, NIGHTS, "free", False, local_time) is None
    assert auto.update(local(2, 8), QUIET, NIGHTS, "free", False, local_time) == "NIMBY"
    assert auto.reason.startswith("outside render_hours '20:00-08:00'")
    assert "until Tue 20:00" in auto.reason
    assert auto.update(local(2, 19, 59), QUIET, NIGHTS, "NIMBY", False, local_time) is None
    assert auto.update(local(2, 20), QUIET, NIGHTS, "NIMBY", False, local_time) == "free"
    assert "inside render_hours" in auto.reason


def test_outside_render_hours_even_with_tasks_and_busy_user():
    active = {**QUIET, "idle_seconds": 1.0}
    cfg = replace(USER, render_hours="20:00-08:00")
    assert AutoNimby().update(local(1, 12), active, cfg, "free", True, local_time) == "NIMBY"


def test_render_hours_leave_a_persons_nimby_alone():
    auto = AutoNimby()
    for state in ("NIMBY", "nimby"):
        assert auto.update(local(1, 12), QUIET, NIGHTS, state, False, local_time) is None
        assert auto.update(local(1, 21), QUIET, NIGHTS, state, False, local_time) is None
    # made NIMBY by the hours, then a person sets nimby and NIMBY again: theirs now
    assert auto.update(local(2, 12), QUIET, NIGHTS, "free", False, local_time) == "NIMBY"
    assert auto.update(local(2, 13), QUIET, NIGHTS, "nimby", False, local_time) is None
    assert auto.update(local(2, 14), QUIET, NIGHTS, "NIMBY", False, local_time) is None
    assert auto.update(local(2, 21), QUIET, NIGHTS, "NIMBY", False, local_time) is None


def test_render_hours_leave_a_busy_rule_nimby_alone():
    cfg = replace(USER, render_hours="20:00-08:00")
    active = {**QUIET, "idle_seconds": 1.0}
    auto = AutoNimby()
    t0 = local(1, 21)
    assert run(auto, [t0, t0 + 10], active, cfg) == [None, "NIMBY"]
    assert "user active" in auto.reason
    # still busy at the next evening: the hours rule does not free it
    assert auto.update(local(2, 21), active, cfg, "NIMBY", False, local_time) is None


def test_outside_hours_the_idle_rule_waits():
    cfg = replace(USER, render_hours="20:00-08:00")
    auto = AutoNimby()
    times = [local(1, 12), local(1, 12) + 100]
    assert run(auto, times, QUIET, cfg, state="NIMBY") == [None, None]
    assert run(auto, [local(1, 20), local(1, 20) + 20], QUIET, cfg, state="NIMBY") == [
        None,
        "free",
    ]


def test_removing_render_hours_frees_what_they_made_nimby():
    auto = AutoNimby()
    assert auto.update(local(1, 12), QUIET, NIGHTS, "free", False, local_time) == "NIMBY"
    assert auto.update(local(1, 13), QUIET, settings(), "NIMBY", False, local_time) == "free"
    assert auto.reason == "render_hours removed"


def test_check_applies_render_hours_with_the_clock():
    render = FakeRender()
    render.resources = dict(QUIET)
    state, reason = check(render, NIGHTS, local(3, 9), local_time)
    assert state == "NIMBY" and reason.startswith("outside render_hours")
    render.nimby = "NIMBY"
    assert check(render, NIGHTS, local(3, 10), local_time) is None
    assert check(render, NIGHTS, local(3, 22), local_time)[0] == "free"


def test_render_hours_read_the_callers_local_time_only_when_set():
    def at(hour):
        return lambda now: datetime(2024, 1, 1, hour)  # a Monday, whatever the clock says

    assert AutoNimby().update(0, QUIET, NIGHTS, "free", False, at(21)) is None
    assert AutoNimby().update(0, QUIET, NIGHTS, "free", False, at(12)) == "NIMBY"

    def unused(now):
        raise AssertionError("no render hours: local time is not needed")

    assert AutoNimby().update(0, QUIET, USER, "free", False, unused) is None
