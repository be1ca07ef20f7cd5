"""Render states automation: workstations turn NIMBY while in use and free when idle
(Afanasy's busy_nimby_time / idle_free_time).

Pure: :class:`AutoNimby` keeps one render's timers and answers, for each heartbeat's resources,
whether the render's nimby state should change. The settings come from the render's pool
chain (:class:`app.core.pools.PoolSettings`); a setting of -1 is off.

- **Busy -> NIMBY**: a render that is ``free`` with no tasks, whose machine is busy
  continuously for ``busy_nimby_time`` seconds, turns ``NIMBY``. Busy: any configured busy
  threshold crossed (CPU busy % >= ``busy_cpu``, memory used % >= ``busy_mem``, swap used %
  >= ``busy_swp``, disk free GB <= ``busy_hddgb``, disk I/O % >= ``busy_hddio``, network MB/s
  >= ``busy_netmbs``), or the user active: ``idle_seconds`` < ``idle_user_time``.
- **Idle -> free**: a render in ``nimby`` or ``NIMBY`` whose machine is idle continuously for
  ``idle_free_time`` seconds turns ``free``. Idle: every configured idle threshold satisfied
  (CPU % <= ``idle_cpu``, memory % <= ``idle_mem``, swap % <= ``idle_swp``, disk free GB >=
  ``idle_hddgb``, I/O % <= ``idle_hddio``, network MB/s <= ``idle_netmbs``) and the user idle:
  ``idle_seconds`` >= ``idle_user_time``. As in Afanasy, with ``idle_free_time`` set and no
  idle threshold configured the machine counts as idle, so even a nimby set by hand is freed.
- A figure the heartbeat lacks (None or missing, e.g. ``idle_seconds`` on a headless node)
  neither makes the machine busy nor lets it count as idle for that threshold.
- **Render hours** (pool key ``render_hours``, app/core/render_hours.py; "" = always), in the
  server's local time (the caller's ``local_time`` converts the clock to it) unless the text
  names a zone: outside the hours a ``free`` render turns ``NIMBY`` at once (running tasks
  finish) and the busy/idle rules wait; inside the hours a render that this rule made
  ``NIMBY`` turns ``free`` again. A NIMBY set by a person or by the busy rule is never freed by
  this rule (the render's :class:`AutoNimby` remembers why it set NIMBY; the memory lasts
  while the server runs). Checked on each heartbeat.
- A ``paused`` render is never changed; any other state change restarts the timers.

Figures, from the heartbeat resources (app/render/resources.py): CPU busy % = 100 - cpu_idle -
cpu_nice (niced processes, like farm tasks, do not count); memory used % from mem_free_mb
(available) and mem_total_mb; swap used % from swap_used_mb and swap_total_mb; hdd_free_gb;
hdd_busy; (net_recv_kbsec + net_send_kbsec) / 1024.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from app.core.errors import SpecError
from app.core.render_hours import Hours, parse_hours

log = logging.getLogger("corral.auto_nimby")

OFF = -1
NIMBY = "NIMBY"
FREE = "free"
PAUSED = "paused"  # render_state for a paused render

LocalTime = Callable[[float], datetime]  # clock seconds -> aware datetime, server's local time


class Settings(Protocol):  # the fields of PoolSettings used here
    busy_nimby_time: float
    idle_free_time: float
    idle_user_time: float
    busy_cpu: float
    idle_cpu: float
    busy_mem: float
    idle_mem: float
    busy_swp: float
    idle_swp: float
    busy_hddgb: float
    idle_hddgb: float
    busy_hddio: float
    idle_hddio: float
    busy_netmbs: float
    idle_netmbs: float
    render_hours: str


def _on(value: float | None) -> bool:
    return value is not None and value >= 0


def _num(resources: dict, key: str) -> float | None:
    value = resources.get(key)
    return float(value) if type(value) in (int, float) else None


def figures(resources: dict[str, Any]) -> dict[str, float | None]:
    """The compared figures: cpu, mem, swp (%), hddgb (free GB), hddio (%), netmbs (MB/s), and
    the user's idle seconds; None when the heartbeat does not tell."""
    idle, nice = _num(resources, "cpu_idle"), _num(resources, "cpu_nice")
    cpu = None if idle is None else max(0.0, 100.0 - idle - (nice or 0.0))
    total, free = _num(resources, "mem_total_mb"), _num(resources, "mem_free_mb")
    mem = 100.0 * (1 - free / total) if total and free is not None else None
    swap_total, swap_used = _num(resources, "swap_total_mb"), _num(resources, "swap_used_mb")
    if swap_total == 0:
        swp = 0.0
    else:
        swp = 100.0 * swap_used / swap_total if swap_total and swap_used is not None else None
    recv, send = _num(resources, "net_recv_kbsec"), _num(resources, "net_send_kbsec")
    net = None if recv is None and send is None else ((recv or 0.0) + (send or 0.0)) / 1024
    return {
        "cpu": cpu,
        "mem": mem,
        "swp": swp,
        "hddgb": _num(resources, "hdd_free_gb"),
        "hddio": _num(resources, "hdd_busy"),
        "netmbs": net,
        "user": _num(resources, "idle_seconds"),
    }


_UNITS = {
    "cpu": "% CPU",
    "mem": "% mem",
    "swp": "% swap",
    "hddgb": " GB free",
    "hddio": "% disk I/O",
    "netmbs": " MB/s net",
}


