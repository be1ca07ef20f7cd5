"""Reading runs back: each run of a task as the REST API shows it.

Runs are the statistics' raw material (finished runs per render, user, service...): queries
over them belong here, next to the table they read (schema.RunRow).
"""

from __future__ import annotations

import json

from app.server.persistence.schema import RunRow


def task_runs(job_id: int, block_num: int, task: int) -> list[dict]:
    """The runs of one task, oldest first (a blocking read: call it off the event loop)."""
    query = (
        RunRow.select()
        .where((RunRow.job_id == job_id) & (RunRow.block == block_num) & (RunRow.task == task))
        .order_by(RunRow.run)
    )
    return [_run(row) for row in query]


def _run(row: RunRow) -> dict:
    return {
        "run": row.run,
        "render": row.render,
        "state": row.state,
        "exit_code": row.exit_code,
        "signal": row.signal,
        "error": row.error,
        "time_start": row.time_start,
        "time_done": row.time_done or None,
        "output_size": row.output_size,
        "peak_rss_mb": row.peak_rss_mb,
        "cpu_seconds": row.cpu_seconds,
        "cpu_avg_percent": _cpu_percent(row),
        "warnings": row.warnings,
        "files": json.loads(row.files or "[]"),
        "thumbnail": row.thumbnail,
    }


# what a task summary in the REST API shows of its latest run: its key, the run's field
LATEST = (
    ("peak_rss_mb", "peak_rss_mb"),
    ("cpu_seconds", "cpu_seconds"),
    ("cpu_avg_percent", "cpu_avg_percent"),
    ("warnings", "warnings"),
    ("last_error", "error"),
)
NO_RUN = {key: None for key, _ in LATEST}  # a task that has not run


def latest_fields(run: dict) -> dict:
    """The LATEST fields of a run as `task_runs` gives it."""
    return {key: run[field] for key, field in LATEST}


def latest_usage(job_id: int, block_num: int, first: int, end: int) -> dict[int, dict]:
    """The LATEST fields of the latest run of each task first..end-1 that has run, by task
    (a blocking read: call it off the event loop)."""
    query = (
        RunRow.select()
        .where(
            (RunRow.job_id == job_id)
            & (RunRow.block == block_num)
            & (RunRow.task >= first)
            & (RunRow.task < end)
        )
        .order_by(RunRow.task, RunRow.run)
    )
    # a later run of a task replaces the earlier one
    return {row.task: latest_fields(_run(row)) for row in query}


def _cpu_percent(row: RunRow) -> float | None:
    """A finished run's CPU time over its wall time, % of one CPU."""
    wall = (row.time_done or 0) - row.time_start
    if row.cpu_seconds is None or wall <= 0:
        return None
    return round(row.cpu_seconds / wall * 100, 1)
