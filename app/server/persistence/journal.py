"""Group commit: one writer thread owns the database and commits changes in batches.

The event loop hands it small write operations and gets a future per operation that resolves
once the batch holding it is committed. A result is acknowledged to its render only after its
future resolves; nothing on the event loop waits for disk otherwise.

Row writes (Rows) of one batch are merged per table and key, last values winning, and written
with one bulk statement per table; other operations run in order, after the rows queued before
them.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass

from peewee import Database

log = logging.getLogger("corral.journal")

_STOP = object()


@dataclass(frozen=True)
class Rows:
    """Row values to upsert: merged with other Rows of the same writer and key in a batch."""

    writer: Callable[[list[dict]], object]  # upserts many rows at once
    rows: tuple[tuple[tuple, dict], ...]  # (key, values)


Operation = Callable[[], object] | Rows


class Journal:
    """The single writer of the store."""

    def __init__(self, db: Database, loop: asyncio.AbstractEventLoop, max_batch: int = 2000):
        self._db = db
        self._loop = loop
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue = queue.SimpleQueue()  # lists of (operation, future)
        self._turn: list[tuple[Operation, asyncio.Future | None]] = []
        self._then: dict[asyncio.Future, list[Callable[[asyncio.Future], object]]] = {}
        self._thread = threading.Thread(target=self._run, name="corral-journal", daemon=True)
        self._thread.start()
        self.batches = 0
        self.operations = 0

    def write(self, operation: Operation | list[Operation]) -> asyncio.Future:
        """Queue an operation (or several, in order); the future resolves after the batch
        holding the last one commits (or fails with that operation's error)."""
        future = self._loop.create_future()
        self._add(operation, future)
        return future

    def put(self, operation: Operation | list[Operation]) -> None:
        """Queue an operation nobody waits for (a failure is logged)."""
        self._add(operation, None)

    def then(self, future: asyncio.Future, callback: Callable[[asyncio.Future], object]) -> None:
        """Call callback(future) the moment `write`'s future is resolved: a loop turn before
        its done-callbacks, which asyncio runs on the next turn (a long one under load)."""
        if future.done():
            callback(future)
        else:
            self._then.setdefault(future, []).append(callback)

    def _add(self, operation: Operation | list[Operation], future: asyncio.Future | None) -> None:
        """Collect the operations of one event-loop turn; they reach the writer thread together
        (one hand-over per turn instead of one per operation)."""
        if not self._turn:
            self._loop.call_soon(self._hand_over)
        if isinstance(operation, list):
            self._turn.extend((first, None) for first in operation[:-1])
            operation = operation[-1]
        self._turn.append((operation, future))

    def _hand_over(self) -> None:
        turn, self._turn = self._turn, []
        self._queue.put(turn)

    async def flush(self) -> None:
        """Wait until everything queued so far is committed."""
        await self.write(lambda: None)

    def close(self) -> None:
        """Commit what is queued, then stop the writer thread."""
        if self._turn:
            self._hand_over()
        self._queue.put(_STOP)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        with self._db.connection_context():
            while True:
                item = self._queue.get()
                if item is _STOP:
                    return
                batch = list(item)
                stop = False
                while len(batch) < self._max_batch:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is _STOP:
                        stop = True
                        break
                    batch.extend(item)
                self._commit(batch)
                if stop:
                    return

    def _commit(self, batch: list) -> None:
        try:
            with self._db.atomic():
                _apply([operation for operation, _ in batch])
            outcomes = [None] * len(batch)
        except Exception:
            log.exception("batch of %d failed; committing one by one", len(batch))
            outcomes = [self._commit_one(operation) for operation, _ in batch]
        self.batches += 1
        self.operations += len(batch)
        try:
            self._loop.call_soon_threadsafe(self._resolve, [f for _, f in batch], outcomes)
        except RuntimeError:
            log.debug("event loop closed before batch %d resolved", self.batches)

    def _commit_one(self, operation: Operation) -> BaseException | None:
        try:
            with self._db.atomic():
                _apply([operation])
        except Exception as error:
            log.exception("journal operation failed")
            return error
        return None

    def _resolve(self, futures: list[asyncio.Future | None], outcomes: list) -> None:
        _resolve(futures, outcomes)
        for future in futures:
            for callback in self._then.pop(future, ()):
                callback(future)


def _apply(operations: list[Operation]) -> None:
    """Run a batch's operations: rows merged per writer and key, flushed before any other."""
    pending: dict[Callable, dict[tuple, dict]] = {}
    for operation in operations:
        if isinstance(operation, Rows):
            merged = pending.setdefault(operation.writer, {})
            for key, values in operation.rows:
                merged.setdefault(key, {}).update(values)
        else:
            _flush(pending)
            operation()
    _flush(pending)


def _flush(pending: dict[Callable, dict[tuple, dict]]) -> None:
    for writer, rows in pending.items():
        writer(list(rows.values()))
    pending.clear()


def _resolve(futures: list[asyncio.Future], outcomes: list) -> None:
    for future, outcome in zip(futures, outcomes, strict=True):
        if future is None or future.done():
            continue
        if outcome is None:
            future.set_result(None)
        else:
            future.set_exception(outcome)
