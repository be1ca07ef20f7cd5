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

The rule: B task b waits for A task a exactly when a's owned span overlaps b's task span. So
``covering_tasks(a, *task_frame_span(b, n))`` lists what B task n waits for, and
``dependents_of(b, a, a_task)`` lists the B tasks to re-check when A task ``a_task`` finishes;
both are contiguous ranges and each is the inverse of the other.

Differences from Afanasy, on purpose:
  - frames of B outside A's frame range depend on nothing (Afanasy clamps them to A's first or last
    task);
  - a non-numeric block's frames start at its own ``frame_first`` (Afanasy shifts the frames by
    the numeric block's ``frame_first`` when a numeric and a non-numeric block depend on each
    other). Set ``frame_first`` on the non-numeric block to line it up with a numeric one.
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


def covering_tasks(a: BlockSpec, frame_start: int, frame_end: int) -> range:
    """The tasks of A whose owned frames overlap [frame_start, frame_end]; empty when none.

    Numeric A (``W = fpt*inc``): frames clamped to ``[first, frame_last]``, then tasks
    ``(s - first) // W .. (e - first) // W``.
    Non-numeric A, ``fpt > 0``: the same with ``W = fpt`` and last frame ``first + T*fpt - 1``.
    Non-numeric A, ``fpt = -k < 0``: tasks ``(s - first)*k .. (e - first + 1)*k - 1``, clamped to
    the block's tasks.
    """
    count = a.tasks_num
    if count == 0 or frame_end < frame_start:
        return _EMPTY
    first = a.frame_first
    last = a.frame_last if a.numeric else _nonnumeric_last(a, count)
    start = max(frame_start, first)
    end = min(frame_end, last)
    if start > end:
        return _EMPTY
    fpt = a.frames_per_task
    if a.numeric or fpt > 0:
        width = fpt * a.frames_inc if a.numeric else fpt
        return range((start - first) // width, min((end - first) // width, count - 1) + 1)
    k = -fpt
    return range((start - first) * k, min((end - first + 1) * k, count))


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


def dependents_of(b: BlockSpec, a: BlockSpec, a_task: int) -> range:
    """The tasks of B that wait for task ``a_task`` of A: those whose task span overlaps A-task's
    owned span. The inverse of ``covering_tasks``:
    ``n in dependents_of(b, a, t)  <=>  t in covering_tasks(a, *task_frame_span(b, n))``.
    Constant time."""
    start, end = owned_frame_span(a, a_task)
    return _tasks_rendering(b, start, end)


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
