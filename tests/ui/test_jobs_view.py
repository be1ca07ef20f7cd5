"""The jobs tree against a real server: live progress, actions, filters, sorting, 5,000 jobs."""

import random

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QInputDialog, QMessageBox, QTableView

from app.api import numeric_job
from app.ui.client import FarmError
from app.ui.jobs_model import (
    DONE,
    ERRORS,
    ID,
    JOB_ID_ROLE,
    NAME,
    PRIORITY,
    STATE,
    JobsModel,
)
from app.ui.jobs_view import JobsView
from app.ui.progress_delegate import PROGRESS_ROLE
from app.ui.state_looks import text_colour
from tests.polling import until
from tests.ui.conftest import shown


def make_view(client, qtbot) -> JobsView:
    return shown(qtbot, JobsView(client))


async def submit(client, view, name, user="ann", priority=99, frames=2) -> int:
    job = numeric_job(name, "echo frame @#@", 1, frames, user_name=user, priority=priority)
    job_id = await client.submit(job)
    await until(lambda: view.model.row_of(job_id) is not None)
    return job_id


def column(view: JobsView, col: int, role=Qt.ItemDataRole.DisplayRole) -> list:
    model = view.model
    return [model.index(row, col).data(role) for row in range(model.rowCount())]


def ids(view: JobsView) -> list[int]:
    return column(view, ID, JOB_ID_ROLE)


async def test_a_submitted_job_appears_and_runs_to_done(farm, client, qtbot):
    view = make_view(client, qtbot)
    job_id = await submit(client, view, "shot", frames=4)
    farm.start_render("r1", 2)
    await until(lambda: view.model.job(job_id)["state"] == "DON", 60)
    row = view.model.row_of(job_id)
    index = view.model.index(row, 0)
    assert index.data().strip() == f"▸ {job_id}"
    assert index.siblingAtColumn(STATE).data() == "DON"
    assert index.siblingAtColumn(DONE).data() == "4/4"
    assert index.siblingAtColumn(5).data(PROGRESS_ROLE) == (4, 4, 0, 0, 0)
    assert view.model.rowCount() == 1
    view.table.clicked.emit(index)  # the ID cell expands the job: its block shows under it
    assert view.model.rowCount() == 2 and view.model.expanded == {job_id}
    block = view.model.index(row + 1, NAME)
    assert block.data().strip() == "shot" and block.siblingAtColumn(DONE).data() == "4/4"
    view.table.clicked.emit(index)
    assert view.model.rowCount() == 1


async def test_actions_on_the_selection_change_the_server(client, qtbot, monkeypatch):
    view = make_view(client, qtbot)
    first = await submit(client, view, "a")
    second = await submit(client, view, "b")
    view.select_jobs([first, second])
    assert view.selected_jobs() == [first, second]

    view.act("pause")
    await until(lambda: view.model.job(first)["offline"] and view.model.job(second)["offline"])
    assert (await client.job(first))["offline"] and "OFF" in (await client.job(second))["state"]

    monkeypatch.setattr(QInputDialog, "getInt", lambda *args: (200, True))
    view.set_priority()
    await until(
        lambda: view.model.job(first)["priority"] == view.model.job(second)["priority"] == 200
    )
    assert (await client.job(second))["priority"] == 200

    view.select_jobs([second])
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.No)
    view.delete()
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Yes)
    view.delete()
    await until(lambda: view.model.row_of(second) is None)
    assert view.model.row_of(first) is not None
    try:
        await client.job(second)
    except FarmError as error:
        assert error.status == 404
    else:
        raise AssertionError("the job is still on the server")


async def test_refused_actions_show_through_failed(client, qtbot):
    view = make_view(client, qtbot)
    job_id = await submit(client, view, "a")
    errors = []
    client.failed.connect(errors.append)
    view.select_jobs([job_id])
    view.act("no-such-action")
    await until(lambda: errors)


