"""Afanasy's job, block and task keys that Corral keeps without using them.

A job written for Afanasy (by its submitters, or read back from its server) may carry these;
they stay in the spec's ``extra`` without a warning. Any other key Corral does not read is
named in the answer to a submit (app/core/jobspec.py:unknown_keys), as a likely misspelling.
"""

from __future__ import annotations

# Read back from Afanasy (state, counters, times) or set by its submitters.
_STATE = (
    "id",
    "st",
    "state",
    "srv_info",
    "custom_data",
    "flags",
    "time_started",
    "time_done",
    "running_tasks_counter",
    "running_capacity_counter",
)

JOB_KEYS = frozenset(
    (
        *_STATE,
        "serial",
        "branch",
        "hidden",
        "report",
        "thumb_path",
        "time_creation",
        "user_list_order",
        "solve_need",
    )
)

BLOCK_KEYS = frozenset(
    (
        *_STATE,
        "block_num",
        "job_id",
        "tasks_num",
        "need_power",
        "p_percentage",
        "p_error_hosts",
        "p_avoid_hosts",
        "p_tasks_ready",
        "p_tasks_done",
        "p_tasks_error",
        "p_tasks_skipped",
        "p_tasks_warning",
        "p_tasks_waitrec",
        "p_tasks_run_time",
    )
)

TASK_KEYS = frozenset(("custom_data", "srv_info"))
