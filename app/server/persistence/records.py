"""What each farm change writes to the store: small operations for the journal thread."""

from __future__ import annotations

import functools
import json

from app.core.jobs import Job
from app.core.jobspec import job_to_dict
from app.core.pools import PoolTree
from app.core.renders import Render
from app.core.users import User
from app.protocol import RUN_LOST, RUN_RUNNING
from app.server.auth.identity import Identity
from app.server.persistence.journal import Rows
from app.server.persistence.schema import (
    JobRow,
    RenderRow,
    RunRow,
    SettingRow,
    TaskRow,
    TokenRow,
    UserRow,
)
from app.server.render_settings import SETTINGS


def insert_job(job: Job):
    row = dict(
        id=job.id,
        name=job.name,
        user_name=job.user_name,
        priority=job.priority,
        offline=job.offline,
        spec=_spec_json(job),
        time_created=job.time_created,
        sort_order=job.order,
    )
    return lambda: JobRow.insert(**row).execute()


def _spec_json(job: Job) -> str:
    return json.dumps(job_to_dict(job.spec), separators=(",", ":"))


def update_job(job: Job, spec: bool = False):
    """The job's changing fields; with spec, its (edited) spec too."""
    values = dict(
        priority=job.priority,
        offline=job.offline,
        time_started=job.time_started,
        time_done=job.time_done,
        sort_order=job.order,
    )
    if spec:
        values["spec"] = _spec_json(job)
    job_id = job.id
    return lambda: JobRow.update(**values).where(JobRow.id == job_id).execute()


def delete_job(job_id: int, outputs):
    def operation() -> None:
        RunRow.delete().where(RunRow.job_id == job_id).execute()
        TaskRow.delete().where(TaskRow.job_id == job_id).execute()
        JobRow.delete().where(JobRow.id == job_id).execute()
        outputs.delete_job(job_id)

    return operation


def save_tasks(job: Job, block_num: int, numbers: list[int], render_names: dict[int, str]):
    """Upsert the current state of some tasks of a block."""
    table = job.blocks[block_num].tasks
    rows = []
    for n in numbers:
        starts, errors, render_id, time_start, time_done = table.detail(n)
        values = dict(
            job_id=job.id,
            block=block_num,
            task=n,
            state=table.state(n),
            starts=starts,
            errors=errors,
            render=render_names.get(render_id, ""),
            time_start=time_start,
            time_done=time_done,
        )
        rows.append(((job.id, block_num, n), values))
    return Rows(_upsert_tasks, tuple(rows))


def reset_block_tasks(job_id: int, block_num: int):
    """A restarted block: every task ready again, no errors (start counts stay)."""
    return lambda: (
        TaskRow.update(state=0, errors=0, time_done=0)
        .where((TaskRow.job_id == job_id) & (TaskRow.block == block_num))
        .execute()
    )


def _upsert_tasks(rows: list[dict]) -> None:
    _upsert(TaskRow, rows, [TaskRow.job_id, TaskRow.block, TaskRow.task])


def _upsert_runs(rows: list[dict]) -> None:
    _upsert(RunRow, rows, [RunRow.job_id, RunRow.block, RunRow.task, RunRow.run])


def _upsert(model, rows: list[dict], keys: list) -> None:
    """Insert or update many rows; rows may name different columns. The statement text is
    made once per table and column set (peewee's query builder costs more than the database
    for these small rows) and run for all rows at once."""
    db = model._meta.database
    key_names = tuple(key.name for key in keys)
    by_columns: dict[tuple, list[dict]] = {}
    for row in rows:
        by_columns.setdefault(tuple(row), []).append(row)
    for given, group in by_columns.items():
        # a new row takes the model's defaults for the columns not given (peewee's defaults
        # live in Python, not in the schema); an existing row changes only the given ones
        defaults = _defaults(model, given)
        columns = given + tuple(defaults)
        sql = _upsert_sql(model._meta.table_name, columns, given, key_names, db.param)
        values = [tuple(row[name] for name in given) + tuple(defaults.values()) for row in group]
        cursor = db.cursor()
        if db.param == "?":  # SQLite: executemany runs in C
            cursor.executemany(sql, values)
        else:  # PostgreSQL: pages of statements per round trip
            from psycopg2.extras import execute_batch

            execute_batch(cursor, sql, values, page_size=500)


def _defaults(model, given: tuple[str, ...]) -> dict:
    """The model's default values of the columns not given."""
    return {
        field.name: field.default
        for field in model._meta.sorted_fields
        if field.name not in given and field.default is not None and not callable(field.default)
    }


@functools.lru_cache(maxsize=64)
def _upsert_sql(
    table: str,
    columns: tuple[str, ...],
    updated: tuple[str, ...],
    keys: tuple[str, ...],
    param: str,
) -> str:
    names = ", ".join(f'"{name}"' for name in columns)
    marks = ", ".join([param] * len(columns))
    updates = ", ".join(f'"{name}" = EXCLUDED."{name}"' for name in updated if name not in keys)
    action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
    conflict = ", ".join(f'"{key}"' for key in keys)
    return f'INSERT INTO "{table}" ({names}) VALUES ({marks}) ON CONFLICT ({conflict}) {action}'


