"""The order in which the tasks of a block are picked (``sequential``).

``PickOrder`` is a permutation of the tasks of a block, computed by arithmetic: ``rank(n)`` (the
position of task n in the order) and ``task_at(r)`` (the task at position r) cost O(1) or
O(log tasks) and nothing is stored per task, so a block of ten million tasks costs a few
integers. The orders follow Afanasy's ``BlockData::getReadyTaskNumber``:

``sequential == 1``: ascending, 0, 1, 2, ...

``sequential == -1``: descending, T-1, T-2, ..., 0.

``sequential == 0`` (middle-out, binary subdivision): for k = 0, 1, 2, ... visit the tasks
``(i*T) >> k`` for i = 0 .. 2**k (i = 2**k clamped to the last task), skipping visited ones, until
2**k >= T. So: first, last, then the middle ``T//2``, then the quarters ``T//4, 3T//4``, the
eighths ``T//8, 3T//8, 5T//8, 7T//8``... (each level in ascending i), and once the steps fall below
one task, every task not yet visited in ascending order. T = 10: 0 9 5 2 7 1 3 6 8 4.

``sequential == N > 1``: first task, last task, then the tasks holding the frames that are
multiples of N (frames 0, N, 2N, ... within [frame_first, frame_last]), ascending, then every
other task ascending. Frames 1-100, N = 10: 1, 100, 10, 20, ..., 90, then 2-9, 11-19, ...

``sequential == -N < -1``: the tasks holding the multiples of N, descending from the last
frame, then every other task descending. No first/last head here (as in Afanasy).

"Multiple of N" is of the absolute frame number (Afanasy aligns the frames: ``frame -= frame % N``).
A frame maps to the task that owns it, ``(frame - first) // (frames_per_task * frames_inc)``
(Afanasy's ``calcTaskNumber``; a frame between two ``frames_inc`` steps belongs to the task before
it). When ``frames`` is not given (non-numeric blocks) the rule works in task space: task n is
frame n, so N picks tasks 0, N, 2N, ...

Differences from Afanasy: a task appears once in the order (Afanasy may look at the first and
last tasks twice), and with negative frames the multiples of N are found correctly (Afanasy's C
``%`` misses them).

``next_ready`` finds the first ready task at or after a rank; ascending and descending runs of an
order are searched with ``bytearray.find``/``rfind`` at C speed.
"""

from __future__ import annotations

from collections.abc import Iterable

from app.core import frames as frame_math
from app.core.jobspec import BlockSpec

_ASC, _DESC, _MIDDLE, _EVERY, _EVERY_DESC = range(5)