def busy_reasons(resources: dict[str, Any], settings: Settings) -> list[str]:
    """Why the machine is busy (empty: it is not)."""
    values = figures(resources)
    out = []
    for what, unit in _UNITS.items():
        limit, value = getattr(settings, f"busy_{what}"), values[what]
        if not _on(limit) or value is None:
            continue
        if (value <= limit) if what == "hddgb" else (value >= limit):
            out.append(f"{value:.4g}{unit} (busy_{what} {limit:g})")
    user, limit = values["user"], settings.idle_user_time
    if _on(limit) and user is not None and user < limit:
        out.append(f"user active {user:.0f} s ago (idle_user_time {limit:g})")
    return out


def not_idle_reasons(resources: dict[str, Any], settings: Settings) -> list[str]:
    """Why the machine is not idle (empty: every configured idle threshold is met)."""
    values = figures(resources)
    out = []
    for what, unit in _UNITS.items():
        limit, value = getattr(settings, f"idle_{what}"), values[what]
        if not _on(limit):
            continue
        if value is None:
            out.append(f"no {what} figure (idle_{what} {limit:g})")
        elif not ((value >= limit) if what == "hddgb" else (value <= limit)):
            out.append(f"{value:.4g}{unit} (idle_{what} {limit:g})")
    user, limit = values["user"], settings.idle_user_time
    if _on(limit):
        if user is None:
            out.append("user idle time unknown")
        elif user < limit:
            out.append(f"user active {user:.0f} s ago (idle_user_time {limit:g})")
    return out


def idle_description(resources: dict[str, Any], settings: Settings) -> str:
    values = figures(resources)
    parts = [
        f"{values[what]:.4g}{unit}"
        for what, unit in _UNITS.items()
        if _on(getattr(settings, f"idle_{what}")) and values[what] is not None
    ]
    if _on(settings.idle_user_time) and values["user"] is not None:
        parts.append(f"user idle {values['user']:.0f} s")
    return ", ".join(parts) or "no idle threshold set"


HOURS_REASON = "outside render_hours"


def render_hours(settings: Settings) -> Hours | None:
    """The parsed render hours of the settings; None when always (or unreadable)."""
    text = getattr(settings, "render_hours", "") or ""
    try:
        hours = parse_hours(text)
    except SpecError as exc:  # pools validate the key; be safe anyway
        log.warning("ignoring bad render_hours %r: %s", text, exc)
        return None
    return None if hours.always else hours


class AutoNimby:
    """One render's busy/idle timers. ``reason`` explains the last change; ``by_hours``:
    the render's NIMBY was set by the render hours rule (so that rule may lift it)."""

    def __init__(self) -> None:
        self.busy_since: float | None = None
        self.idle_since: float | None = None
        self.reason = ""
        self.by_hours = False

    def update(
        self,
        now: float,
        resources: dict[str, Any],
        settings: Settings,
        render_state: str,
        has_tasks: bool,
        local_time: LocalTime,
    ) -> str | None:
        """The render's new nimby state ("NIMBY" or "free"), or None to leave it.

        ``render_state`` is the render's nimby state ("free", "nimby", "NIMBY"), or "paused"
        for a paused render (never changed); ``local_time`` turns ``now`` into the server's
        local time (asked only when render hours apply)."""
        if render_state == PAUSED:
            self.busy_since = self.idle_since = None
            return None
        if render_state != NIMBY:
            self.by_hours = False  # someone changed the state since
        hours = render_hours(settings)
        if hours is not None or self.by_hours:
            when = local_time(now)
            if hours is not None and not hours.allows(when):
                self.busy_since = self.idle_since = None
                if render_state != FREE:
                    return None  # already not taking work; the idle rule waits too
                self.by_hours = True
                until = hours.next_change(when)
                self.reason = f"{HOURS_REASON} {hours.text!r}" + (
                    f" until {until:%a %H:%M}" if until else ""
                )
                return NIMBY
            if self.by_hours:  # inside the hours again (or the hours were removed)
                self.by_hours = False
                self.busy_since = self.idle_since = None
                self.reason = (
                    f"inside render_hours {hours.text!r}" if hours else "render_hours removed"
                )
                return FREE
        if render_state == FREE and not has_tasks and _on(settings.busy_nimby_time):
            reasons = busy_reasons(resources, settings)
            if reasons:
                if self.busy_since is None:
                    self.busy_since = now
                busy_for = now - self.busy_since
                if busy_for >= settings.busy_nimby_time:
                    self.busy_since = None
                    self.reason = f"busy for {busy_for:.0f} s: {'; '.join(reasons)}"
                    return NIMBY
            else:
                self.busy_since = None
        else:
            self.busy_since = None
        if render_state in ("nimby", NIMBY) and _on(settings.idle_free_time):
            if not not_idle_reasons(resources, settings):
                if self.idle_since is None:
                    self.idle_since = now
                idle_for = now - self.idle_since
                if idle_for >= settings.idle_free_time:
                    self.idle_since = None
                    self.reason = (
                        f"idle for {idle_for:.0f} s: {idle_description(resources, settings)}"
                    )
                    return FREE
            else:
                self.idle_since = None
        else:
            self.idle_since = None
        return None


_timers: weakref.WeakKeyDictionary[Any, AutoNimby] = weakref.WeakKeyDictionary()


def check(
    render: Any, settings: Settings, now: float, local_time: LocalTime
) -> tuple[str, str] | None:
    """The farm's hook: ``(new nimby state, reason)`` for a render (``nimby``, ``paused``,
    ``runs``, ``resources`` attributes) after a heartbeat, or None. Its timers live as long as
    the render object. ``local_time``: app.platform.local_time on the server."""
    auto = _timers.get(render)
    if auto is None:
        auto = _timers[render] = AutoNimby()
    state = PAUSED if render.paused else render.nimby
    change = auto.update(
        now, render.resources or {}, settings, state, bool(render.runs), local_time
    )
    if change is None:
        return None
    log.debug("render %s: %s (%s)", getattr(render, "name", "?"), change, auto.reason)
    return change, auto.reason