def start_run(key: tuple[int, int, int, int], render: str, time_start: float) -> Rows:
    job, block, task, run = key
    values = dict(
        job_id=job,
        block=block,
        task=task,
        run=run,
        render=render,
        state=RUN_RUNNING,
        time_start=time_start,
    )
    return Rows(_upsert_runs, ((key, values),))


def finish_run(
    key: tuple[int, int, int, int],
    render: str,
    outcome: dict,
    outputs,
    output: str,
    thumbnail: bytes | None = None,
):
    """A run's output file and thumbnail, then its row (inserted if its start was never
    committed)."""
    job, block, task, run = key
    values = dict(
        job_id=job, block=block, task=task, run=run, **_finished(outcome, output, thumbnail)
    )
    writes = []
    if output:
        writes.append(Rows(outputs.write_many, ((key, {"key": key, "text": output}),)))
    if thumbnail is not None:
        writes.append(Rows(outputs.write_thumbnails, ((key, {"key": key, "data": thumbnail}),)))
    return [*writes, Rows(_upsert_runs, ((key, {"render": render, **values}),))]


def finish_late_run(
    key: tuple[int, int, int, int],
    render: str,
    outcome: dict,
    outputs,
    output: str,
    thumbnail: bytes | None = None,
):
    """A result its task no longer waits for: the run's row takes it, with its output and
    thumbnail, only while the row is this render's and has no result yet (RUN, or LOST)."""
    values = _finished(outcome, output, thumbnail)
    waiting = _run_row(key) & (RunRow.render == render)
    waiting &= RunRow.state.in_((RUN_RUNNING, RUN_LOST))

    def operation() -> None:
        if not RunRow.update(**values).where(waiting).execute():
            return
        if output:
            outputs.write(key, output)
        if thumbnail is not None:
            outputs.write_thumbnails([{"key": key, "data": thumbnail}])

    return operation


def _finished(outcome: dict, output: str, thumbnail: bytes | None) -> dict:
    """A finished run's row values but its key and render."""
    size = len(output.encode("utf-8", "replace"))
    return dict(output_size=size, thumbnail=thumbnail is not None, **outcome)


def _run_row(key: tuple[int, int, int, int]):
    """The condition selecting a run's row."""
    job, block, task, run = key
    where = (RunRow.job_id == job) & (RunRow.block == block)
    return where & (RunRow.task == task) & (RunRow.run == run)


def lose_run(key: tuple[int, int, int, int], now: float):
    """A run that vanished with its render: no result will come."""
    where = _run_row(key)
    return lambda: RunRow.update(state=RUN_LOST, time_done=now).where(where).execute()


def save_user(user: User):
    row = dict(
        name=user.name, settings=json.dumps(user.settings()), time_register=user.time_register
    )
    return lambda: (
        UserRow.insert(**row)
        .on_conflict(conflict_target=[UserRow.name], preserve=[UserRow.settings])
        .execute()
    )


def render_settings(render: Render) -> dict:
    settings = {key: getattr(render, key) for key in SETTINGS}
    settings["services"] = sorted(render.services)
    settings["services_disabled"] = sorted(render.services_disabled)
    return settings


def save_pools(tree: PoolTree):
    return save_setting("pools", tree.to_dict())


def save_setting(key: str, document: object):
    """Store a farm-wide settings document (JSON) under its name, replacing the last one."""
    value = json.dumps(document)
    return lambda: (
        SettingRow.insert(key=key, value=value)
        .on_conflict(conflict_target=[SettingRow.key], preserve=[SettingRow.value])
        .execute()
    )


def delete_render(render_id: int):
    return lambda: RenderRow.delete().where(RenderRow.id == render_id).execute()


def save_render(render: Render):
    row = dict(
        id=render.id,
        name=render.name,
        capacity=render.capacity,
        max_tasks=render.max_tasks,
        online=render.online,
        host=json.dumps(render.host),
        time_registered=render.time_registered,
        last_seen=render.last_seen,
        settings=json.dumps(render_settings(render)),
    )
    return lambda: (
        RenderRow.insert(**row)
        .on_conflict(conflict_target=[RenderRow.id], preserve=list(RenderRow._meta.fields.values()))
        .execute()
    )


def save_token(digest: str, identity: Identity):
    """The identity's token hash, replacing its previous one."""
    name, role = identity.name, identity.role

    def operation() -> None:
        TokenRow.delete().where(TokenRow.name == name).execute()
        TokenRow.insert(hash=digest, name=name, role=role).execute()

    return operation


def delete_token(name: str):
    return lambda: TokenRow.delete().where(TokenRow.name == name).execute()
