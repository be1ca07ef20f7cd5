"""The statistics the web page draws (GET /api/v1/stats/...): aggregates over the runs that
ended within a time range (schema.StatRun), on SQLite and PostgreSQL alike.

Each query reads a range's whole quarter days and hours from their sums (stat_sums.py: one
row a period per grouping and key) and only its partial first and last hours from the runs
themselves, with the same answers as from the runs alone (`_partials`). Each function is a
blocking read: call it off the event loop. Times are epoch seconds; a range is [start, end).
"""

from __future__ import annotations

import math

from peewee import SQL, Case, Select, Value, fn

from app.protocol import RUN_DONE, RUN_ERROR, RUN_SKIPPED
from app.server.persistence.schema import RenderRow, StatRun, StatSum, database
from app.server.persistence.stat_sums import ALL, GROUPS, SPANS, floor_of, micro_of

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


def _is(state: str):
    return Case(None, [(StatRun.state == state, 1)], 0)


def _runs(start: float, end: float, grouping: str):
    """The runs that ended in [start, end), each as the partial sums of one: (t: when it ended,
    key, runs, done, errors, skipped, run_us, cpu_us, held_us, longest, peak_rss_mb)."""
    key = Value(ALL) if grouping == ALL else GROUPS[grouping]
    return StatRun.select(
        StatRun.time_done.alias("t"),
        key.alias("key"),
        Value(1).alias("runs"),
        _is(RUN_DONE).alias("done"),
        _is(RUN_ERROR).alias("errors"),
        _is(RUN_SKIPPED).alias("skipped"),
        micro_of(StatRun.run_time).alias("run_us"),
        micro_of(StatRun.cpu_seconds).alias("cpu_us"),
        (StatRun.capacity * micro_of(StatRun.run_time)).alias("held_us"),
        StatRun.run_time.alias("longest"),
        StatRun.peak_rss_mb.alias("peak_rss_mb"),
    ).where(_in_range(start, end))


def _sums(span: int, first: int, end: int, grouping: str):
    """The sums of the periods first..end-1 of a span as the same partial sums, a row a period
    and key (t: the period's start)."""
    return StatSum.select(
        (StatSum.period * span).alias("t"),
        StatSum.key,
        StatSum.runs,
        StatSum.done,
        StatSum.errors,
        StatSum.skipped,
        StatSum.run_us,
        StatSum.cpu_us,
        StatSum.held_us,
        StatSum.longest,
        StatSum.peak_rss_mb,
    ).where(
        (StatSum.grouping == grouping)
        & (StatSum.span == span)
        & (StatSum.period >= first)
        & (StatSum.period < end)
    )


def _partials(start: float, end: float, grouping: str, step: int | None = None):
    """The partial sums of every run that ended in [start, end) for a grouping: the sums of its
    whole periods, the longest first, and the runs of what is left at its ends. With a step,
    only the periods that fit whole in its buckets. Select from it as `p`."""
    spans = [span for span in reversed(SPANS) if step is None or step % span == 0]
    parts = _cover(start, end, grouping, spans)
    query = parts[0]
    for part in parts[1:]:
        query = query + part  # UNION ALL
    return query.alias("p")


def _cover(start: float, end: float, grouping: str, spans: list[int]) -> list:
    """Queries for [start, end): whole periods of spans[0], then the rest by the next spans."""
    if not spans:
        return [_runs(start, end, grouping)] if start < end else []
    span, rest = spans[0], spans[1:]
    first, last = math.ceil(start / span), math.floor(end / span)
    if first >= last:
        return _cover(start, end, grouping, rest)
    return [
        *_cover(start, first * span, grouping, rest),
        _sums(span, first, last, grouping),
        *_cover(last * span, end, grouping, rest),
    ]


def _select(parts, *columns) -> Select:
    return Select([parts], list(columns)).bind(database)


def _to_hours(microseconds) -> float:
    return round(int(microseconds or 0) / 3_600_000_000, 4)


def over_time(start: float, end: float, by: str) -> dict:
    """Render hours and ended runs per bucket and group: {"step", "rows": [{"time", "key",
    "render_hours", "runs"}]}, by bucket then group; past the TOP_GROUPS groups with the most
    render hours, the others are summed as OTHER (in the database: a farm has hundreds of
    hosts)."""
    step = step_for(start, end)
    parts = _partials(start, end, by, step)
    key, run_us = parts.c.key, fn.SUM(parts.c.run_us)
    busiest = _select(parts, key).group_by(key).order_by(run_us.desc(), key).limit(TOP_GROUPS)
    top = [name for (name,) in busiest.tuples()]
    group = Case(None, [(key.in_(top), key)], OTHER) if top else key
    query = (
        _select(parts, floor_of(parts.c.t, step), group, run_us, fn.SUM(parts.c.runs))
        .group_by(SQL("1"), SQL("2"))
        .order_by(SQL("1"), SQL("2"))
        .tuples()
    )
    rows = [
        {"time": int(n) * step, "key": key, "render_hours": _to_hours(micros), "runs": int(runs)}
        for n, key, micros, runs in query
    ]
    return {"step": step, "rows": rows}


def breakdown(start: float, end: float, by: str) -> list[dict]:
    """Per group: runs by how they ended, error rate, render and CPU hours, longest run and
    highest peak memory; the busiest group first."""
    parts = _partials(start, end, by)
    c = parts.c
    query = (
        _select(
            parts,
            c.key,
            fn.SUM(c.runs),
            fn.SUM(c.done),
            fn.SUM(c.errors),
            fn.SUM(c.skipped),
            fn.SUM(c.run_us),
            fn.SUM(c.cpu_us),
            fn.MAX(c.longest),
            fn.MAX(c.peak_rss_mb),
        )
        .group_by(c.key)
        .order_by(fn.SUM(c.run_us).desc(), c.key)
        .tuples()
    )
    answer = []
    for key, runs, done, errors, skipped, run_us, cpu_us, longest, peak in query:
        runs, done, errors, skipped = int(runs), int(done), int(errors), int(skipped)
        answer.append(
            {
                "key": key,
                "runs": runs,
                "done": done,
                "errors": errors,
                "skipped": skipped,
                "other": runs - done - errors - skipped,  # stopped or lost
                "error_rate": round(errors / runs, 4),
                "render_hours": _to_hours(run_us),
                "cpu_hours": _to_hours(cpu_us),
                "longest_run": float(longest or 0),
                "peak_rss_mb": peak,
            }
        )
    return answer


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
    parts = _partials(start, end, ALL, step)
    query = (
        _select(parts, floor_of(parts.c.t, step), fn.SUM(parts.c.held_us))
        .group_by(SQL("1"))
        .order_by(SQL("1"))
        .tuples()
    )
    held_by_bucket = {int(n): int(held or 0) / 1e6 for n, held in query}
    rows = []
    for n in range(math.floor(start / step), math.ceil(end / step)):  # idle buckets too
        busy = round(held_by_bucket.get(n, 0.0) / step, 1)
        rows.append({"time": n * step, "busy": busy, "free": max(0, capacity - busy)})
    return {"step": step, "capacity": capacity, "rows": rows}
