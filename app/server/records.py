"""What each farm change writes to the store: small operations for the journal thread."""

from __future__ import annotations

import json

from app.core.jobs import Job
from app.core.jobspec import job_to_dict
from app.core.pools import PoolTree
from app.core.renders import Render
from app.core.users import User
from app.server.store import JobRow, RenderRow, RunRow, SettingRow, TaskRow, UserRow

TASK_FIELDS = (
    TaskRow.state, TaskRow.starts, TaskRow.errors, TaskRow.render,
    TaskRow.time_start, TaskRow.time_done,
)  # fmt: skip


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
        rows.append((job.id, block_num, n, table.state(n), starts, errors,
                     render_names.get(render_id, ""), time_start, time_done))  # fmt: skip
    return lambda: _upsert_tasks(rows)


def reset_block_tasks(job_id: int, block_num: int):
    """A restarted block: every task ready again, no errors (start counts stay)."""
    return lambda: (
        TaskRow.update(state=0, errors=0, time_done=0)
        .where((TaskRow.job_id == job_id) & (TaskRow.block == block_num))
        .execute()
    )


def _upsert_tasks(rows: list[tuple]) -> None:
    fields = [TaskRow.job_id, TaskRow.block, TaskRow.task, *TASK_FIELDS]
    for start in range(0, len(rows), 500):
        (
            TaskRow.insert_many(rows[start : start + 500], fields=fields)
            .on_conflict(
                conflict_target=[TaskRow.job_id, TaskRow.block, TaskRow.task],
                preserve=list(TASK_FIELDS),
            )
            .execute()
        )


def start_run(key: tuple[int, int, int, int], render: str, time_start: float):
    job, block, task, run = key
    row = dict(job_id=job, block=block, task=task, run=run, render=render, state="RUN",
               time_start=time_start)  # fmt: skip
    return lambda: (
        RunRow.insert(**row)
        .on_conflict(
            conflict_target=[RunRow.job_id, RunRow.block, RunRow.task, RunRow.run],
            preserve=[RunRow.render, RunRow.state, RunRow.time_start],
        )
        .execute()
    )


def finish_run(key: tuple[int, int, int, int], render: str, outcome: dict, outputs, output: str):
    """Store a run's output file, then its row (inserted if its start was never committed)."""
    job, block, task, run = key
    values = dict(
        render=render,
        state=outcome["state"],
        exit_code=outcome["exit_code"],
        signal=outcome["signal"],
        error=outcome["error"],
        time_start=outcome["time_start"],
        time_done=outcome["time_done"],
    )

    def operation() -> None:
        size = outputs.write(key, output)
        (
            RunRow.insert(job_id=job, block=block, task=task, run=run, output_size=size, **values)
            .on_conflict(
                conflict_target=[RunRow.job_id, RunRow.block, RunRow.task, RunRow.run],
                update={
                    **{getattr(RunRow, k): v for k, v in values.items()},
                    RunRow.output_size: size,
                },  # fmt: skip
            )
            .execute()
        )

    return operation


def lose_run(key: tuple[int, int, int, int], now: float):
    """A run that vanished with its render: no result will come."""
    job, block, task, run = key
    where = (RunRow.job_id == job) & (RunRow.block == block)
    where &= (RunRow.task == task) & (RunRow.run == run)
    return lambda: RunRow.update(state="LOST", time_done=now).where(where).execute()


def save_user(user: User):
    row = dict(name=user.name, settings=json.dumps(user.settings()),
               time_register=user.time_register)  # fmt: skip
    return lambda: (
        UserRow.insert(**row)
        .on_conflict(conflict_target=[UserRow.name], preserve=[UserRow.settings])
        .execute()
    )


RENDER_SETTINGS = ("user_name", "nimby", "paused", "priority", "pool", "services_disabled")


def render_settings(render: Render) -> dict:
    settings = {key: getattr(render, key) for key in RENDER_SETTINGS}
    settings["services_disabled"] = sorted(render.services_disabled)
    return settings


def save_pools(tree: PoolTree):
    value = json.dumps(tree.to_dict())
    return lambda: (
        SettingRow.insert(key="pools", value=value)
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