async def test_filters_and_sorting(client, qtbot):
    view = make_view(client, qtbot)
    low = await submit(client, view, "shot_low", user="ann", priority=10)
    high = await submit(client, view, "shot_high", user="bob", priority=200)
    comp = await submit(client, view, "comp", user="ann", priority=50)

    view.user_filter.setText("ann")
    assert sorted(ids(view)) == [low, comp]
    view.name_filter.setText("SHOT")
    assert ids(view) == [low]
    view.user_filter.clear()
    view.name_filter.clear()
    await client.jobs_action("pause", [comp])
    view.set_states(["OFF"])
    await until(lambda: ids(view) == [comp])  # the state filter follows events
    view.set_states([])

    view.table.sortByColumn(PRIORITY, Qt.SortOrder.DescendingOrder)
    assert ids(view) == [high, comp, low]
    view.model.set_resort_interval(0)
    view.select_jobs([comp])
    await client.edit_job(low, {"priority": 250})
    await until(lambda: ids(view) == [low, high, comp])
    assert view.selected_jobs() == [comp]  # the selection follows its job through a re-sort
    assert view.model.item_at(view.table.currentIndex().row()) == (comp, None)
    view.table.sortByColumn(NAME, Qt.SortOrder.AscendingOrder)
    assert column(view, NAME) == ["comp", "shot_high", "shot_low"]


def summary(job_id: int, done: int = 0, priority: int = 99) -> dict:
    counters = {
        "tasks_total": 10,
        "tasks_done": done,
        "tasks_running": 1,
        "tasks_error": 0,
        "tasks_skipped": 0,
    }
    block = {"num": 0, "name": "b", "service": "generic", "state": "RUN", **counters}
    return {
        "id": job_id,
        "name": f"job{job_id}",
        "user_name": "ann",
        "priority": priority,
        "state": "RUN",
        "offline": False,
        "time_created": 1e9,
        "blocks": [block],
        **counters,
    }


def test_5000_jobs_of_events_update_rows_without_a_reset(qtbot):
    model = JobsModel()  # without a client: fed by hand, with a real table on it
    table = QTableView()
    table.setModel(model)
    qtbot.addWidget(table)
    table.show()
    model.set_jobs([])
    signals = {"reset": 0, "changed": 0, "inserted": 0, "removed": 0}
    model.modelReset.connect(lambda: signals.__setitem__("reset", signals["reset"] + 1))
    model.dataChanged.connect(lambda *a: signals.__setitem__("changed", signals["changed"] + 1))
    model.rowsInserted.connect(lambda *a: signals.__setitem__("inserted", signals["inserted"] + 1))
    model.rowsRemoved.connect(lambda *a: signals.__setitem__("removed", signals["removed"] + 1))

    rng = random.Random(3)
    model.update_jobs([summary(i, priority=rng.randrange(251)) for i in range(1, 5001)])
    assert model.rowCount() == 5000
    assert signals == {"reset": 0, "changed": 0, "inserted": 1, "removed": 0}
    model.set_resort_interval(0)
    model.sort(PRIORITY, Qt.SortOrder.DescendingOrder)
    model.expand(7)

    for _ in range(20):
        changed = rng.sample(range(1, 5001), 250)
        model.update_jobs([summary(i, done=5, priority=rng.randrange(251)) for i in changed])
    model.remove_jobs(rng.sample(range(1, 5001), 100) + [99999])
    model.update_jobs([summary(i) for i in range(5001, 5011)])
    qtbot.waitUntil(lambda: not model._resort.isActive())

    shown = [model.item_at(row) for row in range(model.rowCount())]
    jobs = [job_id for job_id, block in shown if block is None]
    assert len(jobs) == 4910 and len(shown) == 4910 + (model.row_of(7) is not None)
    assert signals["reset"] == 0 and signals["removed"] >= 1 and signals["changed"] > 20
    assert all(shown[model.row_of(job_id)] == (job_id, None) for job_id in jobs)
    priorities = [model.job(job_id)["priority"] for job_id in jobs]
    assert priorities == sorted(priorities, reverse=True)


async def test_a_job_stuck_on_its_only_render_shows_avd_in_red_with_its_failed_tasks(
    farm, client, qtbot
):
    """`exit 1` on a one-render farm: as soon as the block avoids the render, the job's row says
    AVD (in the error colour) and counts its failed tasks; the AVD filter finds it."""
    view = make_view(client, qtbot)
    job_id = await client.submit(numeric_job("fails", "exit 1", 1, 2, user_name="ann"))
    farm.start_render("r1", 2)
    await until(lambda: (view.model.job(job_id) or {}).get("state") == "AVD", 60)
    index = view.model.index(view.model.row_of(job_id), STATE)
    assert index.data() == "AVD"
    assert index.data(Qt.ItemDataRole.ForegroundRole) == text_colour("error")
    assert index.siblingAtColumn(ERRORS).data() == 2
    view.set_states(["AVD"])
    assert ids(view) == [job_id]
