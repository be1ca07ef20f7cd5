"""Start-up: rebuild the farm in memory from the store."""

from __future__ import annotations

import itertools
import json
import logging
from typing import TYPE_CHECKING

from peewee import fn

from app.core import states
from app.core.errors import SpecError
from app.core.jobs import Job
from app.core.jobspec import parse_job
from app.core.pools import PoolTree
from app.core.renders import Render
from app.core.users import User
from app.server.auth.identity import Identity
from app.server.auth.tokens import TokenBook
from app.server.persistence.schema import (
    JobRow,
    RenderRow,
    SettingRow,
    StatJob,
    TaskRow,
    TokenRow,
    UserRow,
)

if TYPE_CHECKING:
    from app.server.farm import Farm

log = logging.getLogger("corral.restore")


def stored_setting(key: str) -> object | None:
    """A farm-wide settings document stored by records.save_setting; None if there is none."""
    stored = SettingRow.get_or_none(SettingRow.key == key)
    return None if stored is None else json.loads(stored.value)


def restore(farm: Farm) -> None:
    """Load pools, users, jobs, touched tasks and known renders; running tasks wait for their
    renders (TaskLifecycle.hold_for_renders)."""
    pools = stored_setting("pools")
    if pools is not None:
        farm.pools = PoolTree.from_dict(pools)
    for row in UserRow.select():
        user = User(name=row.name, time_register=row.time_register)
        try:
            user.edit(json.loads(row.settings))
        except SpecError as error:  # stored by an older version that checked less
            log.error(
                "user %s: stored settings refused (%s): restored with defaults", row.name, error
            )
        farm.users[row.name] = user
    online = set()
    for row in RenderRow.select().order_by(RenderRow.id):
        render = Render(
            id=row.id,
            name=row.name,
            capacity=row.capacity,
            max_tasks=row.max_tasks,
            host=json.loads(row.host or "{}"),
        )
        settings = json.loads(row.settings or "{}")
        for key in ("services", "services_disabled"):
            settings[key] = set(settings.get(key, ()))
        for key, value in settings.items():
            setattr(render, key, value)
        farm.renders[row.name] = render
        farm.render_names[row.id] = row.name
        farm.next_render_id = max(farm.next_render_id, row.id + 1)
        if row.online:
            online.add(row.name)
    render_ids = {name: render.id for name, render in farm.renders.items()}

    # a deleted job's id stays taken: its statistics keep it
    newest = StatJob.select(fn.MAX(StatJob.job_id)).scalar()
    farm.next_job_id = max(farm.next_job_id, (newest or 0) + 1)
    for row in JobRow.select().order_by(JobRow.id):
        farm.next_job_id = max(farm.next_job_id, row.id + 1)  # never reused, even if left out
        try:
            spec = parse_job(json.loads(row.spec))
        except SpecError as error:  # stored by an older version that checked less
            message = "job %s '%s' left out: its stored definition is refused (%s)"
            log.error(message, row.id, row.name, error)
            continue
        job = Job(
            id=row.id,
            spec=spec,
            time_created=row.time_created,
            priority=row.priority,
            offline=row.offline,
            time_started=row.time_started,
            time_done=row.time_done,
            user=farm.user(spec.user_name),
            order=row.sort_order or row.id,
        )
        farm.jobs[job.id] = job
        farm.job_order = itertools.count(max(next(farm.job_order), job.order + 1))

    waiting = 0
    query = TaskRow.select().tuples().iterator()
    for job_id, block, task, state, starts, errors, render, time_start, time_done in query:
        job = farm.jobs.get(job_id)
        if job is None or block >= len(job.blocks) or task >= job.blocks[block].tasks.size:
            continue
        if state in states.ACTIVE:
            state = states.WRC
            waiting += 1
        job.blocks[block].tasks.restore(
            task, state, starts, errors, render_ids.get(render, 0), time_start, time_done
        )

    for job in farm.jobs.values():
        farm.job_added(job)
    farm.hold_for_renders(online, farm.config.reconnect_grace)
    log.info(
        "restored %d jobs, %d renders, %d running tasks waiting for their renders",
        len(farm.jobs),
        len(farm.renders),
        waiting,
    )


def restore_tokens(book: TokenBook) -> None:
    """Put the stored token hashes back into the book."""
    for row in TokenRow.select():
        book.add(row.hash, Identity(row.name, row.role))
