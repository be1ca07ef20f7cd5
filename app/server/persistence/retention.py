"""Retention: stored records older than their age are removed in the background, a small batch
at a time, each batch one operation of the journal (its writer thread: the event loop never
waits for it, and other writes go between batches).

Every kind of record that ages is one `Kept` in `KEPT`: its table, the column its age counts
from, and the server setting (app/server/server_settings.py; days, 0 keeps it forever) that
says how old it may grow. A statistics table is kept by appending its `Kept` here, with its
setting in server_settings.py and ServerConfig.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from peewee import SQL, Expression, Field

from app.server.persistence import stat_sums
from app.server.persistence.outputs import OutputStore
from app.server.persistence.schema import BaseModel, RunRow, StatJob, StatRun

log = logging.getLogger("corral.retention")

DAY = 86400.0
BATCH = 500  # rows per batch: one short transaction
PAGE = 250  # keys a statement: SQLite parses an OR of n terms as an expression n deep (< 1000)


def _delete_rows(kept: Kept, keys: list[tuple], outputs: OutputStore) -> None:
    for page in _pages(keys):
        kept.model.delete().where(_among(kept.model, page)).execute()


def _delete_runs(kept: Kept, keys: list[tuple], outputs: OutputStore) -> None:
    _delete_outputs(kept, keys, outputs)
    _delete_rows(kept, keys, outputs)


def _delete_stat_runs(kept: Kept, keys: list[tuple], outputs: OutputStore) -> None:
    """Statistics rows go, and their hours are summed again without them (stat_sums)."""
    hours = stat_sums.stored_hours(keys).values()
    _delete_rows(kept, keys, outputs)
    stat_sums.resum(hours)


def _delete_outputs(kept: Kept, keys: list[tuple], outputs: OutputStore) -> None:
    """A run's output and thumbnail files go; its row stays, saying it has none."""
    for key in keys:
        outputs.path(key).unlink(missing_ok=True)
        outputs.thumbnail_path(key).unlink(missing_ok=True)
    for page in _pages(keys):
        RunRow.update(output_size=0, thumbnail=False).where(_among(RunRow, page)).execute()


@dataclass(frozen=True)
class Kept:
    """One kind of record that ages: rows of `model` whose `age` column (seconds since the epoch;
    0: not yet) is older than the setting's days, and `where` holds, are `remove`d."""

    setting: str  # a ServerConfig attribute: days, 0 keeps them forever
    model: type[BaseModel]
    age: Field
    remove: Callable[[Kept, list[tuple], OutputStore], None] = _delete_rows
    where: Expression | None = None


KEPT = [
    Kept(
        "outputs_days",
        RunRow,
        RunRow.time_done,
        _delete_outputs,
        (RunRow.output_size > 0) | RunRow.thumbnail,
    ),
    Kept("runs_days", RunRow, RunRow.time_done, _delete_runs),
    Kept("stats_days", StatRun, StatRun.time_done, _delete_stat_runs),
    Kept("stats_days", StatJob, StatJob.time_deleted),  # a job's row, once the job is gone
]


def _among(model: type[BaseModel], keys: list[tuple]) -> Expression:
    """Rows whose primary key is one of keys (tuples, in primary-key order), as one equality
    test a key joined by OR: SQLite and PostgreSQL look each key up in the primary key's index
    (for a row value IN a list, SQLite scans the whole table)."""
    names = [field.column_name for field in model._meta.get_primary_keys()]
    param = model._meta.database.param
    one = "(" + " AND ".join(f'"{name}" = {param}' for name in names) + ")"
    return SQL("(" + " OR ".join([one] * len(keys)) + ")", [value for key in keys for value in key])


def _pages(keys: list[tuple]) -> list[list[tuple]]:
    return [keys[first : first + PAGE] for first in range(0, len(keys), PAGE)]


def remove_batch(kept: Kept, before: float, outputs: OutputStore, size: int, found: list[int]):
    """The journal operation removing up to size rows aged before a time; appends how many."""

    def operation() -> None:
        fields = kept.model._meta.get_primary_keys()
        aged = (kept.age > 0) & (kept.age < before)
        query = kept.model.select(*fields).where(aged if kept.where is None else aged & kept.where)
        keys = list(query.limit(size).tuples())
        if keys:
            kept.remove(kept, keys, outputs)
        found.append(len(keys))

    return operation


class Retention:
    """Removes aged records every `config.retention_period` seconds (`tick`), in batches."""

    def __init__(self, journal, outputs: OutputStore, config, clock=time.time, batch=BATCH):
        self.journal = journal
        self.outputs = outputs
        self.config = config  # ServerConfig: the ages and the period, changed at run time
        self.clock = clock
        self.batch = batch
        self.last = clock()  # when the last sweep started
        self.sweeping: asyncio.Task | None = None
        self.removed: dict[str, int] = {kept.setting: 0 for kept in KEPT}  # since start

    def tick(self) -> None:
        """Start a sweep when one is due and none is running."""
        now = self.clock()
        if self.sweeping is None and now - self.last >= self.config.retention_period:
            self.last = now
            self.sweeping = asyncio.create_task(self._sweep_logged())

    async def _sweep_logged(self) -> None:
        try:
            removed = await self.sweep()
            if any(removed.values()):
                log.info("retention removed %s", removed)
        except Exception:
            log.exception("retention sweep failed")
        finally:
            self.sweeping = None

    async def sweep(self) -> dict[str, int]:
        """Remove every aged record now, a batch per journal operation; how many of each."""
        removed: dict[str, int] = {}
        for kept in KEPT:
            days = getattr(self.config, kept.setting)
            if days <= 0:
                continue
            before = self.clock() - days * DAY
            while True:
                found: list[int] = []
                await self.journal.write(
                    remove_batch(kept, before, self.outputs, self.batch, found)
                )
                removed[kept.setting] = removed.get(kept.setting, 0) + found[0]
                self.removed[kept.setting] += found[0]
                if found[0] < self.batch:
                    break
        return removed

    async def stop(self) -> None:
        if self.sweeping is not None:
            self.sweeping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.sweeping
