"""The store's tables: peewee models for SQLite (default) or PostgreSQL.

Only the journal's writer thread writes; start-up reads everything back. Untouched tasks of a
numeric block have no rows. A change to a table is also a migration (migrations.py).

Every float is a DoubleField: peewee's FloatField is PostgreSQL's REAL, whose 24-bit mantissa
keeps an epoch time only to about two minutes (SQLite stores both as 8-byte REAL).
"""

from __future__ import annotations

from peewee import (
    BigIntegerField,
    BooleanField,
    CompositeKey,
    DatabaseProxy,
    DoubleField,
    IntegerField,
    Model,
    TextField,
)

database = DatabaseProxy()  # bound to the real database by open_database (database.py)


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class SchemaVersion(BaseModel):
    version = IntegerField(primary_key=True)
    applied = DoubleField()


class JobRow(BaseModel):
    """A job as submitted (spec JSON) plus what changes later."""

    id = IntegerField(primary_key=True)
    name = TextField()
    user_name = TextField(index=True)
    priority = IntegerField()
    offline = BooleanField(default=False)
    spec = TextField()
    time_created = DoubleField()
    time_started = DoubleField(default=0)
    time_done = DoubleField(default=0)
    sort_order = IntegerField(default=0)  # place in its user's queue


class UserRow(BaseModel):
    """A user and their editable settings (JSON)."""

    name = TextField(primary_key=True)
    settings = TextField(default="{}")
    time_register = DoubleField(default=0)


class TokenRow(BaseModel):
    """A person's or a render's token, by its SHA-256 only (app/server/auth/tokens.py)."""

    hash = TextField(primary_key=True)
    name = TextField(unique=True)  # a user name, or render:HOST
    role = TextField()  # user, admin or render


class TaskRow(BaseModel):
    """A task that has been touched (started, skipped, restarted...)."""

    job_id = IntegerField()
    block = IntegerField()
    task = IntegerField()
    state = IntegerField()
    starts = IntegerField(default=0)
    errors = IntegerField(default=0)
    render = TextField(default="")
    time_start = DoubleField(default=0)
    time_done = DoubleField(default=0)

    class Meta:
        primary_key = CompositeKey("job_id", "block", "task")


class RunRow(BaseModel):
    """One run of a task on a render (the statistics come from here)."""

    job_id = IntegerField()
    block = IntegerField()
    task = IntegerField()
    run = IntegerField()
    render = TextField()
    state = TextField()  # app/protocol.py RUN_STATES
    exit_code = IntegerField(null=True)
    signal = IntegerField(null=True)
    error = TextField(null=True)
    time_start = DoubleField()
    time_done = DoubleField(default=0)
    output_size = IntegerField(default=0)
    peak_rss_mb = DoubleField(null=True)  # the task's process tree, as the render measured it
    cpu_seconds = DoubleField(null=True)  # user + system
    warnings = IntegerField(default=0)  # warnings the task's parser found in its output
    files = TextField(default="[]")  # JSON list: the output files the task reported
    thumbnail = BooleanField(default=False)  # a JPEG of its output is in the output store

    class Meta:
        primary_key = CompositeKey("job_id", "block", "task", "run")


class RenderRow(BaseModel):
    """A render that has registered once; ids stay stable across restarts."""

    id = IntegerField(primary_key=True)
    name = TextField(unique=True)
    capacity = IntegerField()
    max_tasks = IntegerField()
    online = BooleanField(default=False)
    host = TextField(default="{}")
    time_registered = DoubleField(default=0)
    last_seen = DoubleField(default=0)
    settings = TextField(default="{}")  # nimby, paused, priority, pool, services...


class SettingRow(BaseModel):
    """Farm-wide settings as JSON documents by name (the pools tree)."""

    key = TextField(primary_key=True)
    value = TextField()


class StatRun(BaseModel):
    """Statistics: one run of a task as it ended, with what it was run for; kept after its job
    is deleted (docs/statistics.md)."""

    job_id = IntegerField()
    block = IntegerField()
    task = IntegerField()
    run = IntegerField()
    job_name = TextField()
    block_name = TextField()
    user_name = TextField()
    service = TextField()
    render = TextField()
    pool = TextField()
    project = TextField()
    department = TextField()
    state = TextField()  # app/protocol.py RUN_STATES, never RUN
    exit_code = IntegerField(null=True)
    signal = IntegerField(null=True)
    error_kind = TextField()  # "" (done, skipped), exit, signal, failed, stopped or lost
    time_start = DoubleField()
    time_done = DoubleField()
    run_time = DoubleField()  # seconds: time_done - time_start
    peak_rss_mb = DoubleField(null=True)
    cpu_seconds = DoubleField(null=True)
    capacity = IntegerField()  # the block's task capacity

    class Meta:
        primary_key = CompositeKey("job_id", "block", "task", "run")


class StatJob(BaseModel):
    """Statistics: one job, written as it is submitted, starts, finishes and is deleted; kept
    after its job is deleted."""

    job_id = IntegerField(primary_key=True)
    name = TextField()
    user_name = TextField()
    project = TextField()
    department = TextField()
    blocks = IntegerField()
    tasks = IntegerField()
    tasks_done = IntegerField(default=0)
    tasks_error = IntegerField(default=0)
    tasks_skipped = IntegerField(default=0)
    run_time = DoubleField(default=0)  # seconds, the sum over the job's runs in stat_run
    time_submit = DoubleField()
    time_started = DoubleField(default=0)
    time_done = DoubleField(default=0)
    time_deleted = DoubleField(default=0)


class StatSum(BaseModel):
    """Statistics: the stat_run rows that ended in one period (an hour, or a quarter day), summed
    per grouping and key (one grouping: "" for all of them). Kept in step with stat_run in the
    same transactions (stat_sums.py); the statistics page reads it for the whole periods of a
    range. Seconds are summed as whole microseconds (each run's rounded down): integer sums are
    the same in any order, so the page's answers are the same from these sums as from the
    runs."""

    grouping = TextField()  # stat_sums.GROUPS: user, project, department, service, host, pool
    span = IntegerField()  # the period's length in seconds: stat_sums.SPANS
    period = IntegerField()  # floor(time_done / span)
    key = TextField()  # the grouping's value (user name, project...)
    runs = IntegerField()
    done = IntegerField()
    errors = IntegerField()
    skipped = IntegerField()
    run_us = BigIntegerField()  # run_time, summed
    cpu_us = BigIntegerField()  # cpu_seconds, summed (a run not measured adds nothing)
    held_us = BigIntegerField()  # capacity x run time: what the runs held
    longest = DoubleField()  # the longest run_time
    peak_rss_mb = DoubleField(null=True)  # the highest measured

    class Meta:
        primary_key = CompositeKey("grouping", "span", "period", "key")
