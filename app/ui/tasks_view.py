"""The tasks of a block: a paged table (app/ui/tasks_model.py), sorted by state or number and
filtered by state and text, actions on the selected tasks, and a task's output window on
double-click or Enter."""

from __future__ import annotations

from collections.abc import Iterable

from PyQt6.QtCore import QPoint, Qt, QTimer
from PyQt6.QtGui import QAction, QColor, QKeySequence
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QMenu,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.ui.client import FarmClient
from app.ui.output_window import OutputWindow
from app.ui.tables import BarDelegate, check_only, filter_box, state_menu
from app.ui.tasks_model import PROGRESS_COLUMN, STATE_ORDER, TasksModel

# the task menu's actions (app/protocol.py TASK_ACTIONS), in groups a separator parts
ACTION_GROUPS = (
    (("Suspend", "suspend"), ("Continue", "continue")),
    (("Restart", "restart"), ("Try next", "try-next")),
    (("Mark done", "done"), ("Skip", "skip")),
)
BAR_COLOR = QColor("#43a047")
TYPING_MS = 300  # the text filter asks the server once typing pauses this long


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
        self.table.doubleClicked.connect(self._double_clicked)
        enter = QAction(self.table, shortcut=QKeySequence("Return"))
        enter.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        enter.triggered.connect(lambda: self._double_clicked(self.table.currentIndex()))
        self.table.addAction(enter)
        self.table.setSortingEnabled(True)  # by state (the State column) or by number
        self.states_button = QToolButton(text="States: all")
        self.state_actions = state_menu(self.states_button, STATE_ORDER, self._filter)
        self.filter_text = filter_box("name or render contains")
        self._typed = QTimer(self, singleShot=True, interval=TYPING_MS)
        self._typed.timeout.connect(lambda: self.model.set_text(self.filter_text.text()))
        self.filter_text.textChanged.connect(self._typed.start)
        bar = QHBoxLayout()
        bar.addWidget(self.filter_text, 1)
        bar.addWidget(self.states_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.table)
        self._outputs: set[OutputWindow] = set()

    def show_block(self, job: int, block: int) -> None:
        if self.model.job is not None:
            self.client.watch_block(self.model.job, self.model.block, on=False)
        self.client.watch_block(job, block)
        self.model.set_block(job, block)

    def selected_tasks(self) -> list[int]:
        """The selected task numbers, from the selection's ranges (filtered or sorted by state,
        those whose rows are loaded)."""
        rows: list[int] = []
        for selected in self.table.selectionModel().selection():
            rows.extend(range(selected.top(), selected.bottom() + 1))
        numbers = (self.model.task_number(row) for row in set(rows))
        return sorted(n for n in numbers if n is not None)

    def set_states(self, states: Iterable[str]) -> None:
        """Show the tasks in these states (none: all)."""
        check_only(self.state_actions, set(states))
        self._filter()

    def filters(self) -> dict:
        """The states and text shown (app/ui/layout_memory.py keeps them)."""
        return {
            "states": [s for s, action in self.state_actions.items() if action.isChecked()],
            "text": self.filter_text.text(),
        }

    def set_filters(self, values: dict) -> None:
        if isinstance(values.get("states"), list):
            self.set_states(s for s in values["states"] if isinstance(s, str))
        if isinstance(values.get("text"), str):
            self.filter_text.setText(values["text"])

    def _filter(self) -> None:
        states = self.filters()["states"]
        self.states_button.setText(f"States: {', '.join(states) or 'all'}")
        self.model.set_states(states)

    def error_hosts(self, tasks: list[int]) -> list[str]:
        """The hosts where these tasks (those loaded) failed, by name."""
        hosts = {h for n in tasks for h in (self.model.loaded(n) or {}).get("error_hosts", ())}
        return sorted(hosts)

    def act(self, action: str, tasks: list[int]) -> None:
        """A task action (app/api.py TASK_ACTIONS) on these tasks; the events show the result."""
        if tasks and self.model.job is not None:
            self.client.call(
                self.client.task_action(self.model.job, self.model.block, action, tasks)
            )

    def open_output(self, task: int, last_error: bool = False) -> OutputWindow:
        """The task's output window (with `last_error`, at its newest failed run)."""
        window = OutputWindow(
            self.client, self.model.job, self.model.block, task, last_error=last_error
        )
        self._outputs.add(window)
        window.destroyed.connect(lambda: self._outputs.discard(window))
        window.show()
        return window

    def _double_clicked(self, index) -> None:
        if not index.isValid():
            return
        number = self.model.task_number(index.row())
        if number is not None:
            self.open_output(number)

    def _menu(self, point: QPoint) -> None:
        tasks = self.selected_tasks()
        if tasks:
            menu = self.context_menu(tasks)
            menu.exec(self.table.viewport().mapToGlobal(point))
            menu.deleteLater()

    def context_menu(self, tasks: list[int]) -> QMenu:
        """The menu of these tasks: the first one's output, actions in groups, their error
        hosts (shown, and reset)."""
        menu = QMenu(self)
        first = self.model.loaded(tasks[0]) or {}
        menu.addAction("Output…", lambda: self.open_output(tasks[0]))
        last_error = menu.addAction(
            "Output of the last error…", lambda: self.open_output(tasks[0], last_error=True)
        )
        last_error.setEnabled(bool(first.get("errors") or first.get("last_error")))
        for group in ACTION_GROUPS:
            menu.addSeparator()
            for label, action in group:
                menu.addAction(label, lambda action=action: self.act(action, tasks))
        menu.addSeparator()
        hosts = self.error_hosts(tasks)
        reset = menu.addAction(
            f"Reset error hosts ({', '.join(hosts)})" if hosts else "No error hosts",
            lambda: self.act("reset-error-hosts", tasks),
        )
        reset.setEnabled(bool(hosts))
        return menu

    def _visible_rows(self) -> tuple[int, int]:
        first = max(0, self.table.rowAt(0))
        last = self.table.rowAt(self.table.viewport().height() - 1)
        return first, self.model.rowCount() - 1 if last < 0 else last
