"""Group commit: one writer thread owns the database and commits changes in batches.

The event loop hands it small write operations and gets a future per operation that resolves
once the batch holding it is committed. A result is acknowledged to its render only after its
future resolves; nothing on the event loop waits for disk otherwise.

Row writes (Rows) of one batch are merged per table and key, last values winning, and written
with one bulk statement per table; other operations run in order, after the rows queued before
them.

When the store cannot commit (a full or failing disk, a lock held too long, a lost database
server: `unavailable`), the writer keeps the batch and tries it again, with backoff, until it
commits: nothing is dropped and nothing queued after it overtakes it. Meanwhile `trouble` says
why (the server is degraded: write requests are refused, results stay unacknowledged), logged
once when it starts and once when it ends. An operation that fails for any other reason fails
alone: its batch is committed one operation at a time.

`backlog` counts the operations handed over and not yet committed, so that the farm can stop
adding work while the writer is behind (Farm.fill); `batch_done` is told after each batch.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import NamedTuple

from peewee import Database

log = logging.getLogger("corral.journal")

_STOP = object()

# SQLite's primary result codes that say the store cannot commit now, not that a statement is wrong
_SQLITE_UNAVAILABLE = {
    sqlite3.SQLITE_BUSY,
    sqlite3.SQLITE_LOCKED,
    sqlite3.SQLITE_READONLY,
    sqlite3.SQLITE_IOERR,
    sqlite3.SQLITE_FULL,
    sqlite3.SQLITE_CANTOPEN,
    sqlite3.SQLITE_PROTOCOL,
}


def unavailable(error: BaseException) -> BaseException | None:
    """The error that says the store cannot commit now, so the operation is tried again: an
    OSError (output files), an SQLite error of a code that says so, or another driver's
    OperationalError (the DB-API's class for errors outside the program); it may be one the
    given error was raised while handling (peewee wraps the driver's errors; SQLite's rollback
    after a full disk fails too, and so does PostgreSQL's on a connection the server ended).
    None: the operation itself is wrong."""
    cause: BaseException | None = error
    seen: set[int] = set()
    sqlite = False
    operational: BaseException | None = None
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, OSError):
            return cause
        code = getattr(cause, "sqlite_errorcode", None)
        if code is not None:
            if code & 0xFF in _SQLITE_UNAVAILABLE:
                return cause
            sqlite = True
        if operational is None and any(
            kind.__name__ == "OperationalError" for kind in type(cause).__mro__
        ):
            operational = cause
        cause = cause.__context__
    return None if sqlite else operational


class Rows(NamedTuple):
    """Row values to upsert: merged with other Rows of the same writer and key in a batch (a
    tuple: several are made for every result)."""

    writer: Callable[[list[dict]], object]  # upserts many rows at once
    rows: tuple[tuple[tuple, dict], ...]  # (key, values)


Operation = Callable[[], object] | Rows


class Journal:
    """The single writer of the store."""

    def __init__(
        self,
        db: Database,
        loop: asyncio.AbstractEventLoop,
        max_batch: int = 2000,
        retry: tuple[float, float] = (0.05, 2.0),
    ):
        self._db = db
        self._loop = loop
        self._max_batch = max_batch
        self._retry = retry  # seconds before the first try again, and at most between tries
        self._closing = threading.Event()
        self._watchers: list[Callable[[str | None], object]] = []
        self._trouble_since = 0.0
        # while the store cannot commit: why (the last error); None while it commits
        self.trouble: str | None = None
        self._queue: queue.SimpleQueue = queue.SimpleQueue()  # lists of (operation, future)
        self._turn: list[tuple[Operation, asyncio.Future | None]] = []
        self._then: dict[asyncio.Future, list[Callable[[asyncio.Future], object]]] = {}
        self._thread = threading.Thread(target=self._run, name="corral-journal", daemon=True)
        self._thread.start()
        self.batches = 0
        self.operations = 0
        # operations queued and not committed yet (counted on the event loop)
        self.backlog = 0
        # called from the writer thread with the seconds each committed batch took
        self.commit_observer: Callable[[float], object] | None = None
        # called on the event loop after each batch's futures are resolved
        self.batch_done: Callable[[], object] | None = None

    def write(self, operation: Operation | list[Operation]) -> asyncio.Future:
        """Queue an operation (or several, in order); the future resolves after the batch
        holding them commits (or fails with the error of the first that failed)."""
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
            self._turn.extend((first, future) for first in operation[:-1])
            self.backlog += len(operation) - 1
            operation = operation[-1]
        self._turn.append((operation, future))
        self.backlog += 1

    def _hand_over(self) -> None:
        turn, self._turn = self._turn, []
        self._queue.put(turn)

    def watch(self, callback: Callable[[str | None], object]) -> None:
        """Call callback(trouble), on the event loop, whenever the store stops committing (the
        error) or commits again (None)."""
        self._watchers.append(callback)

    async def flush(self) -> None:
        """Wait until everything queued so far is committed."""
        await self.write(lambda: None)

    def close(self) -> None:
        """Commit what is queued, then stop the writer thread; while the store cannot commit,
        stop at once (what is not stored is logged)."""
        if self._turn:
            self._hand_over()
        self._closing.set()
        self._queue.put(_STOP)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        """The writer thread, with a connection of its own (opened again by peewee on the next
        statement after `_disconnect`)."""
        try:
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
                if not self._commit(batch) or stop:
                    return
        finally:
            self._disconnect()

    def _commit(self, batch: list) -> bool:
        """Commit a batch and resolve its futures; False: given up, the journal closing."""
        operations = [operation for operation, _ in batch]
        try:
            started = time.perf_counter()
            if not self._transaction(operations):
                return False
            if self.commit_observer is not None:
                self.commit_observer(time.perf_counter() - started)
            outcomes: list[BaseException | None] = [None] * len(batch)
        except Exception:
            log.exception("batch of %d failed; committing one by one", len(batch))
            outcomes = []
            for operation in operations:
                try:
                    if not self._transaction([operation]):
                        return False
                    outcomes.append(None)
                except Exception as error:
                    log.exception("journal operation failed")
                    outcomes.append(error)
        self.batches += 1
        self.operations += len(batch)
        self._call_soon(self._resolve, [f for _, f in batch], outcomes)
        return True

    def _transaction(self, operations: list[Operation]) -> bool:
        """Apply operations in one transaction, tried again with backoff while the store
        cannot commit; False: given up, the journal closing. Other errors are raised."""
        delay = self._retry[0]
        while True:
            try:
                with self._db.atomic():
                    _apply(operations)
            except Exception as error:
                cause = unavailable(error)
                if cause is None:
                    raise
                self._troubled(cause)
                self._disconnect()
                if self._closing.wait(delay):
                    log.error(
                        "stopping with changes not stored (the store cannot commit: %s)",
                        self.trouble,
                    )
                    return False
                delay = min(delay * 2, self._retry[1])
                continue
            if self.trouble is not None:
                self._troubled(None)
            return True

    def _disconnect(self) -> None:
        """Close the connection: the next try opens a fresh one (the last may be dead, with a
        database server restarted)."""
        try:
            self._db.close()
        except Exception:
            log.debug("closing the store's connection failed", exc_info=True)

    def _troubled(self, error: BaseException | None) -> None:
        """Note whether the store commits; log and tell the watchers when that changes."""
        was = self.trouble
        self.trouble = None if error is None else (str(error) or type(error).__name__)
        if (was is None) == (error is None):
            return
        if error is not None:
            self._trouble_since = time.monotonic()
            log.error(
                "the store cannot commit (%s): trying again until it can; changes are refused"
                " and results not acknowledged meanwhile",
                self.trouble,
            )
        else:
            log.warning(
                "the store commits again, after %.1f s", time.monotonic() - self._trouble_since
            )
        for watcher in self._watchers:
            self._call_soon(watcher, self.trouble)

    def _call_soon(self, callback: Callable, *args) -> None:
        try:
            self._loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:
            log.debug("event loop closed before %s ran", callback)

    def _resolve(self, futures: list[asyncio.Future | None], outcomes: list) -> None:
        self.backlog -= len(futures)
        _resolve(futures, outcomes)
        if self._then:
            for future in futures:
                for callback in self._then.pop(future, ()):
                    callback(future)
        if self.batch_done is not None:
            self.batch_done()


def _apply(operations: list[Operation]) -> None:
    """Run a batch's operations: rows merged per writer and key, flushed before any other."""
    pending: dict[Callable, dict[tuple, dict]] = {}
    for operation in operations:
        if isinstance(operation, Rows):
            merged = pending.setdefault(operation.writer, {})
            for key, values in operation.rows:
                earlier = merged.get(key)
                # a new dict when merging: the operations' own stay as they are, for a retry
                merged[key] = values if earlier is None else {**earlier, **values}
        else:
            _flush(pending)
            operation()
    _flush(pending)


def _flush(pending: dict[Callable, dict[tuple, dict]]) -> None:
    for writer, rows in pending.items():
        writer(list(rows.values()))
    pending.clear()


def _resolve(futures: list[asyncio.Future | None], outcomes: list) -> None:
    """Each future (one per write, shared by its operations) gets its first error, or None."""
    first_error: dict[asyncio.Future, BaseException | None] = {}
    for future, outcome in zip(futures, outcomes, strict=True):
        if future is not None and first_error.get(future) is None:
            first_error[future] = outcome
    for future, error in first_error.items():
        if future.done():
            continue
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)
