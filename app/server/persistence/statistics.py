"""The statistics the web page draws (GET /api/v1/stats/...): aggregates over the runs that
ended within a time range (schema.StatRun), on SQLite and PostgreSQL alike.

Each function is a blocking read: call it off the event loop. Times are epoch seconds; a range
is [start, end).
"""

from __future__ import annotations

import math

from peewee import SQL, Case, SqliteDatabase, fn

from app.protocol import RUN_DONE, RUN_ERROR, RUN_SKIPPED
from app.server.persistence.schema import RenderRow, StatRun, database

# what the counts can be grouped by: its name in the API -> its column
GROUPS = {
    "user": StatRun.user_name,
    "project": StatRun.project,
    "department": StatRun.department,
    "service": StatRun.service,
    "host": StatRun.render,
    "pool": StatRun.pool,
}
# bucket widths, in seconds: a range is cut into at most MAX_BUCKETS of the narrowest that fits
STEPS = (60, 300, 900, 3600, 3 * 3600, 6 * 3600, 86400, 7 * 86400, 30 * 86400)
MAX_BUCKETS = 200
SLOWEST_MAX = 1000
TOP_GROUPS = 12  # over time, the groups with the most render hours; the rest are summed
OTHER = "(other)"


def step_for(start: float, end: float) -> int:
    """The bucket width for a range: the narrowest of STEPS giving at most MAX_BUCKETS."""
    for step in STEPS:
        if (end - start) / step <= MAX_BUCKETS:
            return step
    return STEPS[-1]


def _in_range(start: float, end: float):
    return (StatRun.time_done >= start) & (StatRun.time_done < end)


def _bucket(step: int):
    """The bucket of a run's end: buckets are whole steps since the epoch, so a day's is a UTC
    day (SQLite truncates a cast; PostgreSQL would round)."""
    ratio = StatRun.time_done / step
    if isinstance(database.obj, SqliteDatabase):
        return ratio.cast("INTEGER")
    return fn.FLOOR(ratio)


def _hours(seconds) -> float:
    return round(float(seconds or 0) / 3600, 4)


def over_time(start: float, end: float, by: str) -> dict:
    """Render hours and ended runs per bucket and group: {"step", "rows": [{"time", "key",
    "render_hours", "runs"}]}, by bucket then group; past the TOP_GROUPS groups with the most
    render hours, the others are summed as OTHER (in the database: a farm has hundreds of
    hosts)."""
    step = step_for(start, end)
    column = GROUPS[by]
    top = [
        key
        for (key,) in StatRun.select(column)
        .where(_in_range(start, end))
        .group_by(column)
        .order_by(fn.SUM(StatRun.run_time).desc(), column)
        .limit(TOP_GROUPS)
        .tuples()
    ]
    group = Case(None, [(column.in_(top), column)], OTHER) if top else column
    query = (
        StatRun.select(_bucket(step), group, fn.SUM(StatRun.run_time), fn.COUNT(SQL("*")))
        .where(_in_range(start, end))
        .group_by(SQL("1"), SQL("2"))
        .order_by(SQL("1"), SQL("2"))
        .tuples()
    )
    rows = [
        {"time": int(n) * step, "key": key, "render_hours": _hours(seconds), "runs": count}
        for n, key, seconds, count in query
    ]
    return {"step": step, "rows": rows}


def _count(state: str):
    return fn.SUM(Case(None, [(StatRun.state == state, 1)], 0))


def breakdown(start: float, end: float, by: str) -> list[dict]:
    """Per group: runs by how they ended, error rate, render and CPU hours, longest run and
    highest peak memory; the busiest group first."""
    column = GROUPS[by]
    query = (
        StatRun.select(
            column,
            fn.COUNT(SQL("*")),
            _count(RUN_DONE),
            _count(RUN_ERROR),
            _count(RUN_SKIPPED),
            fn.SUM(StatRun.run_time),
            fn.SUM(StatRun.cpu_seconds),
            fn.MAX(StatRun.run_time),
            fn.MAX(StatRun.peak_rss_mb),
        )
        .where(_in_range(start, end))
        .group_by(column)
        .order_by(fn.SUM(StatRun.run_time).desc(), column)
        .tuples()
    )
    return [
        {
            "key": key,
            "runs": runs,
            "done": int(done),
            "errors": int(errors),
            "skipped": int(skipped),
            "other": runs - int(done) - int(errors) - int(skipped),  # stopped or lost
            "error_rate": round(int(errors) / runs, 4),
            "render_hours": _hours(run_time),
            "cpu_hours": _hours(cpu),
            "longest_run": float(longest or 0),
            "peak_rss_mb": peak,
        }
        for key, runs, done, errors, skipped, run_time, cpu, longest, peak in query
    ]


SLOWEST_FIELDS = (
    "job_id",
    "job_name",
    "block_name",
    "task",
    "run",
    "user_name",
    "project",
    "service",
    "render",
    "state",
    "time_done",
    "run_time",
    "peak_rss_mb",
)


def slowest(start: float, end: float, limit: int) -> list[dict]:
    """The longest runs that ended in the range, longest first."""
    query = (
        StatRun.select(*(getattr(StatRun, name) for name in SLOWEST_FIELDS))
        .where(_in_range(start, end))
        .order_by(StatRun.run_time.desc())
        .limit(limit)
        .tuples()
    )
    return [dict(zip(SLOWEST_FIELDS, row, strict=True)) for row in query]


def utilisation(start: float, end: float) -> dict:
    """Busy and free capacity per bucket, every bucket of the range: {"step", "capacity",
    "rows": [{"time", "busy", "free"}]}. Busy is the capacity the runs ending in the bucket
    held, averaged over it (a run counts where it ends); capacity is what the known renders
    have now."""
    step = step_for(start, end)
    capacity = int(RenderRow.select(fn.COALESCE(fn.SUM(RenderRow.capacity), 0)).scalar() or 0)
    held = fn.SUM(StatRun.capacity * StatRun.run_time)
    query = (
        StatRun.select(_bucket(step), held)
        .where(_in_range(start, end))
        .group_by(SQL("1"))
        .order_by(SQL("1"))
        .tuples()
    )
    held_by_bucket = {int(n): float(seconds or 0) for n, seconds in query}
    rows = []
    for n in range(math.floor(start / step), math.ceil(end / step)):  # idle buckets too
        busy = round(held_by_bucket.get(n, 0.0) / step, 1)
        rows.append({"time": n * step, "busy": busy, "free": max(0, capacity - busy)})
    return {"step": step, "capacity": capacity, "rows": rows}
