"""Users, pools and 'Why not running?' against a real server: edits reach the server, refused
values are put back with the server's error, pools are added, edited in typed fields and
deleted, the explainer's reasons are listed."""

from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialogButtonBox,
    QDoubleSpinBox,
    QInputDialog,
    QMessageBox,
    QSpinBox,
    QTableWidget,
)

from app.api import numeric_job
from app.core.key_docs import USER
from app.core.pools import SETTINGS
from app.ui.key_form import FormDialog
from app.ui.pools_view import PoolsView
from app.ui.users_view import COLUMNS, UsersView
from app.ui.why_panel import WhyPanel
from tests.polling import until
from tests.ui.conftest import shown


def cell(table: QTableWidget, row: int, key: str, keys=COLUMNS):
    return table.item(row, keys.index(key))


def setting_row(view: PoolsView, key: str) -> int:
    table = view.settings
    return next(r for r in range(table.rowCount()) if table.item(r, 0).text() == key)


async def test_user_settings_are_edited_in_place(client, qtbot):
    await client.submit(numeric_job("a", "true", 1, 2, user_name="ann", paused=True))
    view = UsersView(client)
    qtbot.addWidget(view)
    await until(lambda: view.table.rowCount() == 1)
    assert cell(view.table, 0, "name").text() == "ann"

    cell(view.table, 0, "priority").setText("150")
    await until(lambda: view.users["ann"]["priority"] == 150)
    assert (await client.users())[0]["priority"] == 150

    cell(view.table, 0, "priority").setText("999")  # the server refuses it
    await until(lambda: view.status.text())
    assert "priority" in view.status.text()
    assert cell(view.table, 0, "priority").text() == "150"

    cell(view.table, 0, "paused").setText("yes")  # not a value of the setting's kind
    assert "paused" in view.status.text() and cell(view.table, 0, "paused").text() == "false"
    cell(view.table, 0, "paused").setText("true")
    await until(lambda: (view.users["ann"]["paused"], view.status.text()) == (True, ""))

    assert cell(view.table, 0, "queued_tasks").text() == "2"
    cell(view.table, 0, "max_queued_tasks").setText("10")  # her quota, from the server's (-1)
    await until(lambda: view.users["ann"]["queued_tasks_limit"] == 10)


async def test_user_settings_in_a_dialog_of_typed_fields(client, qtbot, keep_running):
    await client.submit(numeric_job("a", "true", 1, 2, user_name="ann", paused=True))
    view = shown(qtbot, UsersView(client))
    await until(lambda: view.table.rowCount() == 1)
    view.table.itemDoubleClicked.emit(cell(view.table, 0, "name"))
    dialog = view.findChild(FormDialog)
    assert isinstance(dialog.fields["priority"], QSpinBox)
    assert isinstance(dialog.fields["paused"], QCheckBox)
    assert isinstance(dialog.fields["solve_method"], QComboBox)
    assert "Solving" in dialog.form.groups and dialog.changes() == {}
    assert dialog.fields["solve_need"].toolTip().startswith(USER["solve_need"])
    dialog.set_field("hosts_mask", "farm(")
    assert "hosts_mask" in dialog.error.text()
    dialog.set_field("hosts_mask", "farm.*")
    dialog.set_field("priority", "180")
    dialog.set_field("paused", "true")
    dialog.save()
    await until(lambda: view.users["ann"]["priority"] == 180)
    user = (await client.users())[0]
    assert (user["priority"], user["paused"], user["hosts_mask"]) == (180, True, "farm.*")
    assert cell(view.table, 0, "priority").text() == "180"


async def test_pools_tree_shows_own_and_effective_settings_and_edits_them(client, qtbot):
    view = PoolsView(client)
    qtbot.addWidget(view)
    await until(lambda: view.tree.topLevelItemCount() == 1)
    await client.request("POST", "/pools", {"path": "/gpu/"})
    await until(lambda: view.tree.topLevelItem(0).childCount() == 1)  # the pools event
    view.tree.setCurrentItem(view.tree.topLevelItem(0).child(0))
    assert view.path == "/gpu/"
    row = setting_row(view, "capacity_host")
    assert view.settings.item(row, 1).text() == "-1"  # inherits...
    assert view.settings.item(row, 2).text() == "1100"  # ...the root's

    view.settings.item(row, 1).setText("500")
    await until(lambda: view.settings.item(setting_row(view, "capacity_host"), 2).text() == "500")
    assert (await client.pools())["effective"]["/gpu/"]["capacity_host"] == 500

    row = setting_row(view, "priority")
    view.settings.item(row, 1).setText("400")
    await until(lambda: view.status.text())
    assert "priority" in view.status.text() and view.settings.item(row, 1).text() == "99"


