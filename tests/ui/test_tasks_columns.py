"""The richer tasks table on a real farm: the latest run's memory, CPU, warnings and error as
columns, a running task's activity (its last line of output), and the task menu's groups:
suspend, continue, mark done, the last error's output."""

from app.api import numeric_job
from app.ui.tasks_model import COLUMNS
from app.ui.tasks_view import TasksView
from tests.polling import until
from tests.ui.conftest import shown


def column(view: TasksView, row: int, name: str) -> str:
    """A cell's text ("" before its row is loaded)."""
    return view.model.index(row, COLUMNS.index(name)).data() or ""


def menu_action(view: TasksView, tasks: list[int], text: str):
    return next(a for a in view.context_menu(tasks).actions() if a.text() == text)


async def test_usage_columns_and_the_last_errors_output(farm, client, qtbot):
    # frame 1 fails at once (no retries), frame 2 succeeds
    job = numeric_job("half", "test @#@ -ne 1", 1, 2, block_extra={"errors_retries": 0})
    job_id = await client.submit(job)
    view = shown(qtbot, TasksView(client))
    view.show_block(job_id, 0)
    assert not menu_action(view, [0], "Output of the last error…").isEnabled()  # not loaded
    farm.start_render("r1", 1)
    # the rows change by events; when a run ends its page is fetched again for the usage
    await until(lambda: column(view, 0, "Last error") == "exit code 1", 60)
    await until(lambda: column(view, 1, "Memory"), 30)
    assert column(view, 0, "State") == "ERR" and column(view, 1, "State") == "DON"
    assert column(view, 1, "Memory").endswith(" MB") and column(view, 1, "CPU").endswith(" %")
    assert column(view, 1, "Last error") == "" and column(view, 1, "Warnings") == ""

    menu_action(view, [1], "Restart").trigger()  # task 1 now has two runs, the last done
    await until(lambda: view.model.task(1)["starts"] == 2, 30)
    assert not menu_action(view, [1], "Output of the last error…").isEnabled()
    failed = menu_action(view, [0], "Output of the last error…")
    assert failed.isEnabled()
    failed.trigger()
    (window,) = view._outputs
    qtbot.addWidget(window)
    await until(lambda: window.runs_box.count() == 1)
    assert window.facts.text().startswith("on r1 · exit status 1")


async def test_a_running_tasks_activity_is_its_last_line(farm, client, qtbot):
    command = "for i in $(seq 1 20); do echo step $i of 20; sleep 0.4; done"
    job_id = await client.submit(numeric_job("steps", command, 1, 1))
    view = shown(qtbot, TasksView(client))
    view.show_block(job_id, 0)
    farm.start_render("r1", 1)
    await until(lambda: column(view, 0, "Activity").startswith("step "), 30)
    seen = column(view, 0, "Activity")
    assert (await client.task(job_id, 0, 0))["activity"].startswith("step ")
    await until(lambda: column(view, 0, "Activity") not in (seen, ""), 10)  # it moves on
    await until(lambda: column(view, 0, "State") == "DON", 30)
    await until(lambda: column(view, 0, "Activity") == "", 10)  # done: no activity


async def test_suspend_continue_and_mark_done_from_the_menu(client, qtbot):
    job_id = await client.submit(numeric_job("held", "true", 1, 3, paused=True))
    view = shown(qtbot, TasksView(client))
    view.show_block(job_id, 0)
    await until(lambda: view.model.task(2))
    texts = [a.text() or "—" for a in view.context_menu([0, 1]).actions()]  # — a separator
    assert texts[:6] == ["Output…", "Output of the last error…", "—", "Suspend", "Continue", "—"]
    menu_action(view, [0, 1], "Suspend").trigger()
    await until(lambda: [view.model.task(n)["state"] for n in range(3)] == ["SUS", "SUS", "RDY"])
    menu_action(view, [1], "Continue").trigger()
    await until(lambda: view.model.task(1)["state"] == "RDY")
    menu_action(view, [2], "Mark done").trigger()
    await until(lambda: view.model.task(2)["state"] == "DON")
    assert (await client.task(job_id, 0, 2))["state"] == "DON"
    assert view.model.task(0)["state"] == "SUS"
