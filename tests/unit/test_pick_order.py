"""The `sequential` pick order: hand-worked sequences, a reference walk, big blocks, next_ready."""

import random
import tracemalloc

import pytest

from app.core import frames as frame_math
from app.core import states
from app.core.jobspec import BlockSpec
from app.core.pick_order import PickOrder, next_ready

READY = bytes([states.RDY, states.RER])


def order(tasks, sequential, frames=None, fpt=1):
    return list(PickOrder(tasks, sequential, frames=frames, frames_per_task=fpt))


# -- hand-worked sequences ----------------------------------------------------------------------

SIZES = (1, 2, 5, 10, 17)


def test_ascending_and_descending():
    for size in SIZES:
        assert order(size, 1) == list(range(size))
        assert order(size, -1) == list(range(size - 1, -1, -1))


def test_middle_out():
    # first, last, middle T//2, quarters T//4 3T//4, eighths ..., then what is left ascending
    assert order(1, 0) == [0]
    assert order(2, 0) == [0, 1]
    assert order(5, 0) == [0, 4, 2, 1, 3]
    assert order(10, 0) == [0, 9, 5, 2, 7, 1, 3, 6, 8, 4]
    assert order(17, 0) == [0, 16, 8, 4, 12, 2, 6, 10, 14, 1, 3, 5, 7, 9, 11, 13, 15]


def test_every_nth_in_task_space():
    # No frames: task n is frame n. First, last, multiples of N ascending, the rest ascending.
    assert order(1, 3) == [0]
    assert order(2, 3) == [0, 1]
    assert order(5, 3) == [0, 4, 3, 1, 2]
    assert order(10, 3) == [0, 9, 3, 6, 1, 2, 4, 5, 7, 8]
    assert order(17, 3) == [0, 16, 3, 6, 9, 12, 15, 1, 2, 4, 5, 7, 8, 10, 11, 13, 14]
    assert order(10, 10) == [0, 9, 1, 2, 3, 4, 5, 6, 7, 8]
    assert order(17, 10) == [0, 16, 10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15]


def test_every_nth_from_the_end_in_task_space():
    # Multiples of N descending from the last, then the rest descending; no first/last head.
    assert order(1, -3) == [0]
    assert order(2, -3) == [0, 1]
    assert order(5, -3) == [3, 0, 4, 2, 1]
    assert order(10, -3) == [9, 6, 3, 0, 8, 7, 5, 4, 2, 1]
    assert order(17, -3) == [15, 12, 9, 6, 3, 0, 16, 14, 13, 11, 10, 8, 7, 5, 4, 2, 1]
    assert order(17, -10) == [10, 0, 16, 15, 14, 13, 12, 11, 9, 8, 7, 6, 5, 4, 3, 2, 1]


def test_every_nth_frame_of_a_numeric_block():
    # Frames 1-100, one per task: frame 10 is task 9.
    got = order(100, 10, frames=(1, 100, 1))
    assert got[:11] == [0, 99, 9, 19, 29, 39, 49, 59, 69, 79, 89]
    assert got[11:] == [t for t in range(1, 99) if t % 10 != 9]
    back = order(100, -10, frames=(1, 100, 1))
    assert back[:10] == [99, 89, 79, 69, 59, 49, 39, 29, 19, 9]
    assert back[10:] == [t for t in range(98, -1, -1) if t % 10 != 9]
    # Ten frames per task, every 25th frame: frames 25, 50, 75, 100 are tasks 2, 4, 7, 9.
    assert order(10, 25, frames=(1, 100, 1), fpt=10) == [0, 9, 2, 4, 7, 1, 3, 5, 6, 8]
    # Every 5th frame with 10 frames per task: every task holds one.
    assert order(10, 5, frames=(1, 100, 1), fpt=10) == [0, 9, 1, 2, 3, 4, 5, 6, 7, 8]
    assert order(10, -5, frames=(1, 100, 1), fpt=10) == list(range(9, -1, -1))
    # On twos (frames 1, 3, ... 99): frame 10 belongs to the task of frame 9, task 4.
    assert order(50, 10, frames=(1, 100, 2))[:12] == [0, 49, 4, 9, 14, 19, 24, 29, 34, 39, 44, 1]
    # Negative frames: multiples of 4 in -10..5 are -8, -4, 0, 4 (tasks 2, 6, 10, 14).
    assert order(16, 4, frames=(-10, 5, 1))[:6] == [0, 15, 2, 6, 10, 14]
    assert order(16, -4, frames=(-10, 5, 1))[:5] == [14, 10, 6, 2, 15]


