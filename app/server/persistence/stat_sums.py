"""The statistics' sums by period (schema.StatSum): what the runs of stat_run that ended in each
hour, and in each quarter day, add up to, per grouping and key, kept in step with stat_run.

Each batch of statistics rows adds its new runs to their periods' sums (`add`: one statement
for the batch, in the journal's transaction that writes the rows); an hour whose runs change
otherwise (a row written again, rows removed by retention) is summed again from its runs, and
its quarter day from its hours (`resum`). The statistics page (statistics.py) reads these sums
for the whole periods of a range and the runs themselves only for its partial first and last
hours.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from peewee import SQL, Case, Database, SqliteDatabase, Value, fn

from app.protocol import RUN_DONE, RUN_ERROR, RUN_SKIPPED
from app.server.persistence.schema import StatRun, StatSum, database

HOUR = 3600
# the periods summed, in seconds: hours, and quarter days for long ranges (every bucket of the
# statistics page from 6 hours up is a whole number of quarter days since the epoch)
SPANS = (HOUR, 6 * HOUR)
# what the statistics can be grouped by: its name in the API -> its stat_run column
GROUPS = {
    "user": StatRun.user_name,
    "project": StatRun.project,
    "department": StatRun.department,
    "service": StatRun.service,
    "host": StatRun.render,
    "pool": StatRun.pool,
}
ALL = ""  # the grouping (and key) that sums every run of a period
_COLUMNS = {ALL: None, **GROUPS}
_GROUPINGS = (ALL, *GROUPS)
_NAMES = [column.name for column in GROUPS.values()]  # the row's keys, in _GROUPINGS' order
_COUNTS = ("runs", "done", "errors", "skipped", "run_us", "cpu_us", "held_us")  # summed
_FIELDS = ("grouping", "span", "period", "key", *_COUNTS, "longest", "peak_rss_mb")


def hour_of(time_done: float) -> int:
    """The hour a run ended in: floor(time_done / 3600), as the database computes it."""
    return math.floor(time_done / HOUR)


def micro(seconds: float) -> int:
    """Seconds (not negative) as whole microseconds, rounded down, as the database does."""
    return math.floor(seconds * 1000000)


def floor_of(expression, step: int):
    """floor(expression / step) in SQL, for an expression not negative."""
    return _floor(expression / float(step))


def micro_of(expression):
    """micro() in SQL."""
    return _floor(expression * 1000000)


def _floor(expression):
    # SQLite truncates a cast; PostgreSQL would round it
    if isinstance(database.obj, SqliteDatabase):
        return expression.cast("INTEGER")
    return fn.FLOOR(expression).cast("BIGINT")


def add(rows: Iterable[dict]) -> None:
    """Add runs not yet summed (stat_run rows' values) to their periods' sums."""
    # the runs of a batch summed first by hour and all their keys together (runs of one host
    # and job share them), then by period and each grouping's key
    alike: dict[tuple, list] = {}  # (hour, user, project...): counts, longest, peak
    for row in rows:
        run_time, cpu = row["run_time"], row["cpu_seconds"]
        state, us = row["state"], micro(run_time)
        sums = [
            1,
            int(state == RUN_DONE),
            int(state == RUN_ERROR),
            int(state == RUN_SKIPPED),
            us,
            0 if cpu is None else micro(cpu),
            row["capacity"] * us,
            run_time,
            row["peak_rss_mb"],
        ]
        key = (hour_of(row["time_done"]), *(row[name] for name in _NAMES))
        known = alike.get(key)
        if known is None:
            alike[key] = sums
        else:
            _merge(known, sums)
    periods: dict[tuple, list] = {}
    for (hour, *keys), sums in alike.items():
        for span in SPANS:
            period = hour // (span // HOUR)
            for grouping, key in zip(_GROUPINGS, (ALL, *keys), strict=True):
                known = periods.get((grouping, span, period, key))
                if known is None:
                    periods[(grouping, span, period, key)] = sums.copy()
                else:
                    _merge(known, sums)
    if not periods:
        return
    db = database.obj
    values = [(*period, *sums) for period, sums in periods.items()]
    if isinstance(db, SqliteDatabase):  # executemany runs in C
        db.cursor().executemany(_add_sql(db), values)
    else:  # one statement for many rows (the keys are distinct)
        from psycopg2.extras import execute_values

        execute_values(db.cursor(), _add_sql(db), values, page_size=1000)


def _merge(known: list, sums: list) -> None:
    """Add sums (counts, longest, peak) into known."""
    for n in range(len(_COUNTS)):
        known[n] += sums[n]
    longest, peak = sums[-2:]
    if longest > known[-2]:
        known[-2] = longest
    if peak is not None and (known[-1] is None or peak > known[-1]):
        known[-1] = peak


def _add_sql(db: Database) -> str:
    """The upsert adding a batch's sums to their periods' rows (PostgreSQL: for many rows)."""
    sqlite = isinstance(db, SqliteDatabase)
    greatest = "max" if sqlite else "GREATEST"
    names = ", ".join(f'"{name}"' for name in _FIELDS)
    marks = f"({', '.join(['?'] * len(_FIELDS))})" if sqlite else "%s"
    added = [f'"{name}" = stat_sum."{name}" + EXCLUDED."{name}"' for name in _COUNTS]
    added.append(f'"longest" = {greatest}(stat_sum."longest", EXCLUDED."longest")')
    # the higher of two peaks, either of which may be null
    old, new = 'stat_sum."peak_rss_mb"', 'EXCLUDED."peak_rss_mb"'
    added.append(f'"peak_rss_mb" = {greatest}(COALESCE({old}, {new}), COALESCE({new}, {old}))')
    keys = '"grouping", "span", "period", "key"'
    return (
        f"INSERT INTO stat_sum ({names}) VALUES {marks}"
        f" ON CONFLICT ({keys}) DO UPDATE SET {', '.join(added)}"
    )


def resum(hours: Iterable[int]) -> None:
    """Sum some hours again from their runs in stat_run, and their longer periods from their
    hours (a period without runs loses its rows)."""
    hours = set(hours)
    for hour in sorted(hours):
        _delete(HOUR, hour)
        _sum_runs((StatRun.time_done >= hour * HOUR) & (StatRun.time_done < (hour + 1) * HOUR))
    for span in SPANS[1:]:
        hours_in = span // HOUR
        for period in sorted({hour // hours_in for hour in hours}):
            _delete(span, period)
            first = period * hours_in
            _sum_hours(span, (StatSum.period >= first) & (StatSum.period < first + hours_in))


def resum_all() -> None:
    """Sum every period again from stat_run (the migration that made the table)."""
    StatSum.delete().execute()
    _sum_runs(None)
    for span in SPANS[1:]:
        _sum_hours(span, None)


def _delete(span: int, period: int) -> None:
    StatSum.delete().where((StatSum.span == span) & (StatSum.period == period)).execute()


def _sum_runs(where) -> None:
    """Insert the hours' sums of the runs (where given) per key, for every grouping."""
    for grouping, column in _COLUMNS.items():
        query = StatRun.select(
            Value(grouping),
            Value(HOUR),
            floor_of(StatRun.time_done, HOUR),
            Value(ALL) if column is None else column,
            fn.COUNT(SQL("*")),
            _count(RUN_DONE),
            _count(RUN_ERROR),
            _count(RUN_SKIPPED),
            fn.SUM(micro_of(StatRun.run_time)),
            fn.COALESCE(fn.SUM(micro_of(StatRun.cpu_seconds)), 0),
            fn.SUM(StatRun.capacity * micro_of(StatRun.run_time)),
            fn.MAX(StatRun.run_time),
            fn.MAX(StatRun.peak_rss_mb),
        )
        if where is not None:
            query = query.where(where)
        _insert(query.group_by(SQL("3"), SQL("4")))


def _sum_hours(span: int, where) -> None:
    """Insert a longer period's sums from its hours' (where given), for every grouping."""
    hours = StatSum.span == HOUR
    query = StatSum.select(
        StatSum.grouping,
        Value(span),
        floor_of(StatSum.period, span // HOUR),
        StatSum.key,
        *(fn.SUM(getattr(StatSum, name)) for name in _COUNTS),
        fn.MAX(StatSum.longest),
        fn.MAX(StatSum.peak_rss_mb),
    ).where(hours if where is None else hours & where)
    _insert(query.group_by(StatSum.grouping, SQL("3"), StatSum.key))


def _insert(query) -> None:
    StatSum.insert_from(query, [StatSum._meta.fields[name] for name in _FIELDS]).execute()


def _count(state: str):
    """The number of runs that ended in a state."""
    return fn.SUM(Case(None, [(StatRun.state == state, 1)], 0))


def stored_hours(keys: list[tuple]) -> dict[tuple, int]:
    """The hour of each stat_run row already stored under one of these keys (job_id, block,
    task, run): {key: hour}. One indexed lookup a key (a join with the keys as VALUES: SQLite
    scans the table for a row value IN a list)."""
    db = database.obj
    found: dict[tuple, int] = {}
    for first in range(0, len(keys), 500):
        page = keys[first : first + 500]
        values = ", ".join([f"({', '.join([db.param] * 4)})"] * len(page))
        sql = (
            "SELECT s.job_id, s.block, s.task, s.run, s.time_done"
            f" FROM (VALUES {values}) AS k JOIN stat_run AS s ON s.job_id = k.column1"
            " AND s.block = k.column2 AND s.task = k.column3 AND s.run = k.column4"
        )
        params = [value for key in page for value in key]
        for job_id, block, task, run, time_done in db.execute_sql(sql, params).fetchall():
            found[(job_id, block, task, run)] = hour_of(time_done)
    return found
