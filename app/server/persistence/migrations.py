"""Schema migrations: each version of the store's tables, applied in order at start-up."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

from peewee import SQL, Database, PostgresqlDatabase, SqliteDatabase
from playhouse.migrate import SchemaMigrator
from playhouse.migrate import migrate as apply

from app.server.persistence import stat_sums
from app.server.persistence.schema import (
    BaseModel,
    JobRow,
    RenderRow,
    RunRow,
    SchemaVersion,
    SettingRow,
    StatJob,
    StatRun,
    StatSum,
    TaskRow,
    TokenRow,
    UserRow,
)


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
    apply(
        migrator.add_column("job_row", "sort_order", JobRow.sort_order),
        migrator.add_column("render_row", "settings", RenderRow.settings),
    )


def _run_usage(db: Database, migrator: SchemaMigrator) -> None:
    apply(
        migrator.add_column("run_row", "peak_rss_mb", RunRow.peak_rss_mb),
        migrator.add_column("run_row", "cpu_seconds", RunRow.cpu_seconds),
    )


def _run_results(db: Database, migrator: SchemaMigrator) -> None:
    apply(
        migrator.add_column("run_row", "warnings", RunRow.warnings),
        migrator.add_column("run_row", "files", RunRow.files),
        migrator.add_column("run_row", "thumbnail", RunRow.thumbnail),
    )


def _statistics(db: Database, migrator: SchemaMigrator) -> None:
    db.create_tables([StatRun, StatJob])
    # every statistics query selects the runs that ended within a time range
    db.execute_sql("CREATE INDEX IF NOT EXISTS stat_run_time_done ON stat_run (time_done)")


def _doubles(db: Database, migrator: SchemaMigrator) -> None:
    # PostgreSQL: the columns made as REAL (peewee's FloatField, before every float was a
    # DoubleField) become double precision; SQLite stores both alike
    if not isinstance(db, PostgresqlDatabase):
        return
    tables = [model._meta.table_name for model in BaseModel.__subclasses__()]
    cursor = db.execute_sql(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND data_type = 'real'"
        " AND table_name = ANY(%s)",
        (tables,),
    )
    for table, column in cursor.fetchall():
        db.execute_sql(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE double precision')


def _stat_sums(db: Database, migrator: SchemaMigrator) -> None:
    # SQLite: rows kept in key order, so a range of periods is read without a lookup a row
    StatSum._meta.without_rowid = isinstance(db, SqliteDatabase)
    try:
        db.create_tables([StatSum])
    finally:
        StatSum._meta.without_rowid = False
    stat_sums.resum_all()  # the runs already stored


# Each migration: (version, function(db, migrator)). Append; never edit an applied one.
MIGRATIONS: list[tuple[int, Callable[[Database, SchemaMigrator], None]]] = [
    (1, _initial_schema),
    (2, _users_and_settings),
    (3, lambda db, migrator: db.create_tables([SettingRow])),
    (4, _run_usage),
    (5, _run_results),
    (6, lambda db, migrator: db.create_tables([TokenRow])),
    (7, _statistics),
    (8, _doubles),
    (9, _stat_sums),
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


def migrate(db: Database) -> int:
    """Apply the migrations not yet applied; returns the schema version."""
    db.create_tables([SchemaVersion])
    done = {row.version for row in SchemaVersion.select()}
    migrator = SchemaMigrator.from_database(db)
    for version, migration in MIGRATIONS:
        if version in done:
            continue
        with db.atomic():
            migration(db, migrator)
            SchemaVersion.create(version=version, applied=time.time())
    return max([v for v, _ in MIGRATIONS], default=0)


def schema_version() -> int:
    """The newest version applied to the open store."""
    row = SchemaVersion.select(SQL("max(version)")).scalar()
    return int(row or 0)
