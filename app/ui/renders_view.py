"""The renders view: the table of renders, its bars, its actions and the graphs window.

Rows come from `client.renders()` once, then from `renders_changed` / `renders_deleted`. While
tasks run, their progress is fetched every PROGRESS_PERIOD seconds (at most MAX_PROGRESS tasks).
The context menu acts on the selected renders through `client.call`; a double-click opens the
render's `ResourceGraphs`.
"""

from __future__ import annotations

import asyncio

from PyQt6.QtCore import QSortFilterProxyModel, Qt, QTimer
from PyQt6.QtGui import QColor
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QInputDialog,
    QMenu,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.ui.client import FarmClient
from app.ui.graphs import ResourceGraphs
from app.ui.renders_model import BAR_COLUMNS, NameRole, RendersModel, TaskKey
from app.ui.tables import SORT_ROLE, BarDelegate, TextFilter, filter_box

PROGRESS_PERIOD = 3.0
MAX_PROGRESS = 64
ACTIONS = (
    ("Free", "free"),
    ("nimby (only my jobs)", "nimby"),
    ("NIMBY (no jobs)", "NIMBY"),
    ("Pause", "pause"),
    ("Unpause", "unpause"),
    ("Eject tasks", "eject"),
    ("Exit render", "exit"),
    ("Heal (sick: too many errors)", "heal-sick"),
)


def bar_color(fraction: float) -> QColor:
    """Green when low, orange past 70 %, red past 90 %."""
    if fraction > 0.9:
        return QColor(214, 69, 65)
    if fraction > 0.7:
        return QColor(230, 150, 40)
    return QColor(76, 160, 90)


class RendersView(TextFilter, QWidget):
    """The renders, sortable by any column and filtered by a text in any of their texts."""

    def __init__(self, client: FarmClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.client = client
        self.model = RendersModel()
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setFilterKeyColumn(-1)  # any column's text
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.filter_text = filter_box("name, state, pool or user contains")
        self.filter_text.textChanged.connect(self.proxy.setFilterFixedString)
        self.graphs: dict[str, ResourceGraphs] = {}
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._menu)
        self.table.doubleClicked.connect(lambda index: self.open_graphs(index.data(NameRole)))
        self.table.verticalHeader().hide()
        self.delegate = BarDelegate(bar_color, self.table)
        for column in BAR_COLUMNS:
            self.table.setItemDelegateForColumn(column, self.delegate)
            self.table.setColumnWidth(column, 110)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.filter_text)
        layout.addWidget(self.table)
        client.renders_changed.connect(self.model.update)
        client.renders_deleted.connect(self.model.remove)
        client.call(client.renders(), self.model.update)
        self._fetching = False
        self._timer = QTimer(self, interval=round(PROGRESS_PERIOD * 1000))
        self._timer.timeout.connect(self._refresh_progress)
        self._timer.start()

    def selected_names(self) -> list[str]:
        rows = self.table.selectionModel().selectedRows()
        return [index.data(NameRole) for index in rows]

    def act(self, action: str, names: list[str] | None = None) -> None:
        names = self.selected_names() if names is None else names
        if names:
            self.client.call(self.client.renders_action(action, names))

    def edit(self, params: dict, names: list[str] | None = None) -> None:
        for name in self.selected_names() if names is None else names:
            self.client.call(self.client.edit_render(name, params))

    def open_graphs(self, name: str) -> ResourceGraphs:
        window = self.graphs.get(name)
        if window is None:
            window = self.graphs[name] = ResourceGraphs(self.client, name)
            window.destroyed.connect(lambda: self.graphs.pop(name, None))
        window.show()
        window.raise_()
        return window

    # -- context menu --------------------------------------------------------------------------

    def _menu(self, position) -> None:
        if not self.selected_names():
            return
        menu = QMenu(self)
        for label, action in ACTIONS:
            menu.addAction(label, lambda a=action: self.act(a))
        menu.addSeparator()
        menu.addAction("Set pool...", self._ask_pool)
        menu.addAction("Set services...", self._ask_services)
        menu.addAction("Resource graphs", lambda: self.open_graphs(self.selected_names()[0]))
        menu.exec(self.table.viewport().mapToGlobal(position))

    def _ask_pool(self) -> None:
        pool, ok = QInputDialog.getText(self, "Set pool", "Pool path (like /gpu/):")
        if ok and pool.strip():
            self.edit({"pool": pool.strip()})

    def _ask_services(self) -> None:
        text, ok = QInputDialog.getText(self, "Set services", "Enabled services (comma list):")
        if ok:
            self.edit({"services": [s.strip() for s in text.split(",") if s.strip()]})

    # -- progress of running tasks -------------------------------------------------------------

    def _refresh_progress(self) -> None:
        keys = self.model.running()[:MAX_PROGRESS]
        if keys and not self._fetching and self.client.state == "online":
            self._fetching = True
            self.client.call(self._progress(keys), self.model.set_progress)

    async def _progress(self, keys: list[TaskKey]) -> dict[TaskKey, float]:
        try:
            tasks = await asyncio.gather(
                *(self.client.task(*key) for key in keys), return_exceptions=True
            )
        finally:
            self._fetching = False
        return {
            key: float(task["percent"])
            for key, task in zip(keys, tasks, strict=True)
            if isinstance(task, dict) and task.get("percent") is not None
        }
