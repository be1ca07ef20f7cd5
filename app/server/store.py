"""The durable store: peewee models for SQLite (default) or PostgreSQL, and schema migrations.

Only the journal's writer thread writes; start-up reads everything back. Untouched tasks of a
numeric block have no rows.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from peewee import (
    SQL,
    BooleanField,
    CompositeKey,
    Database,
    DatabaseProxy,
    FloatField,
    IntegerField,
    Model,
    TextField,
)
from playhouse.db_url import connect
from playhouse.migrate import SchemaMigrator

database = DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": "normal",
    "foreign_keys": 1,
    "cache_size": -64 * 1024,
    "busy_timeout": 5000,
}


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class SchemaVersion(BaseModel):
    version = IntegerField(primary_key=True)
    applied = FloatField()


class JobRow(BaseModel):
    """A job as submitted (spec JSON) plus what changes later."""

    id = IntegerField(primary_key=True)
    name = TextField()
    user_name = TextField(index=True)
    priority = IntegerField()
    offline = BooleanField(default=False)
    spec = TextField()
    time_created = FloatField()
    time_started = FloatField(default=0)
    time_done = FloatField(default=0)
    sort_order = IntegerField(default=0)  # place in its user's queue


class UserRow(BaseModel):
    """A user and their editable settings (JSON)."""

    name = TextField(primary_key=True)
    settings = TextField(default="{}")
    time_register = FloatField(default=0)


class TaskRow(BaseModel):
    """A task that has been touched (started, skipped, restarted...)."""

    job_id = IntegerField()
    block = IntegerField()
    task = IntegerField()
    state = IntegerField()
    starts = IntegerField(default=0)
    errors = IntegerField(default=0)
    render = TextField(default="")
    time_start = FloatField(default=0)
    time_done = FloatField(default=0)

    class Meta:
        primary_key = CompositeKey("job_id", "block", "task")


class RunRow(BaseModel):
    """One run of a task on a render (the statistics come from here)."""

    job_id = IntegerField()
    block = IntegerField()
    task = IntegerField()
    run = IntegerField()
    render = TextField()
    state = TextField()  # RUN, DON, ERR, STOPPED (on order), LOST (with its render)
    exit_code = IntegerField(null=True)
    signal = IntegerField(null=True)
    error = TextField(null=True)
    time_start = FloatField()
    time_done = FloatField(default=0)
    output_size = IntegerField(default=0)
    peak_rss_mb = FloatField(null=True)  # the task's process tree, as the render sampled it
    cpu_seconds = FloatField(null=True)  # user + system
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
    time_registered = FloatField(default=0)
    last_seen = FloatField(default=0)
    settings = TextField(default="{}")  # nimby, paused, priority, pool, services...


class SettingRow(BaseModel):
    """Farm-wide settings as JSON documents by name (the pools tree)."""

    key = TextField(primary_key=True)
    value = TextField()


def _initial_schema(db: Database, migrator: SchemaMigrator) -> None:
    # version 1 as it shipped: the tables without the columns later migrations add
    with (
        _without(JobRow, "sort_order"),
        _without(RenderRow, "settings"),
        _without(RunRow, "peak_rss_mb"),
        _without(RunRow, "cpu_seconds"),
        _without(RunRow, "warnings"),
        _without(RunRow, "files"),
        _without(RunRow, "thumbnail"),
    ):
        db.create_tables([JobRow, TaskRow, RunRow, RenderRow])
    # The runs of a render, newest first, for the render's history.
    migrator.database.execute_sql(
        "CREATE INDEX IF NOT EXISTS run_row_render ON run_row (render, time_start)"
    )


def _users_and_settings(db: Database, migrator: SchemaMigrator) -> None:
    db.create_tables([UserRow])
    from playhouse.migrate import migrate as apply

    apply(
        migrator.add_column("job_row", "sort_order", JobRow.sort_order),
        migrator.add_column("render_row", "settings", RenderRow.settings),
    )


def _run_usage(db: Database, migrator: SchemaMigrator) -> None:
    from playhouse.migrate import migrate as apply

    apply(
        migrator.add_column("run_row", "peak_rss_mb", RunRow.peak_rss_mb),
        migrator.add_column("run_row", "cpu_seconds", RunRow.cpu_seconds),
    )


def _run_results(db: Database, migrator: SchemaMigrator) -> None:
    from playhouse.migrate import migrate as apply

    apply(
        migrator.add_column("run_row", "warnings", RunRow.warnings),
        migrator.add_column("run_row", "files", RunRow.files),
        migrator.add_column("run_row", "thumbnail", RunRow.thumbnail),
    )


# Each migration: (version, function(db, migrator)). Append; never edit an applied one.
MIGRATIONS: list[tuple[int, Callable[[Database, SchemaMigrator], None]]] = [
    (1, _initial_schema),
    (2, _users_and_settings),
    (3, lambda db, migrator: db.create_tables([SettingRow])),
    (4, _run_usage),
    (5, _run_results),
]


@contextlib.contextmanager
def _without(model: type[BaseModel], name: str):
    """Create a model's table as an earlier schema had it: without one field."""
    field = model._meta.fields[name]
    model._meta.remove_field(name)
    try:
        yield
    finally:
        model._meta.add_field(name, field)


def open_database(url: str) -> Database:
    """Connect to the store at a peewee URL and bring its schema up to date."""
    if url.startswith("sqlite"):
        db = connect(url, pragmas=SQLITE_PRAGMAS, check_same_thread=False)
    else:
        db = connect(url)
    database.initialize(db)
    db.connect(reuse_if_open=True)
    migrate(db)
    return db


def migrate(db: Database) -> int:
    """Apply the migrations not yet applied; returns the schema version."""
    import time

    db.create_tables([SchemaVersion])
    done = {row.version for row in SchemaVersion.select()}
    migrator = SchemaMigrator.from_database(db)
    for version, apply in MIGRATIONS:
        if version in done:
            continue
        with db.atomic():
            apply(db, migrator)
            SchemaVersion.create(version=version, applied=time.time())
    return max([v for v, _ in MIGRATIONS], default=0)


def schema_version() -> int:
    row = SchemaVersion.select(SQL("max(version)")).scalar()
    return int(row or 0)
