"""The jobs list with its filter bar and the actions on the selected jobs.

Blocks show under their job once it is expanded: a click on the job's ID cell, or the Right
(Left) key, expands (collapses) it. A QTableView, not a QTreeView: see jobs_model's doc.

Actions go to the server through `client.call` (a refusal shows through `client.failed`); the
tree changes when the server's events come back, never optimistically. They are grouped in the
menu, with keys: Enter (or a double-click) opens the current job's tasks, Ctrl+P pauses, Delete
deletes, Ctrl+F goes to the name filter. Those the user's role does not allow on the selection
(app/ui/permissions.py) are disabled, their tooltip telling why.
"""

from __future__ import annotations

from collections.abc import Iterable

from PyQt6.QtCore import QItemSelection, QModelIndex, QPoint, QRect, Qt, pyqtSignal
from PyQt6.QtGui import QAction, QKeySequence
from PyQt6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLineEdit,
    QMenu,
    QMessageBox,
    QTableView,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.ui.client import FarmClient
from app.ui.job_dialog import JobDialog
from app.ui.jobs_model import (
    BLOCK_ROLE,
    CREATED,
    ID,
    JOB_ID_ROLE,
    LAST_COLUMN,
    NAME,
    NOTE,
    PROGRESS,
    STARTED,
    JobsModel,
    runs,
)
from app.ui.permissions import Me
from app.ui.progress_delegate import ProgressDelegate
from app.ui.state_looks import FAILING
from app.ui.tables import check_only, state_menu

STATES = ("RUN", "RDY", FAILING, "AVD", "ERR", "DON", "OFF", "WDP", "WTM")
# the server's job actions as (label, action, key), in the groups a separator parts
ACTION_GROUPS = (
    (("Pause", "pause", "Ctrl+P"), ("Start", "start", ""), ("Stop", "stop", "")),
    (("Restart errors", "restart-errors", ""), ("Restart", "restart", "")),
)
MOVES = (
    ("Move to top", "top"),
    ("Move up", "up"),
    ("Move down", "down"),
    ("Move to bottom", "bottom"),
)


class JobsTable(QTableView):
    """A QTableView that repaints only the visible rows a change touches (QAbstractItemView
    repaints the whole viewport for any change of more than one cell: ~30 ms at full screen)."""

    def dataChanged(self, top_left: QModelIndex, bottom_right: QModelIndex, roles=()) -> None:
        viewport = self.viewport()
        top = max(0, self.rowViewportPosition(top_left.row()))
        last = bottom_right.row()
        bottom = min(viewport.height(), self.rowViewportPosition(last) + self.rowHeight(last))
        if bottom > top:
            viewport.update(QRect(0, top, viewport.width(), bottom - top))


