"""Task-to-task dependencies by frame range (``tasks_depend_mask``).

A task of a dependent block B waits until the tasks of a depended-on block A that cover B-task's
frames are finished. Everything here is arithmetic on the block specs: no per-task objects, no
scans, so a block of millions of tasks costs the same as a block of ten.

Two kinds of frame span are used:

Task span (``task_frame_span``): the frames a task renders.
  - numeric: ``BlockSpec.task_frames(n)``: ``start = first + n*fpt*inc``,
    ``end = min(start + (fpt-1)*inc, last frame of the sequence)``;
  - non-numeric, ``fpt > 0``: ``[first + n*fpt, first + (n+1)*fpt - 1]``;
  - non-numeric, ``fpt < 0`` (``k = -fpt`` tasks per frame, e.g. tiles): the single frame
    ``first + n // k``.
  (``first`` is the block's ``frame_first``, ``fpt`` its ``frames_per_task``; a non-numeric block
  keeps the defaults first 0 and fpt 1 unless the job sets them, so task n is frame n.)

Owned span (what task n answers for when another block depends on it): the frames that Afanasy's
``calcTaskNumber`` maps to task n. For a numeric block, with ``W = fpt*inc``, task n owns
``[first + n*W, min(first + (n+1)*W - 1, frame_last)]``: its own frames plus the gap up to the next
task, so frames between the ``inc`` steps belong to the task before them. A non-numeric block
has no gaps: it owns exactly its task span. The owned spans of a block partition its frame range
``[first, frame_last]`` (non-numeric: ``[first, first + T*fpt - 1]`` or
``[first, first + (T-1)//k]``).

Afanasy's two rules for a pair of blocks, followed here:
  - the shift: a non-numeric block's frames count from the numeric block's ``frame_first`` when
    a numeric and a non-numeric block depend on each other (af.py never sets ``frame_first`` on
    a non-numeric block: tile n of a block of k tiles a frame is frame ``n // k`` there, which is
    the numeric block's frame ``frame_first + n // k``); ``frame_shift`` gives the amount;
  - the clamp: frames of B before A's frame range are owned by A's first task, frames after it
    by A's last task, so every B task waits for at least one A task.

The rule: B task b waits for A task a exactly when a's owned span (stretched down without end
when it starts A's range, up when it ends it) overlaps b's task span shifted into A's frames. So
``waited_tasks(b, n, a)`` lists what B task n waits for, and ``dependents_of(b, a, a_task)`` lists
the B tasks to re-check when A task ``a_task`` finishes; both are contiguous ranges and each is
the inverse of the other.

One difference from Afanasy, on purpose: a task of a numeric block waits for exactly the tiles
of its frames (Afanasy's last-task arithmetic adds the next frame's first tile when the tile
block has no ``frame_last``).
"""

from __future__ import annotations

from app.core.jobspec import BlockSpec

_EMPTY = range(0)


def _check(spec: BlockSpec, n: int) -> int:
    count = spec.tasks_num
    if not 0 <= n < count:
        raise IndexError(f"task {n} out of range (block has {count} tasks)")
    return count


def _nonnumeric_last(spec: BlockSpec, count: int) -> int:
    """The last frame of a non-numeric block (count >= 1)."""
    fpt = spec.frames_per_task
    if fpt > 0:
        return spec.frame_first + count * fpt - 1
    return spec.frame_first + (count - 1) // -fpt


def task_frame_span(b: BlockSpec, n: int) -> tuple[int, int]:
    """(first, last) frame that task n of the block renders; IndexError outside the block."""
    if b.numeric:
        return b.task_frames(n)
    _check(b, n)
    fpt = b.frames_per_task
    if fpt > 0:
        start = b.frame_first + n * fpt
        return start, start + fpt - 1
    frame = b.frame_first + n // -fpt
    return frame, frame


def owned_frame_span(a: BlockSpec, n: int) -> tuple[int, int]:
    """(first, last) frame that task n of the block answers for when another block depends on it
    (numeric: its frames plus the ``frames_inc`` gap up to the next task)."""
    if not a.numeric:
        return task_frame_span(a, n)
    _check(a, n)
    width = a.frames_per_task * a.frames_inc
    start = a.frame_first + n * width
    return start, min(start + width - 1, a.frame_last)


def _last_frame(a: BlockSpec) -> int:
    """The last frame of A's range (A has tasks)."""
    return a.frame_last if a.numeric else _nonnumeric_last(a, a.tasks_num)


def frame_shift(a: BlockSpec, b: BlockSpec) -> int:
    """What to add to a frame of B to have it in A's frames (Afanasy's shift): B numeric and A
    non-numeric, ``-b.frame_first``; B non-numeric and A numeric, ``a.frame_first``; else 0."""
    if a.numeric == b.numeric:
        return 0
    return -b.frame_first if b.numeric else a.frame_first


