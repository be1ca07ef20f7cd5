"""The renders view against a real server: rows with bars, actions, the resource graphs."""

from __future__ import annotations

import re

from PyQt6.QtCore import Qt

from app import __version__
from app.api import numeric_job
from app.ui.client import FarmClient
from app.ui.renders_model import COLUMNS
from app.ui.renders_view import RendersView, bar_color
from app.ui.state_looks import tint
from app.ui.tables import BAR_ROLE
from tests.polling import until
from tests.ui.conftest import shown


def _row(view: RendersView, name: str) -> int | None:
    model = view.model
    return next((r for r in range(model.rowCount()) if model.render(r)["name"] == name), None)


def _cell(view: RendersView, name: str, column: str, role=Qt.ItemDataRole.DisplayRole):
    return view.model.index(_row(view, name), COLUMNS.index(column)).data(role)


async def test_renders_appear_with_bars_and_running_tasks(farm, client, qtbot):
    view = shown(qtbot, RendersView(client))
    farm.start_render("r1", 2)
    farm.start_render("r2", 1)
    await until(lambda: _row(view, "r1") is not None and _row(view, "r2") is not None)
    await until(
        lambda: (_cell(view, "r1", "CPU", BAR_ROLE) or (0, ""))[1].endswith(tuple("0123456789"))
    )
    fraction, text = _cell(view, "r1", "Memory", BAR_ROLE)
    assert 0 < fraction <= 1 and "GB" in text
    assert "ONL" in _cell(view, "r1", "State")
    job = numeric_job("busy", "sleep 30", 1, 3, user_name="ann", block_extra={"capacity": 100})
    await client.submit(job)
    await until(lambda: _cell(view, "r1", "Tasks", BAR_ROLE)[1].startswith("2/2"), 30)
    # the running tasks as text (job, frames, user), in the column and the bar's tooltip
    await until(lambda: "busy · frame " in _cell(view, "r1", "Running"), 30)
    assert " · ann" in _cell(view, "r1", "Running")
    assert "busy · frame " in _cell(view, "r1", "Tasks", Qt.ItemDataRole.ToolTipRole)
    view.grab()  # the delegate paints every bar
    rows = view.model.rowCount()
    await client.renders_action("exit", ["r2"])
    await until(lambda: "OFF" in _cell(view, "r2", "State"), 30)  # only offline ones go
    await client.renders_action("delete", ["r2"])
    await until(lambda: view.model.rowCount() == rows - 1, 30)
    assert _row(view, "r1") is not None


async def test_an_action_from_the_view_changes_the_render_on_the_server(farm, client, qtbot):
    view = RendersView(client)
    qtbot.addWidget(view)
    farm.start_render("r1", 1)
    await until(lambda: _row(view, "r1") is not None)
    view.table.selectRow(_row(view, "r1"))
    assert view.selected_names() == ["r1"]
    view.act("nimby")
    await until(lambda: farm.client.render("r1")["nimby"] == "nimby")
    await until(lambda: "NbY" in _cell(view, "r1", "State"))
    view.edit({"services": ["blender"]})
    await until(lambda: farm.client.render("r1")["services"] == ["blender"])


async def test_rows_by_state_a_nimby_toggle_and_host_facts(farm, client, qtbot):
    view = shown(qtbot, RendersView(client))
    for name in ("busy", "free", "quiet", "gone"):
        farm.start_render(name, 1)
    await until(lambda: all(_row(view, n) is not None for n in ("busy", "free", "quiet", "gone")))
    await client.renders_action("NIMBY", ["quiet"])
    await client.renders_action("exit", ["gone"])
    await client.submit(numeric_job("long", "sleep 30", 1, 1, hosts_mask="busy"))
    await until(lambda: _cell(view, "busy", "Running"), 30)
    await until(lambda: "OFF" in _cell(view, "gone", "State"), 30)
    await until(lambda: _cell(view, "quiet", "NIMBY") == "NIMBY")
    proxy = view.proxy
    shown_order = [proxy.index(r, 0).data() for r in range(proxy.rowCount())]
    assert shown_order == ["gone", "quiet", "busy", "free"]  # offline, NIMBY, busy, free
    kinds = {n: _cell(view, n, "Name", Qt.ItemDataRole.BackgroundRole) for n in shown_order}
    assert kinds["gone"] == tint("offline") and kinds["quiet"] == tint("nimby")
    assert kinds["busy"] == tint("running") and kinds["free"] is None
    # the NIMBY column's check box sets NIMBY and back to free on the server
    nimby = view.proxy.index(shown_order.index("free"), COLUMNS.index("NIMBY"))
    assert nimby.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked
    assert nimby.flags() & Qt.ItemFlag.ItemIsUserCheckable
    view.proxy.setData(nimby, Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole)
    await until(lambda: farm.client.render("free")["nimby"] == "NIMBY")
    await until(lambda: _cell(view, "free", "NIMBY") == "NIMBY")
    checked = view.model.index(_row(view, "quiet"), COLUMNS.index("NIMBY"))
    view.model.setData(checked, Qt.CheckState.Unchecked, Qt.ItemDataRole.CheckStateRole)
    await until(lambda: farm.client.render("quiet")["nimby"] == "free")
    # the host's OS, Corral's version, the last heartbeat in ISO order (today: the clock)
    assert _cell(view, "busy", "OS") and _cell(view, "busy", "Version") == __version__
    assert re.fullmatch(r"\d\d:\d\d:\d\d", _cell(view, "busy", "Heartbeat"))
    # the tasks bar is one colour, whatever the load; load bars go green, orange, red
    colours = {view.tasks_delegate._colour_of(f).name() for f in (0.1, 0.8, 1.0)}
    assert len(colours) == 1 and len({bar_color(f).name() for f in (0.1, 0.8, 1.0)}) == 3


async def test_graphs_window_plots_the_history_incrementally(farm, qtbot):
    farm.server.stop()
    farm.start_server("--heartbeat", "0.5")
    client = FarmClient(farm.url, token=farm.admin_token)
    await client.start()
    try:
        farm.start_render("meter", 1, "--heartbeat", "0.5")
        view = RendersView(client)
        qtbot.addWidget(view)
        await until(lambda: _row(view, "meter") is not None)
        window = view.open_graphs("meter")
        qtbot.addWidget(window)
        await until(lambda: len(window.times) >= 2)
        first = len(window.times)
        window.refresh()
        await until(lambda: len(window.times) > first, 20)
        assert window.times == sorted(set(window.times))
        assert {"cpu", "memory", "disk", "network"} <= window.plots.keys()
        x, y = window.curves["cpu_user"].getData()
        assert len(x) == len(window.times) and len(y) == len(x)
        window.grab()
    finally:
        await client.close()