async def test_why_panel_lists_the_reason_per_render(farm, client, qtbot):
    job_id = await client.submit(numeric_job("held", "true", 1, 2, paused=True))
    panel = shown(qtbot, WhyPanel(client))
    panel.show_job(job_id)
    await until(lambda: "No render is online" in panel.summary.text())
    farm.start_render("r1", 1)
    await until(lambda: panel.table.rowCount() == 1, 30)  # the refresh timer
    assert panel.table.item(0, 0).text() == "r1"
    assert panel.table.item(0, 1).text() == "job is paused"


async def test_pools_are_added_under_the_current_one_and_deleted(client, qtbot, monkeypatch):
    view = shown(qtbot, PoolsView(client))
    await until(lambda: view.tree.topLevelItemCount() == 1)
    monkeypatch.setattr(QInputDialog, "getText", lambda *a: ("gpu", True))
    view.ask_new_pool()  # under the root, the current pool
    await until(lambda: "/gpu/" in view.summary["pools"])
    assert view.path == "/gpu/" and view.tree.currentItem().text(0) == "/gpu/"
    view.add_pool("/gpu/big/")
    await until(lambda: view.path == "/gpu/big/" and "/gpu/big/" in view.summary["pools"])
    assert "/gpu/big/" in (await client.pools())["pools"]

    view.tree.setCurrentItem(view.tree.topLevelItem(0).child(0))  # /gpu/ has a child
    view.delete_pool("/gpu/")
    await until(lambda: view.status.text())
    assert "/gpu/" in (await client.pools())["pools"]
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Yes)
    view.tree.setCurrentItem(view.tree.topLevelItem(0).child(0).child(0))
    view.ask_delete_pool()
    await until(lambda: "/gpu/big/" not in view.summary["pools"])
    assert "/gpu/big/" not in (await client.pools())["pools"]
    view.tree.setCurrentItem(view.tree.topLevelItem(0))
    view.ask_delete_pool()
    assert view.status.text() == "the root pool stays"
    view.add_pool("/no/such/")  # its parent does not exist: refused, the root shown
    await until(lambda: view.status.text() != "the root pool stays")
    assert view.path == "/" and "/no/such/" not in (await client.pools())["pools"]


async def test_pool_settings_in_a_dialog_of_typed_fields(client, qtbot):
    view = shown(qtbot, PoolsView(client))
    await until(lambda: view.tree.topLevelItemCount() == 1)
    await client.request("POST", "/pools", {"path": "/gpu/", "zombie_time": 90})
    await until(lambda: "/gpu/" in view.summary["pools"])
    dialog = view.edit("/gpu/")
    capacity = dialog.fields["capacity_host"]
    assert isinstance(capacity, QSpinBox) and capacity.text() == "inherit"  # -1, in words
    assert capacity.toolTip().startswith(SETTINGS["capacity_host"].description + "\n")
    assert "-1 = inherit" in capacity.toolTip()
    zombie = dialog.fields["zombie_time"]
    assert isinstance(zombie, QDoubleSpinBox) and zombie.value() == 90
    assert isinstance(dialog.fields["paused"], QCheckBox)
    assert list(dialog.form.groups)[:2] == ["Renders", "Scheduling"] and dialog.changes() == {}
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    dialog.set_field("pattern", "gpu(")  # checked as typed
    assert not ok.isEnabled() and "pattern" in dialog.error.text()
    dialog.set_field("pattern", "gpu.*")
    dialog.set_field("capacity_host", "2000")
    dialog.set_field("zombie_time", "-1")  # back to the parent's
    assert dialog.changes() == {"pattern": "gpu.*", "capacity_host": 2000, "zombie_time": -1}
    saved = []
    dialog.saved.connect(saved.append)
    dialog.save()
    await until(lambda: saved)  # the dialog closes (and goes) with the server's answer
    pools = await client.pools()
    assert pools["pools"]["/gpu/"]["pattern"] == "gpu.*"
    assert pools["effective"]["/gpu/"]["capacity_host"] == 2000
    assert pools["pools"]["/gpu/"]["zombie_time"] == -1
    assert view.settings.item(setting_row(view, "capacity_host"), 1).text() == "2000"

    root = view.edit("/")  # the root inherits nothing and has no pattern
    assert "pattern" not in root.fields and root.fields["capacity_host"].minimum() == 0
    assert root.fields["sick_errors_count"].text() == "off"
    root.set_field("priority", "0")
    root.saved.connect(saved.append)
    root.save()
    await until(lambda: len(saved) == 2)
    assert (await client.pools())["pools"]["/"]["priority"] == 0
