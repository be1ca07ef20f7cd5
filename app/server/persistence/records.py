"""What each farm change writes to the store: small operations for the journal thread."""

from __future__ import annotations

import functools
import json
from operator import itemgetter

from peewee import fn

from app.core import states
from app.core.jobs import Block, Job
from app.core.jobspec import job_to_dict
from app.core.pools import PoolTree
from app.core.renders import Render
from app.core.users import User
from app.protocol import RUN_ERROR, RUN_LOST, RUN_RUNNING, RUN_STOPPED
from app.server.auth.identity import Identity
from app.server.persistence import stat_sums
from app.server.persistence.journal import Rows
from app.server.persistence.schema import (
    JobRow,
    RenderRow,
    RunRow,
    SettingRow,
    StatJob,
    StatRun,
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
        row_values, extra = itemgetter(*given), tuple(defaults.values())
        if len(given) == 1:  # itemgetter of one name answers the value, not a tuple
            values = [(row_values(row), *extra) for row in group]
        else:
            values = [row_values(row) + extra for row in group]
        cursor = db.cursor()
        if db.param == "?":  # SQLite: executemany runs in C
            cursor.executemany(sql, values)
        else:  # PostgreSQL: pages of statements per round trip
            from psycopg2.extras import execute_batch

            execute_batch(cursor, sql, values, page_size=500)


@functools.lru_cache(maxsize=64)
def _defaults(model, given: tuple[str, ...]) -> dict:
    """The model's default values of the columns not given (constants: made once per table
    and column set; callers must not change the answer)."""
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
    values = _finished(outcome, output, thumbnail)
    values.update(job_id=job, block=block, task=task, run=run, render=render)
    writes = []
    if output:
        writes.append(Rows(outputs.write_many, ((key, {"key": key, "text": output}),)))
    if thumbnail is not None:
        writes.append(Rows(outputs.write_thumbnails, ((key, {"key": key, "data": thumbnail}),)))
    writes.append(Rows(_upsert_runs, ((key, values),)))
    return writes


def finish_late_run(
    key: tuple[int, int, int, int],
    render: str,
    outcome: dict,
    outputs,
    output: str,
    thumbnail: bytes | None = None,
    stats: Rows | None = None,
):
    """A result its task no longer waits for: the run's row takes it, with its output,
    thumbnail and statistics row, only while the row is this render's and has no result yet
    (RUN, or LOST)."""
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
        if stats is not None:
            stats.writer([values for _, values in stats.rows])

    return [operation]


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


# -- statistics (docs/statistics.md) ---------------------------------------------------------


def run_stats(
    key: tuple[int, int, int, int],
    block: Block,
    render: str,
    pool: str,
    outcome: dict,
):
    """A run's statistics row, from its finished (or lost) outcome: `finish_run`'s values."""
    job = block.job
    time_start, time_done = outcome["time_start"], outcome["time_done"]
    values = dict(
        zip(("job_id", "block", "task", "run"), key, strict=True),
        job_name=job.name,
        block_name=block.spec.name,
        user_name=job.user_name,
        service=block.spec.service,
        render=render,
        pool=pool,
        project=job.spec.project,
        department=job.spec.department,
        state=outcome["state"],
        exit_code=outcome.get("exit_code"),
        signal=outcome.get("signal"),
        error_kind=error_kind(outcome),
        time_start=time_start,
        time_done=time_done,
        run_time=max(0.0, time_done - time_start),
        peak_rss_mb=outcome.get("peak_rss_mb"),
        cpu_seconds=outcome.get("cpu_seconds"),
        capacity=block.spec.capacity,
    )
    return Rows(upsert_stat_runs, ((key, values),))


def error_kind(outcome: dict) -> str:
    """Why a run did not end done or skipped: lost (with its render), stopped (by an order or
    its render's shutdown), signal (killed), exit (a non-zero exit code) or failed (judged so
    by the render, its service or a timeout); "" when it did not fail."""
    state = outcome["state"]
    if state == RUN_LOST:
        return "lost"
    if state == RUN_STOPPED:
        return "stopped"
    if state != RUN_ERROR:
        return ""
    if outcome.get("signal") is not None:
        return "signal"
    return "exit" if outcome.get("exit_code") not in (0, None) else "failed"


def upsert_stat_runs(rows: list[dict]) -> None:
    """Statistics rows (all their columns) and their periods' sums (stat_sums), in the same
    transaction. A new run is added to its periods' sums; a row written again (the late result
    of a lost run, a result resent after a crash) has its old and new hours summed again."""
    keys = [(row["job_id"], row["block"], row["task"], row["run"]) for row in rows]
    stored = stat_sums.stored_hours(keys)
    _upsert(StatRun, rows, [StatRun.job_id, StatRun.block, StatRun.task, StatRun.run])
    if not stored:
        stat_sums.add(rows)
        return
    again = [row for key, row in zip(keys, rows, strict=True) if key in stored]
    stat_sums.add(row for key, row in zip(keys, rows, strict=True) if key not in stored)
    stat_sums.resum([*stored.values(), *(stat_sums.hour_of(row["time_done"]) for row in again)])


def job_stats(job: Job, time_deleted: float = 0.0):
    """The job's statistics row; its run time is summed over its runs' rows already written."""
    counts, total = job.task_counts()
    row = dict(
        job_id=job.id,
        name=job.name,
        user_name=job.user_name,
        project=job.spec.project,
        department=job.spec.department,
        blocks=len(job.blocks),
        tasks=total,
        tasks_done=counts[states.DON],
        tasks_error=counts[states.ERR],
        tasks_skipped=counts[states.SKP],
        time_submit=job.time_created,
        time_started=job.time_started,
        time_done=job.time_done,
        time_deleted=time_deleted,
    )
    job_id = job.id

    def operation() -> None:
        StatJob.insert(**row).on_conflict(
            conflict_target=[StatJob.job_id], preserve=list(StatJob._meta.fields.values())
        ).execute()
        run_time = StatRun.select(fn.COALESCE(fn.SUM(StatRun.run_time), 0)).where(
            StatRun.job_id == job_id
        )
        StatJob.update(run_time=run_time).where(StatJob.job_id == job_id).execute()

    return operation
