"""Filters and sorting on every table against a real server: my jobs, several states at once,
hide done and text on the jobs; text and sort on the renders and users; state filter and sort
by state on the tasks."""

import pytest
from PyQt6.QtCore import Qt

from app.api import numeric_job
from app.ui.client import FarmError
from app.ui.jobs_model import JOB_ID_ROLE
from app.ui.jobs_view import JobsView
from app.ui.pools_view import PoolsView
from app.ui.renders_view import RendersView
from app.ui.tasks_model import STATE_COLUMN
from app.ui.tasks_view import TasksView
from app.ui.users_view import COLUMNS as USER_COLUMNS
from app.ui.users_view import UsersView
from tests.polling import until
from tests.ui.conftest import shown


def shown_jobs(view: JobsView) -> set[int]:
    model = view.model
    return {model.index(row, 0).data(JOB_ID_ROLE) for row in range(model.rowCount())}


async def test_jobs_filters_mine_states_hide_done_and_text(client, qtbot):
    done = await client.submit(numeric_job("anim_done", "true", 1, 2, user_name="ann", paused=True))
    await client.task_action(done, 0, "done", None)
    paused = await client.submit(
        numeric_job("anim_wip", "true", 1, 2, user_name="ann", paused=True)
    )
    ready = await client.submit(numeric_job("comp", "true", 1, 2, user_name="bob"))
    await client.jobs_action("pause", [ready])
    await client.jobs_action("start", [ready])
    view = shown(qtbot, JobsView(client))
    await until(lambda: shown_jobs(view) == {done, paused, ready})
    await until(lambda: view.model.job(done)["state"] == "DON OFF")  # done, and paused

    view.me = "ann"
    view.mine.setChecked(True)
    assert shown_jobs(view) == {done, paused} and not view.user_filter.isEnabled()
    view.mine.setChecked(False)
    view.set_states(["DON", "OFF"])  # either
    assert shown_jobs(view) == {done, paused}
    assert view.states_button.text() == "States: DON, OFF"
    view.set_states(["RDY"])  # a paused job's ready tasks count too
    assert shown_jobs(view) == {paused, ready}
    view.set_states([])
    view.hide_done.setChecked(True)
    assert shown_jobs(view) == {paused, ready}
    view.name_filter.setText("ANIM")
    assert shown_jobs(view) == {paused}
    view.hide_done.setChecked(False)
    assert shown_jobs(view) == {done, paused}


async def test_renders_filter_by_text_and_sort_by_any_column(farm, client, qtbot):
    view = shown(qtbot, RendersView(client))
    farm.start_render("gpu-alpha", 1)
    farm.start_render("cpu-beta", 2)
    await until(lambda: view.model.rowCount() == 2)
    table = view.proxy

    def names() -> list[str]:
        return [table.index(row, 0).data() for row in range(table.rowCount())]

    view.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    assert names() == ["cpu-beta", "gpu-alpha"]
    view.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    assert names() == ["gpu-alpha", "cpu-beta"]
    view.filter_text.setText("BETA")
    assert names() == ["cpu-beta"]
    view.table.selectAll()
    assert view.selected_names() == ["cpu-beta"]  # through the filter, by name
    view.filter_text.setText("onl")  # the State column's text: both are online
    assert len(names()) == 2
    view.filter_text.clear()
    view.table.sortByColumn(4, Qt.SortOrder.AscendingOrder)  # Capacity, then the bars
    view.table.sortByColumn(5, Qt.SortOrder.AscendingOrder)  # Tasks: a bar's fraction
    assert sorted(names()) == ["cpu-beta", "gpu-alpha"]


async def test_users_filter_by_name_and_sort_numbers_as_numbers(client, qtbot):
    for user in ("ann", "bob"):
        await client.submit(numeric_job("a", "true", 1, 1, user_name=user, paused=True))
    await client.edit_user("ann", {"priority": 150})
    await client.edit_user("bob", {"priority": 20})
    view = shown(qtbot, UsersView(client))
    await until(lambda: view.table.rowCount() == 2)
    table = view.table

    def visible_names() -> list[str]:
        rows = [r for r in range(table.rowCount()) if not table.isRowHidden(r)]
        return [table.item(r, 0).text() for r in rows]

    table.sortByColumn(USER_COLUMNS.index("priority"), Qt.SortOrder.AscendingOrder)
    assert visible_names() == ["bob", "ann"]  # 20 < 150, though "150" < "20"
    table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    assert visible_names() == ["bob", "ann"]
    view.filter_text.setText("AN")
    assert visible_names() == ["ann"]
    view.reload()  # new rows keep the filter
    await until(lambda: view.table.rowCount() == 2)
    assert visible_names() == ["ann"]


