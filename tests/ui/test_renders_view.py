"""The renders view against a real server: rows with bars, actions, the resource graphs."""

from __future__ import annotations

from PyQt6.QtCore import Qt

from app.api import numeric_job
from app.ui.client import FarmClient
from app.ui.renders_model import COLUMNS
from app.ui.renders_view import RendersView
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
    assert "job 1" in _cell(view, "r1", "Tasks", Qt.ItemDataRole.ToolTipRole)
    view.grab()  # the delegate paints every bar
    rows = view.model.rowCount()
    await client.renders_action("exit", ["r2"])
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
