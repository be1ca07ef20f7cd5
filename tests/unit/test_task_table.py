"""The compact task table: counters, the ready cursor, retries behind the cursor."""

from app.core import states
from app.core.pick_order import PickOrder
from app.core.task_table import TaskTable


def test_new_table_is_all_ready_with_counters():
    table = TaskTable(5)
    assert table.counts[states.RDY] == 5
    assert table.ready == 5
    assert table.detail(3) == (0, 0, 0, 0.0, 0.0)
    assert table.starts is None  # no per-task arrays until a task starts


def test_next_ready_walks_in_order_and_skips_started():
    table = TaskTable(4)
    order = []
    for _ in range(4):
        n = table.next_ready()
        order.append(n)
        table.start(n, render_id=7, now=100.0)
    assert order == [0, 1, 2, 3]
    assert table.next_ready() is None
    assert table.counts[states.RUN] == 4
    assert table.detail(2) == (1, 0, 7, 100.0, 0.0)


def test_task_ready_again_behind_cursor_is_found_first():
    table = TaskTable(6)
    for _ in range(4):
        table.start(table.next_ready(), 1, 1.0)
    table.add_error(1)
    table.finish(1, states.RER, 2.0)
    assert table.next_ready() == 1  # the retry comes before task 4
    assert table.start(1, 2, 3.0) == 2  # second run
    assert table.next_ready() == 4


def test_counters_follow_transitions():
    table = TaskTable(3)
    table.start(0, 1, 1.0)
    table.finish(0, states.DON, 2.0)
    table.set(1, states.SKP)
    assert table.finished == 2
    assert table.counts[states.RDY] == 1
    assert table.counts[states.RUN] == 0
    assert sum(table.counts) == 3


def test_move_and_reset():
    table = TaskTable(5)
    for n in (1, 3):
        table.start(n, 1, 1.0)
        table.add_error(n)
        table.finish(n, states.ERR, 2.0)
    assert table.numbers_in(states.ERR) == [1, 3]
    assert table.move(states.ERR, states.RDY) == [1, 3]
    assert table.detail(1)[1] == 0  # errors cleared
    assert table.detail(1)[0] == 1  # start count kept
    table.start(0, 1, 1.0)
    table.reset()
    assert table.counts[states.RDY] == 5
    assert table.next_ready() == 0
    assert table.detail(0)[0] == 1  # run numbers keep growing after a restart


def test_million_task_table_is_compact():
    table = TaskTable(1_000_000)
    assert len(table.states) == 1_000_000
    table.set(999_999, states.SKP)
    table.set(0, states.SKP)
    assert table.next_ready() == 1
    assert table.find(states.SKP, 1) == 999_999


def drain(table):
    order = []
    while (n := table.next_ready()) is not None:
        table.start(n, 1, 0.0)
        order.append(n)
    return order


def test_sequential_orders_drive_the_cursor():
    assert drain(TaskTable(5, PickOrder(5, -1))) == [4, 3, 2, 1, 0]
    assert drain(TaskTable(10, PickOrder(10, 0))) == [0, 9, 5, 2, 7, 1, 3, 6, 8, 4]


def test_retry_behind_the_cursor_keeps_pick_order():
    table = TaskTable(6, PickOrder(6, -1))
    for _ in range(3):
        table.start(table.next_ready(), 1, 0.0)  # 5, 4, 3
    table.finish(4, states.RER, 1.0)
    assert table.next_ready() == 4  # the retry, before 2 (the next in descending order)
    assert list(table.ready_numbers()) == [4, 2, 1, 0]
    table.reorder(None)  # sequential edited back to ascending
    assert list(table.ready_numbers()) == [0, 1, 2, 4]