class JobsView(QWidget):
    """Jobs (blocks expand under them), filters, and actions on the selection."""

    job_selected = pyqtSignal(int)  # the current row is a job
    block_selected = pyqtSignal(int, int)  # the current row is a block: job, block
    tasks_wanted = pyqtSignal(int, int)  # Enter or a double-click: show this block's tasks

    def __init__(self, client: FarmClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.client = client
        self.model = JobsModel(client, self)

        self.me = client.user  # whose jobs "My jobs" shows (the main window may say better)
        self.who = Me()  # the user's name and role, once the main window knows them
        self.name_filter = QLineEdit(placeholderText="name contains")
        self.user_filter = QLineEdit(placeholderText="user")
        for edit in (self.name_filter, self.user_filter):
            edit.setClearButtonEnabled(True)
            edit.textChanged.connect(self._filter)
        self.mine = QCheckBox("My jobs")
        self.hide_done = QCheckBox("Hide done")
        for box in (self.mine, self.hide_done):
            box.toggled.connect(self._filter)
        self.states_button = QToolButton(text="States: any")
        self.state_actions = state_menu(self.states_button, STATES, self._filter)

        self.table = JobsTable()
        self.table.setModel(self.model)
        rows = self.table.verticalHeader()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # no per-row size queries
        rows.setDefaultSectionSize(self.fontMetrics().height() + 6)
        rows.hide()
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionMode(QTableView.SelectionMode.ExtendedSelection)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.table.setItemDelegateForColumn(PROGRESS, ProgressDelegate(self.table))
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(ID, Qt.SortOrder.AscendingOrder)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self._current_changed(current)
        )
        self.table.clicked.connect(self._clicked)
        self._current: tuple[int, int | None] | None = None  # (job, block) last announced
        self._kept: tuple[list, tuple | None, int] = ([], None, 0)
        self.model.reordering.connect(self._keep_selection)
        self.model.reordered.connect(self._restore_selection)
        self.table.doubleClicked.connect(lambda _index: self.open_tasks())
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        widths = {ID: 80, NAME: 220, PROGRESS: 160, CREATED: 150, STARTED: 150, NOTE: 200}
        for column, width in widths.items():
            header.resizeSection(column, width)
        for key, on in ((Qt.Key.Key_Right, True), (Qt.Key.Key_Left, False)):
            toggle = QAction(self.table, shortcut=QKeySequence(key))
            toggle.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            toggle.triggered.connect(lambda _=False, on=on: self._expand_current(on))
            self.table.addAction(toggle)

        self.owned: list[QAction] = []  # the actions only the jobs' owner (or an admin) may take
        self.groups: list[list[QAction]] = [
            [
                self._action("Open tasks", self.open_tasks, "Return"),
                self._action("Edit…", self.edit),
            ]
        ]
        for group in ACTION_GROUPS:
            self.groups.append(
                [
                    self._action(label, lambda _=False, a=action: self.act(a), key, owned=True)
                    for label, action, key in group
                ]
            )
        self.groups.append(
            [
                self._action(label, lambda _=False, to=to: self.move(to), owned=True)
                for label, to in MOVES
            ]
        )
        self.groups.append([self._action("Priority…", self.set_priority, owned=True)])
        self.groups.append([self._action("Delete…", self.delete, "Delete", owned=True)])
        self._action("Filter by name", self.name_filter.setFocus, "Ctrl+F", on=self)
        toolbar = QToolBar()
        for group in self.groups:
            toolbar.addActions(group)
            toolbar.addSeparator()
        self.table.selectionModel().selectionChanged.connect(self.check_permissions)

        filters = QHBoxLayout()
        filters.addWidget(self.mine)
        filters.addWidget(self.name_filter, 2)
        filters.addWidget(self.user_filter, 1)
        filters.addWidget(self.states_button)
        filters.addWidget(self.hide_done)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(toolbar)
        layout.addLayout(filters)
        layout.addWidget(self.table)

    def _action(
        self, label: str, slot, key: str = "", owned: bool = False, on: QWidget | None = None
    ) -> QAction:
        """An action of the selection; its key works while the table (or `on`) has the focus."""
        action = QAction(label, self)
        action.triggered.connect(slot)
        if key:
            action.setShortcut(QKeySequence(key))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            (on or self.table).addAction(action)
        if owned:
            self.owned.append(action)
        return action

    def set_me(self, me: Me) -> None:
        """The user's name and role (FarmClient.whoami): actions follow what it allows."""
        self.who = me
        self.check_permissions()

    def check_permissions(self) -> None:
        """Disable the actions the user may not take on the selected jobs, saying why."""
        owners = (job["user_name"] for i in self.selected_jobs() if (job := self.model.job(i)))
        reason = self.who.owner_reason(owners)
        for action in self.owned:
            action.setEnabled(reason is None)
            action.setToolTip(reason or action.text().rstrip("…"))

    # -- selection -------------------------------------------------------------------------------

    def selected_jobs(self) -> list[int]:
        """The ids of the selected jobs (a selected block counts as its job), in view order."""
        ids: dict[int, None] = {}
        for index in sorted(self.table.selectionModel().selectedRows(), key=QModelIndex.row):
            ids[index.data(JOB_ID_ROLE)] = None
        return list(ids)

    def select_jobs(self, ids: list[int]) -> None:
        """Select these jobs' rows (the first becomes current)."""
        selection = QItemSelection()
        for job_id in ids:
            row = self.model.row_of(job_id)
            if row is not None:
                selection.select(self.model.index(row, 0), self.model.index(row, LAST_COLUMN))
        model = self.table.selectionModel()
        flags = model.SelectionFlag.ClearAndSelect
        model.select(selection, flags)
        if not selection.isEmpty():
            model.setCurrentIndex(selection.indexes()[0], model.SelectionFlag.NoUpdate)
            self._current_changed(selection.indexes()[0])

    def _current_changed(self, current: QModelIndex) -> None:
        if not current.isValid():
            return
        item = self.model.item_at(current.row())
        if item == self._current:  # the same job or block on another row (a re-sort)
            return
        self._current = item
        job_id, block = item
        if block is None:
            self.job_selected.emit(job_id)
        else:
            self.block_selected.emit(job_id, block)

    def _keep_selection(self) -> None:
        """Rows are about to change places: remember what is selected by job and block."""
        model = self.table.selectionModel()
        current = self.table.currentIndex()
        self._kept = (
            [self.model.item_at(index.row()) for index in model.selectedRows()],
            self.model.item_at(current.row()) if current.isValid() else None,
            max(current.column(), 0),
        )

    def _restore_selection(self) -> None:
        items, current, column = self._kept
        rows = sorted(row for item in items if (row := self.model.row_of_item(*item)) is not None)
        selection = QItemSelection()
        for first, last in runs(rows):
            selection.select(self.model.index(first, 0), self.model.index(last, LAST_COLUMN))
        model = self.table.selectionModel()
        model.select(selection, model.SelectionFlag.ClearAndSelect)
        row = None if current is None else self.model.row_of_item(*current)
        if row is not None:
            model.setCurrentIndex(self.model.index(row, column), model.SelectionFlag.NoUpdate)

    def _clicked(self, index: QModelIndex) -> None:
        job_id = index.data(JOB_ID_ROLE)
        if index.column() == ID and index.data(BLOCK_ROLE) is None:
            self.model.expand(job_id, job_id not in self.model.expanded)

    def _expand_current(self, on: bool) -> None:
        current = self.table.currentIndex()
        if current.isValid():
            job_id = current.data(JOB_ID_ROLE)
            self.model.expand(job_id, on)
            self.table.setCurrentIndex(self.model.index(self.model.row_of(job_id), ID))

    def set_states(self, states: Iterable[str]) -> None:
        """Show the jobs in any of these states (none: any state)."""
        check_only(self.state_actions, set(states))
        self._filter()

    def filters(self) -> dict:
        """The filter bar's values (app/ui/layout_memory.py keeps them)."""
        return {
            "name": self.name_filter.text(),
            "user": self.user_filter.text(),
            "mine": self.mine.isChecked(),
            "states": [s for s, action in self.state_actions.items() if action.isChecked()],
            "hide_done": self.hide_done.isChecked(),
        }

    def set_filters(self, values: dict) -> None:
        """Filter values as filters() gives them; a value of the wrong kind is left as it is."""
        for key, edit in (("name", self.name_filter), ("user", self.user_filter)):
            if isinstance(values.get(key), str):
                edit.setText(values[key])
        for key, box in (("mine", self.mine), ("hide_done", self.hide_done)):
            if isinstance(values.get(key), bool):
                box.setChecked(values[key])
        if isinstance(values.get("states"), list):
            self.set_states(s for s in values["states"] if isinstance(s, str))

    def refilter(self) -> None:
        """Apply the filter bar again (after `me` changed)."""
        self._filter()

    def _filter(self) -> None:
        states = [s for s, action in self.state_actions.items() if action.isChecked()]
        self.states_button.setText(f"States: {', '.join(states) or 'any'}")
        mine = self.mine.isChecked()
        self.user_filter.setEnabled(not mine)
        self.model.set_filter(
            self.me if mine else self.user_filter.text(),
            states,
            self.name_filter.text(),
            self.hide_done.isChecked(),
        )

    def _context_menu(self, point: QPoint) -> None:
        if self.selected_jobs():
            menu = self.context_menu()
            menu.exec(self.table.viewport().mapToGlobal(point))
            menu.deleteLater()

    def context_menu(self) -> QMenu:
        """The selection's actions in their groups (disabled ones tell why in a tooltip)."""
        self.check_permissions()
        menu = QMenu(self)
        menu.setToolTipsVisible(True)
        for group in self.groups:
            if not menu.isEmpty():
                menu.addSeparator()
            menu.addActions(group)
        return menu

    # -- actions ---------------------------------------------------------------------------------

    def act(self, action: str) -> None:
        """A job action (pause, start, stop, restart-errors, restart, delete) on the selection."""
        ids = self.selected_jobs()
        if ids:
            self.client.call(self.client.jobs_action(action, ids))

    def move(self, to: str) -> None:
        """Move the selected jobs in their user's order: top, up, down or bottom."""
        ids = self.selected_jobs()
        for job_id in reversed(ids) if to in ("top", "down") else ids:
            self.client.call(self.client.move_job(job_id, to))

    def open_tasks(self) -> None:
        """Show the current job's tasks (its first block's, or the current block's)."""
        current = self.table.currentIndex()
        if current.isValid():
            self.tasks_wanted.emit(current.data(JOB_ID_ROLE), current.data(BLOCK_ROLE) or 0)

    def delete(self) -> None:
        ids = self.selected_jobs()
        if not ids:
            return
        answer = QMessageBox.question(
            self, "Delete jobs", f"Delete {len(ids)} job(s)? Their running tasks are stopped."
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.act("delete")

    def set_priority(self) -> None:
        ids = self.selected_jobs()
        if not ids:
            return
        current = self.model.job(ids[0])
        value, ok = QInputDialog.getInt(
            self,
            "Priority",
            f"Priority of {len(ids)} job(s):",
            current["priority"] if current else 99,
            0,
            250,
        )
        if ok:
            for job_id in ids:
                self.client.call(self.client.edit_job(job_id, {"priority": value}))

    def edit(self) -> None:
        """Edit the current job (or block) in a dialog."""
        current = self.table.currentIndex()
        job = self.model.job(current.data(JOB_ID_ROLE)) if current.isValid() else None
        if job is None:
            return
        block = current.data(BLOCK_ROLE)

        def open_dialog(spec: dict) -> None:
            dialog = JobDialog(self.client, with_spec(job, spec), block, self)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.open()

        self.client.call(self.client.job_spec(job["id"]), open_dialog)


def with_spec(job: dict, spec: dict) -> dict:
    """The job summary completed with the settings only its spec carries (the summary's own
    values, such as a changed priority, win)."""
    blocks = [
        {**block_spec, **block}
        for block_spec, block in zip(spec.get("blocks", []), job["blocks"], strict=False)
    ]
    return {**spec, **job, "blocks": blocks}
