"""The tasks of a block: a paged table (app/ui/tasks_model.py), actions on the selected tasks,
and a task's output window on double-click."""

from __future__ import annotations

from PyQt6.QtCore import QPoint, Qt
from PyQt6.QtGui import QColor
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QMenu,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.ui.client import FarmClient
from app.ui.output_window import OutputWindow
from app.ui.tables import BarDelegate
from app.ui.tasks_model import PROGRESS_COLUMN, TasksModel

ACTIONS = (("Skip", "skip"), ("Restart", "restart"), ("Try next", "try-next"))
BAR_COLOR = QColor("#43a047")


class TasksView(QWidget):
    """The tasks of one block at a time (`show_block`), watched for live changes."""

    def __init__(self, client: FarmClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.client = client
        self.model = TasksModel(client, self)
        self.model.visible_rows = self._visible_rows
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(
            PROGRESS_COLUMN, BarDelegate(lambda _: BAR_COLOR, self.table)
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        rows = self.table.verticalHeader()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # a million rows stay cheap
        rows.setDefaultSectionSize(self.fontMetrics().height() + 6)
        rows.hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._menu)
        self.table.doubleClicked.connect(lambda index: self.open_output(index.row()))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        self._outputs: set[OutputWindow] = set()

    def show_block(self, job: int, block: int) -> None:
        if self.model.job is not None:
            self.client.watch_block(self.model.job, self.model.block, on=False)
        self.client.watch_block(job, block)
        self.model.set_block(job, block)

    def selected_tasks(self) -> list[int]:
        """The selected task numbers (row r is task r), from the selection's ranges."""
        tasks: list[int] = []
        for selected in self.table.selectionModel().selection():
            tasks.extend(range(selected.top(), selected.bottom() + 1))
        return sorted(set(tasks))

    def error_hosts(self, tasks: list[int]) -> list[str]:
        """The hosts where these tasks (those loaded) failed, by name."""
        hosts = {h for n in tasks for h in (self.model.task(n) or {}).get("error_hosts", ())}
        return sorted(hosts)

    def act(self, action: str, tasks: list[int]) -> None:
        """A task action (app/api.py TASK_ACTIONS) on these tasks; the events show the result."""
        if tasks and self.model.job is not None:
            self.client.call(
                self.client.task_action(self.model.job, self.model.block, action, tasks)
            )

    def open_output(self, task: int) -> OutputWindow:
        window = OutputWindow(self.client, self.model.job, self.model.block, task)
        self._outputs.add(window)
        window.destroyed.connect(lambda: self._outputs.discard(window))
        window.show()
        return window

    def _menu(self, point: QPoint) -> None:
        tasks = self.selected_tasks()
        if tasks:
            menu = self.context_menu(tasks)
            menu.exec(self.table.viewport().mapToGlobal(point))
            menu.deleteLater()

    def context_menu(self, tasks: list[int]) -> QMenu:
        """The menu of these tasks: actions, their error hosts to reset, the output."""
        menu = QMenu(self)
        for label, action in ACTIONS:
            menu.addAction(label, lambda action=action: self.act(action, tasks))
        menu.addSeparator()
        hosts = self.error_hosts(tasks)
        reset = menu.addAction(
            f"Reset error hosts ({', '.join(hosts)})" if hosts else "No error hosts",
            lambda: self.act("reset-error-hosts", tasks),
        )
        reset.setEnabled(bool(hosts))
        menu.addSeparator()
        menu.addAction("Output…", lambda: self.open_output(tasks[0]))
        return menu

    def _visible_rows(self) -> tuple[int, int]:
        first = max(0, self.table.rowAt(0))
        last = self.table.rowAt(self.table.viewport().height() - 1)
        return first, self.model.rowCount() - 1 if last < 0 else last
