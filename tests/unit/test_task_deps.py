"""Task-to-task dependencies by frame range: exact spans, and the inverse checked by brute force."""

import random

import pytest

from app.core import states
from app.core.jobspec import BlockSpec, TaskSpec
from app.core.task_deps import (
    covering_tasks,
    dependents_of,
    frame_shift,
    owned_frame_span,
    running_frame,
    satisfied,
    sub_task_ready,
    task_frame_span,
    waited_tasks,
)

DONE = bytes(sorted(states.FINISHED))


def numeric(first, last, fpt=1, inc=1):
    return BlockSpec(
        numeric=True,
        command="r @#@",
        frame_first=first,
        frame_last=last,
        frames_per_task=fpt,
        frames_inc=inc,
    )


def listed(count, fpt=1, first=0):
    tasks = tuple(TaskSpec(name=f"t{i}", command=f"c{i}") for i in range(count))
    return BlockSpec(tasks=tasks, frame_first=first, frames_per_task=fpt)


# -- covering_tasks ---------------------------------------------------------------------------


def test_covering_numeric_one_frame_per_task():
    a = numeric(1, 100)
    assert covering_tasks(a, 10, 20) == range(9, 20)
    assert covering_tasks(a, 1, 1) == range(0, 1)
    assert covering_tasks(a, -5, 1000) == range(0, 100)  # clamped to A's tasks
    assert covering_tasks(a, 100, 150) == range(99, 100)
    assert covering_tasks(a, 101, 200) == range(99, 100)  # after A: its last task
    assert covering_tasks(a, -10, 0) == range(0, 1)  # before A: its first task
    assert not covering_tasks(a, 20, 10)  # reversed range


def test_covering_numeric_ten_frames_per_task():
    a = numeric(1, 100, fpt=10)  # task n: frames 1+10n .. 10+10n
    assert covering_tasks(a, 10, 20) == range(0, 2)
    assert covering_tasks(a, 11, 20) == range(1, 2)
    assert covering_tasks(a, 95, 95) == range(9, 10)
    assert covering_tasks(a, 1, 100) == range(0, 10)


def test_covering_numeric_with_increment():
    a = numeric(1, 100, inc=2)  # frames 1, 3, ... 99; task n renders 1+2n and owns 1+2n .. 2+2n
    assert a.tasks_num == 50
    assert covering_tasks(a, 4, 4) == range(1, 2)  # frame 4 belongs to the task of frame 3
    assert covering_tasks(a, 5, 8) == range(2, 4)
    assert covering_tasks(a, 100, 100) == range(49, 50)  # frame_last is owned by the last task
    b = numeric(1, 100, fpt=10, inc=2)  # 5 tasks, each owns 20 frames
    assert b.tasks_num == 5
    assert covering_tasks(b, 20, 21) == range(0, 2)
    assert covering_tasks(b, 81, 1000) == range(4, 5)


def test_covering_listed_one_frame_per_task():
    a = listed(5)  # task n is frame n
    assert covering_tasks(a, 2, 3) == range(2, 4)
    assert covering_tasks(a, 4, 10) == range(4, 5)
    assert covering_tasks(a, 5, 9) == range(4, 5)
    assert covering_tasks(a, -3, -1) == range(0, 1)


def test_covering_listed_five_frames_per_task():
    a = listed(4, fpt=5, first=1)  # task n: frames 1+5n .. 5+5n, block frames 1-20
    assert covering_tasks(a, 5, 6) == range(0, 2)
    assert covering_tasks(a, 20, 30) == range(3, 4)
    assert covering_tasks(a, 21, 30) == range(3, 4)


def test_covering_tiles_several_tasks_per_frame():
    a = listed(12, fpt=-4, first=1)  # four tiles per frame, frames 1-3
    assert covering_tasks(a, 2, 2) == range(4, 8)
    assert covering_tasks(a, 1, 3) == range(0, 12)
    assert covering_tasks(a, 3, 9) == range(8, 12)
    assert covering_tasks(a, 0, 1) == range(0, 4)
    assert covering_tasks(a, 4, 4) == range(8, 12)
    partial = listed(10, fpt=-4, first=1)  # the last frame has only two tiles
    assert covering_tasks(partial, 3, 3) == range(8, 10)


# -- spans --------------------------------------------------------------------------------------


def test_task_frame_span_rules():
    assert task_frame_span(numeric(1, 100, fpt=10, inc=2), 1) == (21, 39)
    assert owned_frame_span(numeric(1, 100, fpt=10, inc=2), 1) == (21, 40)
    assert owned_frame_span(numeric(1, 100, fpt=10, inc=2), 4) == (81, 100)
    assert task_frame_span(listed(3), 2) == (2, 2)
    assert task_frame_span(listed(3, fpt=5, first=1), 1) == (6, 10)
    assert task_frame_span(listed(12, fpt=-4, first=1), 7) == (2, 2)
    with pytest.raises(IndexError):
        task_frame_span(listed(3), 3)
    with pytest.raises(IndexError):
        owned_frame_span(numeric(1, 10), -1)


# -- dependents_of ------------------------------------------------------------------------------


def test_dependents_of_examples():
    frames = numeric(1, 100)
    tiles = listed(12, fpt=-4, first=1)
    # tile 5 is the tiles' frame 2, frame 3 of a numeric block from frame 1 (Afanasy's shift)
    assert dependents_of(frames, tiles, 5) == range(2, 3)
    assert dependents_of(frames, tiles, 11) == range(3, 100)  # the last tile: the frames after
    assert dependents_of(tiles, numeric(1, 100, fpt=10), 0) == range(0, 12)
    assert dependents_of(tiles, numeric(1, 100, fpt=10), 1) == range(0)  # frames 11-20
    assert dependents_of(numeric(1, 100, fpt=10), frames, 14) == range(1, 2)
    # B on twos, A on ones: A's frame 4 is not rendered by B.
    assert dependents_of(numeric(1, 100, inc=2), frames, 3) == range(0)
    assert dependents_of(numeric(1, 100, inc=2), frames, 4) == range(2, 3)
    with pytest.raises(IndexError):
        dependents_of(frames, tiles, 12)