class PickOrder:
    """The pick order of the tasks of one block; see the module doc for the rules.

    ``frames=(frame_first, frame_last, frames_inc)`` and ``frames_per_task`` describe a numeric
    block (its task count must match ``tasks_num``); without ``frames`` the ``N``/``-N`` modes
    count in task space. ``PickOrder.for_block(spec)`` builds the order of a block spec.
    """

    __slots__ = (
        "tasks_num",
        "sequential",
        "tail_start",
        "tail_dir",
        "_mode",
        "_first",
        "_width",
        "_step",
        "_m0",
        "_hits",
        "_dense",
        "_klo",
        "_levels",
    )

    def __init__(
        self,
        tasks_num: int,
        sequential: int = 1,
        *,
        frames: tuple[int, int, int] | None = None,
        frames_per_task: int = 1,
    ) -> None:
        if tasks_num < 0:
            raise ValueError(f"tasks_num must be >= 0 (got {tasks_num})")
        total = tasks_num
        self.tasks_num = total
        self.sequential = sequential
        if frames is None:
            first, last, width = 0, total - 1, 1
        else:
            first, last, inc = frames
            count = frame_math.numeric_task_count(first, last, frames_per_task, inc)
            if count != total:
                raise ValueError(
                    f"frames {frames} per task {frames_per_task} make {count} tasks, not {total}"
                )
            width = frames_per_task * inc
        self._first = first
        self._width = width
        self._step = self._m0 = self._hits = self._klo = self._levels = 0
        self._dense = False
        # Ranks [0, tail_start) are visited one by one; ranks from tail_start on are the tasks
        # not yet visited, in ascending (tail_dir 1) or descending (tail_dir -1) task order.
        self.tail_start = 0
        self.tail_dir = 1
        if sequential == 1 or total <= 1:
            self._mode = _ASC
        elif sequential == -1:
            self._mode = _DESC
            self.tail_dir = -1
        elif sequential == 0:
            self._mode = _MIDDLE
            levels = (total - 1).bit_length()  # smallest K with 2**K >= T
            self._levels = levels
            self.tail_start = (1 << (levels - 1)) + 1
        else:
            self._mode = _EVERY if sequential > 1 else _EVERY_DESC
            step = abs(sequential)
            self._step = step
            self._m0 = -(-first // step)  # first multiple of step >= first, divided by step
            frames_hit = max(0, last // step - self._m0 + 1)
            if step >= width:
                # Consecutive multiples land in distinct tasks: hit k is in task _hit(k).
                self._hits = frames_hit
            else:
                # Every full task holds a multiple; the last (maybe partial) one may not.
                self._dense = True
                start_last = first + (total - 1) * width
                self._hits = total - 1 + (-(-start_last // step) * step <= last)
            if self._mode == _EVERY:
                self._klo = self._count_hits(0)
                middle = max(0, self._count_hits(total - 2) - self._klo)
                self.tail_start = 2 + middle
            else:
                self.tail_start = self._hits
                self.tail_dir = -1

    @classmethod
    def for_block(cls, spec: BlockSpec) -> PickOrder:
        if spec.numeric:
            return cls(
                spec.tasks_num,
                spec.sequential,
                frames=(spec.frame_first, spec.frame_last, spec.frames_inc),
                frames_per_task=spec.frames_per_task,
            )
        return cls(spec.tasks_num, spec.sequential)

    def __len__(self) -> int:
        return self.tasks_num

    def __repr__(self) -> str:
        return f"PickOrder({self.tasks_num}, sequential={self.sequential})"

    # -- the hit set of the N / -N modes: tasks holding a multiple of N, ascending ------------

    def _hit(self, k: int) -> int:
        """The k-th task (0-based, ascending) that holds a multiple of N."""
        if self._dense:
            return k
        return ((self._m0 + k) * self._step - self._first) // self._width

    def _count_hits(self, n: int) -> int:
        """How many tasks <= n hold a multiple of N."""
        if n < 0:
            return 0
        if self._dense:
            return min(n + 1, self._hits)
        # Hits in tasks <= n: multiples m*step <= first + (n+1)*width - 1.
        last_m = (self._first + (n + 1) * self._width - 1) // self._step
        return max(0, min(last_m - self._m0 + 1, self._hits))

    def _is_hit(self, n: int) -> bool:
        count = self._count_hits(n)
        return count > 0 and self._hit(count - 1) == n

    # -- the visited-early set of the middle order: (i*T) >> (K-1) for i < 2**(K-1), and T-1 --

    def _count_levels(self, n: int) -> int:
        """How many tasks <= n are visited before the tail (middle order)."""
        if n < 0:
            return 0
        total, half = self.tasks_num, 1 << (self._levels - 1)
        count = min(half, ((n + 1) * half + total - 1) // total)
        return count + (n >= total - 1)

    def _level_index(self, n: int) -> int:
        """i with (i*T) >> (K-1) == n, or -1 (middle order)."""
        total, shift = self.tasks_num, self._levels - 1
        i = -(-(n << shift) // total)
        return i if i < (1 << shift) and (i * total) >> shift == n else -1

    # -- ranks -------------------------------------------------------------------------------

    def is_early(self, n: int) -> bool:
        """True when task n comes before the tail (rank < tail_start)."""
        mode = self._mode
        if mode in (_ASC, _DESC):
            return False
        if mode == _EVERY_DESC:
            return self._is_hit(n)
        if n == 0 or n == self.tasks_num - 1:
            return True
        if mode == _EVERY:
            return self._is_hit(n)
        return self._level_index(n) >= 0

    def _tail_kth(self, j: int, excluded) -> int:
        """The j-th (0-based, ascending) task t with t not early; ``excluded(t)`` counts the early
        tasks <= t. A binary search: O(log T)."""
        lo, hi = 0, self.tasks_num - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if mid + 1 - excluded(mid) >= j + 1:
                hi = mid
            else:
                lo = mid + 1
        return lo

    def task_at(self, rank: int) -> int:
        """The task at position ``rank`` of the order."""
        total = self.tasks_num
        if not 0 <= rank < total:
            raise IndexError(f"rank {rank} out of range (block has {total} tasks)")
        mode = self._mode
        if mode == _ASC:
            return rank
        if mode == _DESC:
            return total - 1 - rank
        if mode == _EVERY_DESC:
            hits = self._hits
            if rank < hits:
                return self._hit(hits - 1 - rank)
            return self._tail_kth(total - 1 - rank, self._count_hits)
        if rank < 2:
            return 0 if rank == 0 else total - 1
        if mode == _EVERY:
            if rank < self.tail_start:
                return self._hit(self._klo + rank - 2)
            return self._tail_kth(rank - self.tail_start, self._count_early_every)
        if rank < self.tail_start:
            level = (rank - 1).bit_length()
            i = 2 * (rank - 1 - (1 << (level - 1))) + 1
            return (i * total) >> level
        return self._tail_kth(rank - self.tail_start, self._count_levels)

    def _count_early_every(self, n: int) -> int:
        """Early tasks <= n in the N mode: task 0, hits, and the last task."""
        total = self.tasks_num
        count = self._count_hits(n) + (self._klo == 0)  # task 0 when it holds no multiple
        if n >= total - 1 and not self._is_hit(total - 1):
            count += 1
        return count

    def rank(self, n: int) -> int:
        """The position of task n in the order."""
        total = self.tasks_num
        if not 0 <= n < total:
            raise IndexError(f"task {n} out of range (block has {total} tasks)")
        mode = self._mode
        if mode == _ASC:
            return n
        if mode == _DESC:
            return total - 1 - n
        if mode == _EVERY_DESC:
            below = self._count_hits(n)
            if self._is_hit(n):
                return self._hits - below
            return total - 1 - n + below
        if n == 0:
            return 0
        if n == total - 1:
            return 1
        if mode == _EVERY:
            below = self._count_hits(n) - self._klo
            if self._is_hit(n):
                return 1 + below
            return self.tail_start + (n - 1) - below
        i = self._level_index(n)
        if i >= 0:
            zeros = (i & -i).bit_length() - 1
            level = self._levels - 1 - zeros
            return (1 << (level - 1)) + 1 + ((i >> zeros) - 1) // 2
        return self.tail_start + n - self._count_levels(n)

    def __iter__(self):
        """The tasks in order (for tests and small blocks: O(T log T) overall)."""
        return (self.task_at(r) for r in range(self.tasks_num))


def _find_first(states: bytearray, codes: bytes, start: int, end: int) -> int:
    best = -1
    for code in codes:
        n = states.find(code, start, best if best >= 0 else end)
        if n >= 0:
            best = n
    return best


def _find_last(states: bytearray, codes: bytes, start: int, end: int) -> int:
    best = -1
    for code in codes:
        n = states.rfind(code, best + 1 if best >= 0 else start, end)
        if n >= 0:
            best = n
    return best


def next_ready(
    states: bytearray, order: PickOrder, start_rank: int, ready_codes: bytes | Iterable[int]
) -> tuple[int, int] | None:
    """The first task at rank >= start_rank whose state is in ``ready_codes``, as
    (task, rank), or None. The head of the order is walked rank by rank (O(1) each); the tail,
    an ascending or descending run of the remaining tasks, is searched with
    ``bytearray.find``/``rfind``, skipping the few ready tasks that belong to the head."""
    codes = bytes(ready_codes)
    total = order.tasks_num
    rank = max(start_rank, 0)
    head = min(order.tail_start, total)
    task_at = order.task_at
    while rank < head:
        task = task_at(rank)
        if states[task] in codes:
            return task, rank
        rank += 1
    if rank >= total:
        return None
    task = task_at(rank)
    early = order.is_early
    if order.tail_dir > 0:
        start = task
        while True:
            task = _find_first(states, codes, start, total)
            if task < 0:
                return None
            if not early(task):
                return task, order.rank(task)
            start = task + 1
    end = task + 1
    while True:
        task = _find_last(states, codes, 0, end)
        if task < 0:
            return None
        if not early(task):
            return task, order.rank(task)
        end = task
