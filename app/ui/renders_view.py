"""The renders view: the table of renders, its bars, its actions and the graphs window.

Rows come from `client.renders()` once, then from `renders_changed` / `renders_deleted`, sorted
by state at first (offline, nimby, busy, free). While tasks run, their progress, frames and
job (name and user, asked once per job) are fetched every PROGRESS_PERIOD seconds (at most
MAX_PROGRESS tasks). Load bars are green, orange, red by load; the Tasks bar is one colour.
The NIMBY check box sets NIMBY or free; the context menu acts on the selected renders through
`client.call`; a double-click opens the render's `ResourceGraphs`.
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
from app.ui.permissions import Me
from app.ui.renders_model import (
    COLUMNS,
    LOAD_COLUMNS,
    TASKS_COLUMN,
    NameRole,
    RendersModel,
    TaskKey,
)
from app.ui.state_looks import text_colour
from app.ui.tables import SORT_ROLE, BarDelegate, TextFilter, filter_box

PROGRESS_PERIOD = 3.0
MAX_PROGRESS = 64
# the menu's render actions in groups: the first its owner (the workstation's user) may take
ACTION_GROUPS = (
    (("Free", "free"), ("nimby (only my jobs)", "nimby"), ("NIMBY (no jobs)", "NIMBY")),
    (("Pause", "pause"), ("Unpause", "unpause")),
    (("Eject tasks", "eject"), ("Exit render", "exit")),
    (("Heal (sick: too many errors)", "heal-sick"),),
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
        for column in LOAD_COLUMNS:
            self.table.setItemDelegateForColumn(column, self.delegate)
            self.table.setColumnWidth(column, 100)
        widths = {"NIMBY": 80, "Pool": 60, "User": 70, "Running": 300, "Capacity": 90}
        for name, width in widths.items():
            self.table.setColumnWidth(COLUMNS.index(name), width)
        self.table.setWordWrap(False)
        tasks_colour = text_colour("running")
        self.tasks_delegate = BarDelegate(lambda _: tasks_colour, self.table)
        self.table.setItemDelegateForColumn(TASKS_COLUMN, self.tasks_delegate)
        self.table.sortByColumn(COLUMNS.index("State"), Qt.SortOrder.AscendingOrder)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.filter_text)
        layout.addWidget(self.table)
        self.model.nimby_toggled.connect(
            lambda name, on: self.act("NIMBY" if on else "free", [name])
        )
        self._jobs: dict[int, dict] = {}  # job id -> {"job": name, "user": user name}
        self.who = Me()  # the user's name and role, once the main window knows them
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

    def set_me(self, me: Me) -> None:
        self.who = me

    def _menu(self, position) -> None:
        if self.selected_names():
            menu = self.context_menu()
            menu.exec(self.table.viewport().mapToGlobal(position))
            menu.deleteLater()

    def context_menu(self) -> QMenu:
        """The selected renders' actions in groups; those the user may not take are disabled,
        their tooltip telling why."""
        owners = [
            self.model.render(self.proxy.mapToSource(i).row()).get("user_name") or "?"
            for i in self.table.selectionModel().selectedRows()
        ]
        menu = QMenu(self)
        menu.setToolTipsVisible(True)
        for number, group in enumerate(ACTION_GROUPS):
            own = number == 0  # nimby, NIMBY, free: the render's owner's too
            reason = self.who.owner_reason(owners, "renders") if own else self.who.admin_reason()
            for label, action in group:
                self._add(menu, label, lambda a=action: self.act(a), reason)
            menu.addSeparator()
        reason = self.who.admin_reason()
        self._add(menu, "Set pool...", self._ask_pool, reason)
        self._add(menu, "Set services...", self._ask_services, reason)
        menu.addSeparator()
        menu.addAction("Resource graphs", lambda: self.open_graphs(self.selected_names()[0]))
        return menu

    @staticmethod
    def _add(menu: QMenu, label: str, slot, reason: str | None) -> None:
        action = menu.addAction(label, slot)
        action.setEnabled(reason is None)
        if reason:
            action.setToolTip(reason)

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
            self.client.call(self._running(keys), self.model.set_running)

    async def _running(self, keys: list[TaskKey]) -> dict[TaskKey, dict]:
        """What the running tasks are: percent done, frames, job name and user."""
        try:
            new_jobs = sorted({key[0] for key in keys} - set(self._jobs))
            jobs = await asyncio.gather(
                *(self.client.job(job) for job in new_jobs), return_exceptions=True
            )
            for job_id, job in zip(new_jobs, jobs, strict=True):
                if isinstance(job, dict):
                    self._jobs[job_id] = {"job": job["name"], "user": job["user_name"]}
            tasks = await asyncio.gather(
                *(self.client.task(*key) for key in keys), return_exceptions=True
            )
        finally:
            self._fetching = False
        return {
            key: {**self._jobs.get(key[0], {}), "percent": task["percent"], "frames": _frames(task)}
            for key, task in zip(keys, tasks, strict=True)
            if isinstance(task, dict)
        }


def _frames(task: dict) -> str:
    first, last = task["frame_start"], task["frame_end"]
    return f"frame {first}" if first == last else f"frames {first}-{last}"
