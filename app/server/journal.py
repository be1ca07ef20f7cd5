"""Group commit: one writer thread owns the database and commits changes in batches.

The event loop hands it small write operations and gets a future per operation that resolves
once the batch holding it is committed. A result is acknowledged to its render only after its
future resolves; nothing on the event loop waits for disk otherwise.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable

from peewee import Database

log = logging.getLogger("corral.journal")

Operation = Callable[[], object]
_STOP = object()


class Journal:
    """The single writer of the store."""

    def __init__(self, db: Database, loop: asyncio.AbstractEventLoop, max_batch: int = 2000):
        self._db = db
        self._loop = loop
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="corral-journal", daemon=True)
        self._thread.start()
        self.batches = 0
        self.operations = 0

    def write(self, operation: Operation) -> asyncio.Future:
        """Queue an operation; the future resolves after its batch commits."""
        future = self._loop.create_future()
        self._queue.put((operation, future))
        return future

    async def flush(self) -> None:
        """Wait until everything queued so far is committed."""
        await self.write(lambda: None)

    def close(self) -> None:
        """Commit what is queued, then stop the writer thread."""
        self._queue.put(_STOP)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        with self._db.connection_context():
            while True:
                item = self._queue.get()
                if item is _STOP:
                    return
                batch = [item]
                stop = False
                while len(batch) < self._max_batch:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is _STOP:
                        stop = True
                        break
                    batch.append(item)
                self._commit(batch)
                if stop:
                    return

    def _commit(self, batch: list) -> None:
        try:
            with self._db.atomic():
                for operation, _ in batch:
                    operation()
            outcomes = [None] * len(batch)
        except Exception:
            log.exception("batch of %d failed; committing one by one", len(batch))
            outcomes = [self._commit_one(operation) for operation, _ in batch]
        self.batches += 1
        self.operations += len(batch)
        try:
            self._loop.call_soon_threadsafe(_resolve, [f for _, f in batch], outcomes)
        except RuntimeError:
            log.debug("event loop closed before batch %d resolved", self.batches)

    def _commit_one(self, operation: Operation) -> BaseException | None:
        try:
            with self._db.atomic():
                operation()
        except Exception as error:
            log.exception("journal operation failed")
            return error
        return None


def _resolve(futures: list[asyncio.Future], outcomes: list) -> None:
    for future, outcome in zip(futures, outcomes, strict=True):
        if future.done():
            continue
        if outcome is None:
            future.set_result(None)
        else:
            future.set_exception(outcome)