def test_for_block_and_validation():
    block = BlockSpec(numeric=True, command="r", frame_first=1, frame_last=100, sequential=10)
    assert list(PickOrder.for_block(block))[:3] == [0, 99, 9]
    assert PickOrder.for_block(BlockSpec(sequential=0, tasks=())).tasks_num == 0
    with pytest.raises(ValueError):
        PickOrder(99, 10, frames=(1, 100, 1))
    with pytest.raises(ValueError):
        PickOrder(-1)
    with pytest.raises(IndexError):
        PickOrder(5, 0).task_at(5)
    with pytest.raises(IndexError):
        PickOrder(5, 3).rank(-1)


# -- a reference walk, transcribed from Afanasy's getReadyTaskNumber ---------------------------


def reference(tasks, sequential, frames=None, fpt=1):
    """The visiting order, built the slow way."""
    if frames is None:
        first, last = 0, tasks - 1

        def task_of(frame):
            return frame
    else:
        first, last, inc = frames

        def task_of(frame):
            return (frame - first) // fpt // inc

    out, seen = [], set()

    def visit(task):
        if task not in seen:
            seen.add(task)
            out.append(task)

    if tasks <= 1 or sequential == 1:
        return list(range(tasks))
    if sequential == -1:
        return list(range(tasks - 1, -1, -1))
    if sequential == 0:
        for task in range(tasks):
            powered = 1
            while powered < task:
                powered <<= 1
            whole = powered >= tasks
            if whole:
                powered = tasks
            for i in range(powered + 1):
                visit(min(i if whole else i * tasks // powered, tasks - 1))
        return out
    step = abs(sequential)
    if sequential > 1:
        visit(0)
        visit(tasks - 1)
        frame = -(-first // step) * step
        while frame <= last:
            visit(task_of(frame))
            frame += step
        for task in range(tasks):
            visit(task)
    else:
        frame = last // step * step
        while frame >= first:
            visit(task_of(frame))
            frame -= step
        for task in range(tasks - 1, -1, -1):
            visit(task)
    return out


def random_order(rng):
    sequential = rng.choice([0, 1, -1, 2, 3, -2, -3, 5, -5, 7, -7, 10, -10, 64, -64])
    if rng.random() < 0.5:
        return rng.randint(0, 80), sequential, None, 1
    first = rng.randint(-50, 50)
    last = first + rng.randint(0, 150)
    inc, fpt = rng.randint(1, 4), rng.randint(1, 5)
    count = frame_math.numeric_task_count(first, last, fpt, inc)
    return count, sequential, (first, last, inc), fpt


def test_orders_match_the_reference_walk_and_invert():
    rng = random.Random(42)
    for _ in range(1500):
        tasks, sequential, frames, fpt = random_order(rng)
        pick = PickOrder(tasks, sequential, frames=frames, frames_per_task=fpt)
        got = list(pick)
        assert got == reference(tasks, sequential, frames, fpt), (tasks, sequential, frames, fpt)
        assert sorted(got) == list(range(tasks))
        for rank, task in enumerate(got):
            assert pick.rank(task) == rank
            assert pick.is_early(task) == (rank < pick.tail_start)


def test_middle_out_matches_reference_for_every_size_up_to_300():
    for tasks in range(301):
        assert order(tasks, 0) == reference(tasks, 0), tasks


# -- a million tasks -----------------------------------------------------------------------------


def test_million_task_orders_cost_nothing_per_task():
    size = 1_000_000
    tracemalloc.start()
    picks = {s: PickOrder(size, s) for s in (1, -1, 0, 10, -10)}
    numeric = PickOrder(size, 10, frames=(1, size, 1))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 100_000

    assert (picks[1].task_at(0), picks[1].task_at(999_999), picks[1].rank(123)) == (0, 999_999, 123)
    assert (picks[-1].task_at(0), picks[-1].task_at(999_999)) == (999_999, 0)
    assert picks[-1].rank(123) == 999_876

    middle = picks[0]
    assert [middle.task_at(r) for r in range(5)] == [0, 999_999, 500_000, 250_000, 750_000]
    # Levels stop at 2**19 steps (T/2**19 > 1): 999_998 is visited there, 999_997 is not and is
    # the largest task of the ascending tail.
    assert middle.task_at(999_999) == 999_997
    assert middle.rank(999_997) == 999_999
    assert (middle.rank(500_000), middle.rank(250_000), middle.rank(999_999)) == (2, 3, 1)

    every = picks[10]  # 0, 999_999, then 10, 20, ... 999_990 (99_999 tasks), then the rest
    assert (every.task_at(0), every.task_at(1), every.task_at(2)) == (0, 999_999, 10)
    assert every.task_at(100_000) == 999_990
    assert every.task_at(100_001) == 1
    assert every.task_at(999_999) == 999_998
    assert (every.rank(10), every.rank(1), every.rank(999_998)) == (2, 100_001, 999_999)

    back = picks[-10]  # 999_990, 999_980, ... 0 (100_000 tasks), then 999_999, 999_998, ...
    assert (back.task_at(0), back.task_at(99_999), back.task_at(100_000)) == (999_990, 0, 999_999)
    assert back.task_at(999_999) == 1
    assert (back.rank(999_999), back.rank(0), back.rank(1)) == (100_000, 99_999, 999_999)

    assert numeric.task_at(2) == 9  # frame 10
    # Frame 1_000_000 is a multiple of 10, so the last task is a hit too; the tail ends with
    # task 999_998 (frame 999_999).
    assert numeric.task_at(999_999) == 999_998
    assert numeric.rank(999_999) == 1


# -- next_ready ----------------------------------------------------------------------------------


def naive_next_ready(table, pick, start_rank):
    for rank in range(max(start_rank, 0), pick.tasks_num):
        task = pick.task_at(rank)
        if table[task] in READY:
            return task, rank
    return None


def test_next_ready_examples():
    table = bytearray([states.DON, states.RUN, states.RDY, states.RER, states.RDY])
    assert next_ready(table, PickOrder(5, 1), 0, READY) == (2, 2)
    assert next_ready(table, PickOrder(5, 1), 3, READY) == (3, 3)
    assert next_ready(table, PickOrder(5, 1), 3, bytes([states.RDY])) == (4, 4)
    assert next_ready(table, PickOrder(5, -1), 0, READY) == (4, 0)
    assert next_ready(table, PickOrder(5, -1), 1, states.READY) == (3, 1)
    assert next_ready(table, PickOrder(5, -1), 3, READY) is None
    assert next_ready(table, PickOrder(5, 0), 0, READY) == (4, 1)  # order 0 4 2 1 3
    assert next_ready(table, PickOrder(5, 0), 2, READY) == (2, 2)
    assert next_ready(table, PickOrder(5, 0), 3, READY) == (3, 4)
    assert next_ready(table, PickOrder(5, 0), 5, READY) is None
    assert next_ready(bytearray(), PickOrder(0, 0), 0, READY) is None


def test_next_ready_matches_a_rank_by_rank_scan():
    rng = random.Random(3)
    codes = [states.RDY, states.RER, states.RUN, states.DON, states.ERR, states.WDP]
    for _ in range(600):
        tasks, sequential, frames, fpt = random_order(rng)
        pick = PickOrder(tasks, sequential, frames=frames, frames_per_task=fpt)
        weights = [rng.random() for _ in codes]
        table = bytearray(rng.choices(codes, weights, k=tasks))
        for start in {0, 1, 2, pick.tail_start, rng.randint(0, tasks + 1), tasks}:
            expected = naive_next_ready(table, pick, start)
            assert next_ready(table, pick, start, READY) == expected, (tasks, sequential, start)


def test_next_ready_walks_a_cursor_through_a_big_block():
    size = 200_000
    table = bytearray([states.DON]) * size
    ready = (3, 77_777, 100_000, 150_001, 199_997, 199_998)
    for task in ready:
        table[task] = states.RDY
    for sequential in (1, -1, 0, 10, -10):
        pick = PickOrder(size, sequential)
        found, cursor = [], 0
        while (hit := next_ready(table, pick, cursor, READY)) is not None:
            assert pick.rank(hit[0]) == hit[1]
            found.append(hit[0])
            cursor = hit[1] + 1
        assert found == sorted(ready, key=pick.rank), sequential