def test_houdini_tiles_shape_follows_afanasys_shift():
    """CGRU's Houdini tiles: IFDs of frames 1-3, six tiles a frame (a non-numeric block without
    frame_first), a numeric join of frames 1-3: tiles wait for their frame's IFD, a join for
    its own frame's tiles."""
    ifd, tiles, join = numeric(1, 3), listed(18, fpt=-6), numeric(1, 3)
    assert frame_shift(ifd, tiles) == 1 and frame_shift(tiles, join) == -1
    assert frame_shift(ifd, join) == frame_shift(tiles, listed(2)) == 0
    assert [waited_tasks(tiles, n, ifd) for n in (0, 5, 6, 17)] == [range(0, 1)] * 2 + [
        range(1, 2),
        range(2, 3),
    ]
    assert [waited_tasks(join, n, tiles) for n in range(3)] == [
        range(0, 6),
        range(6, 12),
        range(12, 18),
    ]
    assert dependents_of(tiles, ifd, 1) == range(6, 12)
    assert dependents_of(join, tiles, 5) == range(0, 1)


def random_block(rng: random.Random) -> BlockSpec:
    first = rng.randint(-8, 8)
    if rng.random() < 0.5:
        return numeric(first, first + rng.randint(0, 30), rng.randint(1, 4), rng.randint(1, 3))
    fpt = rng.choice([1, 2, 3, 5, -2, -3, -4])
    return listed(rng.randint(1, 25), fpt=fpt, first=first)


def owner_tasks(a: BlockSpec, frame: int) -> set[int]:
    """Brute force: which tasks of A own a frame, straight from Afanasy's calcTaskNumber (a frame
    outside A's range clamped to its first or last frame)."""
    count, first, fpt = a.tasks_num, a.frame_first, a.frames_per_task
    if a.numeric:
        frame = min(max(frame, first), a.frame_last)
        return {(frame - first) // fpt // a.frames_inc}
    last = first + count * fpt - 1 if fpt > 0 else first + (count - 1) // -fpt
    frame = min(max(frame, first), last)
    if fpt > 0:
        return {(frame - first) // fpt}
    return {t for t in range((frame - first) * -fpt, (frame - first + 1) * -fpt) if t < count}


def test_covering_matches_frame_by_frame_brute_force():
    rng = random.Random(20240601)
    for _ in range(400):
        a = random_block(rng)
        start = rng.randint(-15, 45)
        end = start + rng.randint(-2, 20)
        expected: set[int] = set()
        for frame in range(start, end + 1):
            expected |= owner_tasks(a, frame)
        got = covering_tasks(a, start, end)
        assert got.step == 1
        assert set(got) == expected, (a, start, end)


def test_dependents_of_is_the_inverse_of_covering_tasks():
    rng = random.Random(7)
    for _ in range(300):
        a, b = random_block(rng), random_block(rng)
        waits = {(n, t) for n in range(b.tasks_num) for t in waited_tasks(b, n, a)}
        released = {(n, t) for t in range(a.tasks_num) for n in dependents_of(b, a, t)}
        assert waits == released, (a, b)


# -- satisfied, sub-task dependency ------------------------------------------------------------


def test_satisfied():
    table = bytearray([states.DON, states.SKP, states.RUN, states.DON, states.RDY])
    assert satisfied(table, range(0, 2), DONE)
    assert not satisfied(table, range(0, 3), DONE)
    assert satisfied(table, range(3, 4), DONE)
    assert not satisfied(table, range(3, 5), DONE)
    assert satisfied(table, range(0), DONE)
    assert satisfied(table, range(2, 2), DONE)
    assert satisfied(table, range(1, -1, -1), DONE)
    assert satisfied(table, range(0, 4, 3), DONE)
    assert satisfied(table, range(1, 5, 2), DONE)  # tasks 1 and 3
    assert not satisfied(table, range(0, 5, 2), DONE)
    with pytest.raises(IndexError):
        satisfied(table, range(3, 6), DONE)
    with pytest.raises(IndexError):
        satisfied(table, range(-1, 2), DONE)


def test_satisfied_on_a_big_block():
    table = bytearray([states.DON]) * 1_000_000
    assert satisfied(table, range(0, 1_000_000), DONE)
    table[765_432] = states.RUN
    assert not satisfied(table, range(0, 1_000_000), DONE)
    assert satisfied(table, range(765_433, 1_000_000), DONE)


def test_sub_task_ready():
    a = numeric(1, 100, fpt=10)  # task 0 renders frames 1-10
    assert not sub_task_ready(a, 0, current_frame=5, b_frame_end=5)  # frame 5 still rendering
    assert sub_task_ready(a, 0, current_frame=6, b_frame_end=5)
    assert not sub_task_ready(a, 0, current_frame=10, b_frame_end=10)
    with pytest.raises(IndexError):
        sub_task_ready(a, 10, current_frame=6, b_frame_end=5)


def test_running_frame():
    assert running_frame(numeric(1, 100, fpt=10), 1, 4) == 15
    assert running_frame(numeric(1, 100, fpt=10), 1, 50) == 20  # clamped to the task
    assert running_frame(numeric(1, 100, fpt=10, inc=2), 1, 3) == 27
    assert running_frame(listed(4, fpt=5, first=1), 1, 2) == 8
    assert running_frame(listed(12, fpt=-4, first=1), 5, 3) == 2
