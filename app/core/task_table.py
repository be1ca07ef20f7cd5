"""Compact per-task state of one block: a byte per task, counters, a ready cursor.

Untouched tasks cost one byte. Start counts, errors, render ids and times live in parallel
arrays allocated when the first task of the block starts. Counters per state are kept on every
transition, so summaries never scan; the table's owner (a User) counts its tasks not yet
finished in `queued_tasks` as they change, for the queue quota (app/core/quotas.py). Finding the
next ready task is amortized O(1): a cursor moves forward through the block's pick order
(ascending, or the `sequential` order), and tasks that become ready again behind it (retries,
restarts) wait in a small heap.
"""

from __future__ import annotations

import heapq
from array import array
from typing import TYPE_CHECKING

from app.core import states
from app.core.pick_order import PickOrder, next_ready

if TYPE_CHECKING:
    from app.core.users import User

_RDY = bytes([states.RDY])
_FINISHED = bytes(state in states.FINISHED for state in range(states.COUNT))  # 1: finished


class TaskTable:
    """States and run details of the tasks of one block."""

    __slots__ = (
        "size",
        "order",
        "states",
        "counts",
        "starts",
        "errors",
        "render",
        "time_start",
        "time_done",
        "_cursor",
        "_requeued",
        "owner",
    )

    def __init__(self, size: int, order: PickOrder | None = None) -> None:
        self.size = size
        self.order = order  # None: ascending (sequential 1)
        self.states = bytearray(size)  # all RDY (0)
        self.counts = [0] * states.COUNT
        self.counts[states.RDY] = size
        self.starts: array | None = None
        self.errors: array | None = None
        self.render: array | None = None
        self.time_start: array | None = None
        self.time_done: array | None = None
        self._cursor = 0  # a rank in pick order
        self._requeued: list[tuple[int, int]] = []  # (rank, task) ready again behind the cursor
        self.owner: User | None = None  # whose queued_tasks counts this table's unfinished tasks

    # -- reading -------------------------------------------------------------------------------

    @property
    def ready(self) -> int:
        return self.counts[states.RDY] + self.counts[states.RER]

    @property
    def finished(self) -> int:
        return self.counts[states.DON] + self.counts[states.SKP]

    @property
    def unfinished(self) -> int:
        return self.size - self.finished

    def state(self, n: int) -> int:
        return self.states[n]

    def detail(self, n: int) -> tuple[int, int, int, float, float]:
        """(starts, errors, render id, time_start, time_done) of task n; zeros when untouched."""
        if self.starts is None:
            return 0, 0, 0, 0.0, 0.0
        return (
            self.starts[n],
            self.errors[n],
            self.render[n],
            self.time_start[n],
            self.time_done[n],
        )

    def find(self, state: int, start: int = 0) -> int:
        """The first task at or after start in this state, or -1 (a C-speed scan)."""
        return self.states.find(state, start)

    def numbers_in(self, state: int) -> list[int]:
        """All tasks in one state."""
        found, n = [], self.states.find(state)
        while n >= 0:
            found.append(n)
            n = self.states.find(state, n + 1)
        return found

    def next_ready(self) -> int | None:
        """The first ready task in pick order, or None. Does not change its state."""
        heap = self._requeued
        while heap and self.states[heap[0][1]] not in states.READY:
            heapq.heappop(heap)
        found = self._scan(self._cursor)
        self._cursor = found[1] if found else self.size
        if heap and (found is None or heap[0][0] < found[1]):
            return heap[0][1]
        return found[0] if found else None

    def ready_numbers(self):
        """Ready tasks in pick order (lazily; for skipping tasks that avoid a render)."""
        requeued = sorted({item for item in self._requeued if self.states[item[1]] in states.READY})
        found = self._scan(self._cursor)
        for rank, n in requeued:
            while found and found[1] < rank:
                yield found[0]
                found = self._scan(found[1] + 1)
            if not found or found[0] != n:
                yield n
        while found:
            yield found[0]
            found = self._scan(found[1] + 1)

    def _scan(self, rank: int) -> tuple[int, int] | None:
        """(task, rank) of the first RDY task at or after rank in pick order (C-speed scans)."""
        if self.order is None:
            n = self.states.find(states.RDY, rank)
            return (n, n) if n >= 0 else None
        return next_ready(self.states, self.order, rank, _RDY)

    def _rank(self, n: int) -> int:
        return n if self.order is None else self.order.rank(n)

    # -- changing ------------------------------------------------------------------------------

    def count_for(self, owner: User | None) -> None:
        """Count this table's unfinished tasks in owner's queued_tasks from now on (None: in
        nobody's), moving them from the previous owner's."""
        if owner is self.owner:
            return
        if self.owner is not None:
            self.owner.queued_tasks -= self.unfinished
        if owner is not None:
            owner.queued_tasks += self.unfinished
        self.owner = owner

    def set(self, n: int, state: int) -> int:
        """Move task n to state; returns the old state."""
        old = self.states[n]
        if old == state:
            return old
        self.states[n] = state
        self.counts[old] -= 1
        self.counts[state] += 1
        if self.owner is not None:
            self.owner.queued_tasks += _FINISHED[old] - _FINISHED[state]
        if state == states.RER or (state == states.RDY and self._rank(n) < self._cursor):
            heapq.heappush(self._requeued, (self._rank(n), n))
        return old

    def start(self, n: int, render_id: int, now: float) -> int:
        """Task n starts on a render; returns its run number (1-based)."""
        self._allocate()
        self.set(n, states.RUN)
        self.starts[n] += 1
        self.render[n] = render_id
        self.time_start[n] = now
        self.time_done[n] = 0.0
        return self.starts[n]

    def restore(
        self,
        n: int,
        state: int,
        starts: int,
        errors: int,
        render_id: int,
        time_start: float,
        time_done: float,
    ) -> None:
        """Put back a task's stored details (server start-up)."""
        self._allocate()
        self.set(n, state)
        self.starts[n] = starts
        self.errors[n] = min(errors, 65535)
        self.render[n] = render_id
        self.time_start[n] = time_start
        self.time_done[n] = time_done

    def finish(self, n: int, state: int, now: float) -> None:
        self.set(n, state)
        self.time_done[n] = now

    def add_error(self, n: int) -> int:
        """Count one more error of task n; returns the new count."""
        self._allocate()
        if self.errors[n] < 65535:
            self.errors[n] += 1
        return self.errors[n]

    def reset_errors(self, n: int) -> None:
        if self.errors is not None:
            self.errors[n] = 0

    def reset(self) -> None:
        """Every task back to ready with no errors (start counts stay: run numbers only grow)."""
        if self.owner is not None:
            self.owner.queued_tasks += self.finished
        self.states[:] = bytes(self.size)
        self.counts = [0] * states.COUNT
        self.counts[states.RDY] = self.size
        self._cursor = 0
        self._requeued.clear()
        if self.errors is not None:
            self.errors[:] = array("H", bytes(2 * self.size))

    def extend(self, count: int, order: PickOrder | None) -> None:
        """Append count ready tasks (tasks appended to a running job's block)."""
        self.states.extend(bytes(count))
        self.counts[states.RDY] += count
        if self.owner is not None:
            self.owner.queued_tasks += count
        self.size += count
        if self.starts is not None:
            for array_, width in (
                (self.starts, 4),
                (self.errors, 2),
                (self.render, 4),
                (self.time_start, 8),
                (self.time_done, 8),
            ):
                array_.frombytes(bytes(width * count))
        self.reorder(order)

    def reorder(self, order: PickOrder | None) -> None:
        """Use another pick order (the block's `sequential` was edited)."""
        self.order = order
        self._cursor = 0
        self._requeued = [(self._rank(n), n) for n in self.numbers_in(states.RER)]
        heapq.heapify(self._requeued)

    def move(self, old: int, new: int, clear_errors: bool = True) -> list[int]:
        """Move every task in state old to state new (clearing its errors); returns them."""
        moved = self.numbers_in(old)
        for n in moved:
            self.set(n, new)
            if clear_errors:
                self.reset_errors(n)
        return moved

    def _allocate(self) -> None:
        if self.starts is None:
            size = self.size
            self.starts = array("I", bytes(4 * size))
            self.errors = array("H", bytes(2 * size))
            self.render = array("I", bytes(4 * size))
            self.time_start = array("d", bytes(8 * size))
            self.time_done = array("d", bytes(8 * size))
