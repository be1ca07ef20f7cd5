"""The tasks view against a real server: a million-task block pages over REST, actions reach
the server, live task changes reach the table."""

from app.api import numeric_job
from app.ui.tables import BAR_ROLE
from app.ui.tasks_model import PAGE, PLACEHOLDER, PROGRESS_COLUMN, TASK_ROLE
from app.ui.tasks_view import TasksView
from tests.polling import until


def open_view(client, qtbot, job_id: int) -> TasksView:
    """A shown tasks view of the job's block 0, 900 x 500."""
    view = TasksView(client)
    qtbot.addWidget(view)
    view.resize(900, 500)
    view.show()
    view.show_block(job_id, 0)
    return view


async def settle(view: TasksView) -> None:
    """Paint the view and wait until the model neither wants nor fetches a page; paint again
    (the fetched rows now) and wait again, so that nothing more is asked for."""
    model = view.model
    for _ in range(2):
        view.table.viewport().repaint()
        await until(lambda: not (model._settle.isActive() or model._wanted or model._loading))


async def test_a_million_tasks_open_and_scroll_to_the_end_fetching_only_visible_pages(
    client, qtbot
):
    job_id = await client.submit(numeric_job("big", "true @#@", 1, 1_000_000, paused=True))
    view = open_view(client, qtbot, job_id)
    model = view.model
    await until(lambda: model.rowCount() == 1_000_000)
    await until(lambda: model.data(model.index(0, 3)) == "1")

    view.table.scrollToBottom()
    last = model.index(999_999, 3)
    await until(lambda: model.data(last) != PLACEHOLDER)
    await settle(view)
    assert model.data(last) == "1000000"
    assert model.data(model.index(999_999, 1)) == "RDY"
    assert model.data(model.index(999_999, PROGRESS_COLUMN), BAR_ROLE) == (0.0, "0%")
    assert model.data(last, TASK_ROLE)["num"] == 999_999
    assert model.requests < 10, model.requests
    assert len(model._pages) <= 3


async def test_fast_scrolling_fetches_where_it_stops(client, qtbot):
    job_id = await client.submit(numeric_job("big", "true @#@", 1, 1_000_000, paused=True))
    view = open_view(client, qtbot, job_id)
    model = view.model
    await until(lambda: model.rowCount() == 1_000_000)
    bar = view.table.verticalScrollBar()
    for step in range(1, 41):  # forty jumps, each painted, faster than the settle delay
        bar.setValue(bar.maximum() * step // 40)
        view.table.viewport().repaint()
    await settle(view)
    assert model.requests <= 4, model.requests  # the first page, the page it stopped on (+1)
    assert model.data(model.index(999_999, 3)) == "1000000"


async def test_actions_on_selected_tasks_and_live_changes(client, qtbot):
    job_id = await client.submit(numeric_job("small", "true @#@", 1, 1000, paused=True))
    view = open_view(client, qtbot, job_id)
    model = view.model
    errors = []
    client.failed.connect(errors.append)
    await until(lambda: model.task(2))
    view.table.selectRow(2)
    assert view.selected_tasks() == [2]
    before = model.requests
    view.act("skip", view.selected_tasks())
    await until(lambda: model.task(2)["state"] == "SKP")  # through the tasks_changed event
    assert (await client.task(job_id, 0, 2))["state"] == "SKP"
    assert model.requests == before  # the event updated the row, no refetch
    view.act("restart", [2])
    await until(lambda: model.task(2)["state"] != "SKP")
    await client.task_action(job_id, 0, "skip", [PAGE])  # a page not loaded: nothing to do
    await client.task_action(job_id, 0, "skip", [3])
    await until(lambda: model.task(3)["state"] == "SKP")
    assert model.task(PAGE) is None and model.requests == before
    view.act("try-next", [7])
    view.act("no-such-action", [7])
    await until(lambda: errors)
    assert len(errors) == 1 and "no-such-action" in errors[0]


async def test_switching_blocks_unwatches_the_previous_one(client, qtbot):
    first = await client.submit(numeric_job("a", "true", 1, 10, paused=True))
    second = await client.submit(numeric_job("b", "true", 1, 20, paused=True))
    view = open_view(client, qtbot, first)
    await until(lambda: view.model.rowCount() == 10)
    view.show_block(second, 0)
    await until(lambda: view.model.rowCount() == 20)
    assert client._watched_blocks == {(second, 0)}


async def test_a_reload_event_refetches_the_loaded_pages(client, qtbot):
    job_id = await client.submit(numeric_job("many", "true", 1, 5000, paused=True))
    view = open_view(client, qtbot, job_id)
    model = view.model
    await until(lambda: model.task(0))
    await settle(view)
    before = model.requests
    await client.task_action(job_id, 0, "skip", None)  # 5000 changes: the server says reload
    await until(lambda: model.task(0)["state"] == "SKP")
    assert model.requests == before + len(model._pages)