def covering_tasks(a: BlockSpec, frame_start: int, frame_end: int) -> range:
    """The tasks of A whose owned frames overlap [frame_start, frame_end], the range first
    clamped into A's frames; empty only for an empty block or a reversed range.

    Numeric A (``W = fpt*inc``): tasks ``(s - first) // W .. (e - first) // W``.
    Non-numeric A, ``fpt > 0``: the same with ``W = fpt`` and last frame ``first + T*fpt - 1``.
    Non-numeric A, ``fpt = -k < 0``: tasks ``(s - first)*k .. (e - first + 1)*k - 1``, clamped to
    the block's tasks.
    """
    count = a.tasks_num
    if count == 0 or frame_end < frame_start:
        return _EMPTY
    first = a.frame_first
    last = _last_frame(a)
    start = min(max(frame_start, first), last)
    end = min(max(frame_end, first), last)
    fpt = a.frames_per_task
    if a.numeric or fpt > 0:
        width = fpt * a.frames_inc if a.numeric else fpt
        return range((start - first) // width, min((end - first) // width, count - 1) + 1)
    k = -fpt
    return range((start - first) * k, min((end - first + 1) * k, count))


def waited_tasks(b: BlockSpec, n: int, a: BlockSpec) -> range:
    """The tasks of A that task n of B waits for."""
    start, end = task_frame_span(b, n)
    shift = frame_shift(a, b)
    return covering_tasks(a, start + shift, end + shift)


def _tasks_rendering(b: BlockSpec, frame_start: int, frame_end: int) -> range:
    """The tasks of B whose task span overlaps [frame_start, frame_end]."""
    count = b.tasks_num
    if count == 0 or frame_end < frame_start:
        return _EMPTY
    first = b.frame_first
    fpt = b.frames_per_task
    if b.numeric or fpt > 0:
        if b.numeric:
            inc = b.frames_inc
            width = fpt * inc
            length = (fpt - 1) * inc  # end - start of a full task
            seq_last = first + (b.frame_last - first) // inc * inc
        else:
            width, length = fpt, fpt - 1
            seq_last = first + count * fpt - 1
        if frame_end < first or frame_start > seq_last:
            return _EMPTY
        # start(n) <= frame_end  and  start(n) + length >= frame_start
        hi = min((frame_end - first) // width, count - 1)
        lo = max(-((first + length - frame_start) // width), 0)
        return range(lo, hi + 1) if lo <= hi else _EMPTY
    k = -fpt
    start = max(frame_start, first)
    end = min(frame_end, first + (count - 1) // k)
    if start > end:
        return _EMPTY
    return range((start - first) * k, min((end - first + 1) * k, count))


_UNBOUNDED = 10**18  # past any frame, shifted or not


def dependents_of(b: BlockSpec, a: BlockSpec, a_task: int) -> range:
    """The tasks of B that wait for task ``a_task`` of A: those whose task span, shifted into
    A's frames, overlaps A-task's owned span (stretched down when it starts A's range and up
    when it ends it: the clamp). The inverse of ``waited_tasks``:
    ``n in dependents_of(b, a, t)  <=>  t in waited_tasks(b, n, a)``. Constant time."""
    start, end = owned_frame_span(a, a_task)
    if start == a.frame_first:
        start = -_UNBOUNDED
    if end == _last_frame(a):
        end = _UNBOUNDED
    shift = frame_shift(a, b)
    return _tasks_rendering(b, start - shift, end - shift)


def satisfied(a_states: bytearray, tasks: range, done_codes: bytes) -> bool:
    """True when every task in the range is in one of ``done_codes`` (e.g.
    ``bytes(states.FINISHED)``); an empty range is satisfied. One C-speed pass, no Python loop."""
    if not tasks:
        return True
    if tasks.step < 0:
        tasks = tasks[::-1]
    if tasks.start < 0 or tasks[-1] >= len(a_states):
        raise IndexError(f"tasks {tasks} outside the block's {len(a_states)} tasks")
    chunk = a_states[tasks.start : tasks.stop : tasks.step]
    return not chunk.translate(None, done_codes)


def running_frame(a: BlockSpec, a_task: int, frame_offset: int) -> int:
    """The absolute frame a running task of A renders now, from the frame offset its parser
    reports (0 = the task's first frame): ``start + offset*inc`` for a numeric block,
    ``start + offset`` otherwise, clamped to the task's span."""
    start, end = task_frame_span(a, a_task)
    step = a.frames_inc if a.numeric else 1
    return min(start + max(frame_offset, 0) * step, end)


def sub_task_ready(a: BlockSpec, a_task: int, current_frame: int, b_frame_end: int) -> bool:
    """``depend_sub_task``: a B task whose last frame is ``b_frame_end`` may start while A task
    ``a_task`` still runs, once the frame A renders now (``current_frame``, absolute; see
    ``running_frame``) is past it: ``current_frame > b_frame_end``."""
    _check(a, a_task)
    return current_frame > b_frame_end
