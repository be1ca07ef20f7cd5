"""Keys and menus on a real farm: Delete, Ctrl+P, Ctrl+F and Enter; double-click opens the
tasks; move to top; menus in groups; actions the user's role does not allow shown disabled with
the reason (the user's role from whoami)."""

from PyQt6.QtCore import Qt
from PyQt6.QtTest import QTest
from PyQt6.QtWidgets import QMessageBox

from app.api import numeric_job
from app.ui.client import FarmClient
from app.ui.jobs_model import NAME
from app.ui.main_window import MainWindow
from app.ui.permissions import Me
from app.ui.renders_view import RendersView
from tests.polling import until
from tests.ui.conftest import shown


def texts(menu) -> list[str]:
    """A menu's action texts, a separator as "—"."""
    return [a.text() or "—" for a in menu.actions()]


async def test_keys_double_click_and_moves(farm, client, qtbot, monkeypatch):
    window = shown(qtbot, MainWindow(client, farm_notices=False))
    jobs = window.jobs
    first = await client.submit(numeric_job("first", "true", 1, 1, user_name="ann", paused=True))
    second = await client.submit(numeric_job("second", "true", 1, 3, user_name="ann", paused=True))
    await until(lambda: jobs.model.row_of(second) is not None)
    jobs.select_jobs([second])
    jobs.table.setFocus()

    # Enter shows the job's tasks, with the focus; a double-click too (not the editor)
    QTest.keyClick(jobs.table, Qt.Key.Key_Return)
    await until(lambda: window.tasks.model.rowCount() == 3)
    assert window.tasks.table.hasFocus()
    window.tasks.table.selectRow(1)
    QTest.keyClick(window.tasks.table, Qt.Key.Key_Return)  # Enter on a task: its output
    await until(lambda: window.tasks._outputs)
    for output in list(window.tasks._outputs):
        assert output.task == 1
        output.close()
    window.activateWindow()
    window.tasks.show_block(first, 0)
    await until(lambda: window.tasks.model.rowCount() == 1)
    index = jobs.model.index(jobs.model.row_of(second), NAME)
    jobs.table.doubleClicked.emit(index)
    await until(lambda: window.tasks.model.rowCount() == 3)
    assert not window.findChildren(QMessageBox) and not jobs.findChildren(type(window))

    # Ctrl+F: the name filter; Ctrl+P pauses; move to top starts it first; Delete deletes
    jobs.table.setFocus()
    QTest.keyClick(jobs.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert jobs.name_filter.hasFocus()
    await client.jobs_action("start", [first, second])
    await until(lambda: "OFF" not in jobs.model.job(second)["state"])
    jobs.table.setFocus()
    QTest.keyClick(jobs.table, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    await until(lambda: jobs.model.job(second)["offline"])
    next(a for a in jobs.context_menu().actions() if a.text() == "Move to top").trigger()
    await client.jobs_action("start", [second])
    farm.start_render("r1", 1)
    await until(lambda: (jobs.model.job(first) or {}).get("time_started"), 30)
    assert jobs.model.job(second)["time_started"] <= jobs.model.job(first)["time_started"]
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Yes)
    jobs.select_jobs([first])
    jobs.table.setFocus()
    QTest.keyClick(jobs.table, Qt.Key.Key_Delete)
    await until(lambda: jobs.model.row_of(first) is None)


async def test_menus_in_groups_and_actions_the_role_forbids_disabled(
    farm, client, qtbot, keep_running
):
    ann = farm.client.add_user("ann")
    bob = farm.client.add_user("bob")
    window = shown(qtbot, MainWindow(FarmClient(farm.url, token=ann["token"]), farm_notices=False))
    as_ann = window.client
    await as_ann.start()
    try:
        await until(lambda: window.jobs.who == Me("ann", "user"))
        jobs = window.jobs
        jobs.mine.setChecked(False)  # on at first for an artist
        mine = await as_ann.submit(numeric_job("mine", "true", 1, 1, paused=True))
        theirs = await client.submit(numeric_job("theirs", "true", 1, 1, user_name="bob"))
        await until(lambda: jobs.model.row_of(theirs) is not None)
        jobs.select_jobs([mine])
        menu = jobs.context_menu()
        assert texts(menu)[:7] == ["Open tasks", "Edit…", "—", "Pause", "Start", "Stop", "—"]
        assert all(a.isEnabled() for a in menu.actions())
        jobs.select_jobs([mine, theirs])
        by_text = {a.text(): a for a in jobs.context_menu().actions()}
        for text in ("Pause", "Delete…", "Move to top", "Priority…"):
            assert not by_text[text].isEnabled()
            assert by_text[text].toolTip() == "only their owner or an admin may change jobs of bob"
        assert by_text["Open tasks"].isEnabled()
        jobs.table.setFocus()
        QTest.keyClick(jobs.table, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)  # disabled
        jobs.select_jobs([mine])
        assert by_text["Pause"].isEnabled()

        # renders: ann may set her own workstation nimby, nothing else; an admin anything
        farm.start_render("annbox", 1)
        renders = window.renders
        await until(lambda: renders.model.rowCount() == 1)
        await client.edit_render("annbox", {"user_name": "ann"})
        await until(lambda: renders.model.render(0).get("user_name") == "ann")
        renders.table.selectRow(0)
        actions = {a.text(): a for a in renders.context_menu().actions()}
        assert actions["NIMBY (no jobs)"].isEnabled() and actions["Free"].isEnabled()
        assert not actions["Exit render"].isEnabled() and not actions["Set pool..."].isEnabled()
        assert actions["Exit render"].toolTip() == "only an admin may do this"
        await client.edit_render("annbox", {"user_name": bob["name"]})
        await until(lambda: renders.model.render(0).get("user_name") == "bob")
        actions = {a.text(): a for a in renders.context_menu().actions()}
        assert not actions["Free"].isEnabled()
        assert actions["Free"].toolTip() == "only their owner or an admin may change renders of bob"
        admin_view = shown(qtbot, RendersView(client))
        await until(lambda: admin_view.model.rowCount() == 1)
        admin_view.table.selectRow(0)
        assert all(a.isEnabled() for a in admin_view.context_menu().actions())
        assert not (await client.job(theirs))["offline"]  # the disabled Ctrl+P did nothing
    finally:
        window.close()
        await as_ann.close()