async def test_tasks_filter_by_state_and_sort_by_state(client, qtbot):
    job_id = await client.submit(numeric_job("five", "true", 1, 5, paused=True))
    await client.task_action(job_id, 0, "done", [1])
    await client.task_action(job_id, 0, "skip", [3])
    view = shown(qtbot, TasksView(client))
    view.resize(800, 400)
    view.show_block(job_id, 0)
    model = view.model

    def numbers() -> list[int | None]:
        return [model.task_number(row) for row in range(model.rowCount())]

    await until(lambda: numbers() == [0, 1, 2, 3, 4])
    view.set_states(["SKP", "DON"])
    await until(lambda: numbers() == [3, 1])  # state by state, in STATE_ORDER
    view.table.selectAll()
    assert view.selected_tasks() == [1, 3]
    view.set_states(["RDY"])
    await until(lambda: numbers() == [0, 2, 4])
    await client.task_action(job_id, 0, "skip", [2])  # an event: the row shows it at once
    await until(lambda: model.index(1, STATE_COLUMN).data() == "SKP")
    view.set_states([])
    view.table.sortByColumn(STATE_COLUMN, Qt.SortOrder.AscendingOrder)
    await until(lambda: numbers() == [0, 4, 2, 3, 1])  # RDY, SKP, DON
    view.table.sortByColumn(STATE_COLUMN, Qt.SortOrder.DescendingOrder)
    await until(lambda: numbers() == [1, 2, 3, 0, 4])
    view.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    await until(lambda: numbers() == [0, 1, 2, 3, 4])
    with pytest.raises(FarmError) as refused:
        await client.tasks(job_id, 0, 0, 10, ("NOPE",))
    assert refused.value.status == 400 and "NOPE" in str(refused.value)


async def test_tasks_filter_by_text_in_their_name_or_render(farm, client, qtbot):
    job_id = await client.submit(numeric_job("ten", "true", 1, 10, paused=True))
    view = shown(qtbot, TasksView(client))
    view.show_block(job_id, 0)
    model = view.model
    await until(lambda: model.rowCount() == 10)
    view.filter_text.setText("FRAME 1")  # frame 1 and frame 10, after a typing pause
    await until(lambda: [model.task_number(r) for r in range(model.rowCount())] == [0, 9])
    view.set_states(["DON"])
    await until(lambda: model.rowCount() == 0)
    view.set_states([])
    view.filter_text.setText("r-one")  # the render a task ran on
    await until(lambda: model.rowCount() == 0)
    await client.task_action(job_id, 0, "skip", list(range(1, 10)))
    await client.jobs_action("start", [job_id])
    farm.start_render("r-one", 1)
    await until(lambda: farm.client.job(job_id)["state"] == "DON", 60)
    view.filter_text.setText("R-ONE")
    await until(lambda: [model.task_number(r) for r in range(model.rowCount())] == [0])
    assert view.filters() == {"states": [], "text": "R-ONE"}


async def test_a_text_search_over_too_many_tasks_is_refused(client):
    job_id = await client.submit(numeric_job("big", "true", 1, 30_000, paused=True))
    with pytest.raises(FarmError) as refused:
        await client.tasks(job_id, 0, 0, 10, (), "frame 7")
    assert refused.value.status == 400 and "choose states first" in str(refused.value)
    page = await client.tasks(job_id, 0, 0, 10, ("DON",), "frame 7")  # few to search: fine
    assert page["total"] == 0


async def test_pools_filter_by_text_in_a_path_or_a_render_keeps_the_parents(client, qtbot):
    for path in ("/gpu/", "/gpu/big/", "/cpu/"):
        await client.add_pool(path)
    view = shown(qtbot, PoolsView(client))
    await until(lambda: len(view.summary["pools"]) == 4)

    def visible(item=None) -> list[str]:
        items = [view.tree.topLevelItem(0)] if item is None else [item]
        found = []
        for each in items:
            if not each.isHidden():
                found.append(each.text(0))
            for n in range(each.childCount()):
                found += visible(each.child(n))
        return found

    assert sorted(visible()) == ["/", "/cpu/", "/gpu/", "/gpu/big/"]
    view.filter_text.setText("BIG")
    assert sorted(visible()) == ["/", "/gpu/", "/gpu/big/"]  # its parents show where it is
    await client.add_pool("/bigcpu/")  # the tree made again keeps the filter
    await until(lambda: "/bigcpu/" in view.summary["pools"])
    assert sorted(visible()) == ["/", "/bigcpu/", "/gpu/", "/gpu/big/"]
    view.filter_text.setText("")
    assert len(visible()) == 5
