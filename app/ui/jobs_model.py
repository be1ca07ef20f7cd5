"""The jobs tree: jobs with their blocks as children, kept live from the client's events.

`JobsModel` loads `client.jobs()` once (again after a reconnect: events were missed), then
applies `jobs_changed` / `jobs_deleted` by id: dataChanged for changed rows, inserted rows for new
jobs, removed rows for deleted ones; never a reset per event.

Sorting is the model's own: rows are kept in the sorted order with Python's sort on a
precomputed key (5,000 jobs: a few ms). A QSortFilterProxyModel that sorts calls back into Python
`data()` for every comparison (0.3-0.6 s for 5,000 rows, measured), so `JobsFilter` filters only and
hands `sort()` to the model. Changes that may move rows re-sort once per batch, on a timer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from PyQt6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
)
from PyQt6.QtGui import QColor

from app.ui.client import FarmClient
from app.ui.progress_delegate import PROGRESS_ROLE

COLUMNS = (
    "ID", "Name", "User", "State", "Priority", "Progress", "Running", "Done/Total", "Errors",
    "Created", "Started", "Annotation",
)  # fmt: skip
ID, NAME, USER, STATE, PRIORITY, PROGRESS, RUNNING, DONE, ERRORS, CREATED, STARTED, NOTE = range(
    len(COLUMNS)
)
JOB_ID_ROLE = Qt.ItemDataRole.UserRole + 2  # the job id of a job or block row
BLOCK_ROLE = Qt.ItemDataRole.UserRole + 3  # the block number of a block row, None for a job


def _progress(item: dict) -> float:
    total = item.get("tasks_total", 0)
    return item.get("tasks_done", 0) / total if total else 0.0


SORT_KEYS: dict[int, Callable[[dict], Any]] = {
    ID: lambda job: job["id"],
    NAME: lambda job: job["name"].lower(),
    USER: lambda job: job["user_name"],
    STATE: lambda job: job["state"],
    PRIORITY: lambda job: job["priority"],
    PROGRESS: _progress,
    RUNNING: lambda job: job.get("tasks_running", 0),
    DONE: lambda job: job.get("tasks_done", 0),
    ERRORS: lambda job: job.get("tasks_error", 0),
    CREATED: lambda job: job.get("time_created") or 0,
    STARTED: lambda job: job.get("time_started") or 0,
    NOTE: lambda job: job.get("annotation") or "",
}
_ROOT = QModelIndex()
ERROR_COLOUR = QColor(220, 60, 60)
PAUSED_COLOUR = QColor(140, 140, 140)


def _time(value: float | None) -> str:
    return time.strftime("%m-%d %H:%M:%S", time.localtime(value)) if value else ""


def _runs(rows: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted row numbers as (first, last) runs of consecutive rows."""
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and runs[-1][1] == row - 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs


class _Entry:
    """A job row. The same object for the job's life: its blocks' indexes point at it."""

    __slots__ = ("job",)

    def __init__(self, job: dict) -> None:
        self.job = job


class JobsModel(QAbstractItemModel):
    """Jobs (top level) and their blocks (children), in the current sort order."""

    def __init__(self, client: FarmClient | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._entries: list[_Entry] = []
        self._rows: dict[int, int] = {}  # job id -> row
        self._sort_column = -1
        self._sort_order = Qt.SortOrder.AscendingOrder
        self._resort = QTimer(self, singleShot=True, interval=250)
        self._resort.timeout.connect(self._apply_sort)
        self._client = client
        if client is not None:
            client.jobs_changed.connect(self.update_jobs)
            client.jobs_deleted.connect(self.remove_jobs)
            client.state_changed.connect(self._state_changed)
            if client.state == "online":
                self.reload()

    def set_resort_interval(self, ms: int) -> None:
        """At most one re-sort per interval while events arrive."""
        self._resort.setInterval(ms)

    # -- feeding -----------------------------------------------------------------------------

    def reload(self) -> None:
        """Fetch every job (once at start and after a reconnect)."""
        assert self._client is not None
        self._client.call(self._client.jobs(), self.set_jobs)

    def _state_changed(self, state: str) -> None:
        if state == "online":
            self.reload()

    def set_jobs(self, jobs: list[dict]) -> None:
        """Replace everything (a reset)."""
        self.beginResetModel()
        self._entries = [_Entry(job) for job in jobs]
        if self._sort_column >= 0:
            self._entries.sort(key=self._entry_key(), reverse=self._descending())
        self._reindex(0)
        self.endResetModel()

    def update_jobs(self, jobs: list[dict]) -> None:
        """New or changed job summaries (an event)."""
        key = SORT_KEYS.get(self._sort_column)
        changed: list[int] = []
        new: dict[int, dict] = {}
        moved = False
        for job in jobs:
            row = self._rows.get(job["id"])
            if row is None:
                new[job["id"]] = job
                continue
            entry = self._entries[row]
            moved = moved or (key is not None and key(entry.job) != key(job))
            self._replace(row, entry, job)
            changed.append(row)
        last_column = len(COLUMNS) - 1
        for first, last in _runs(sorted(changed)):
            self.dataChanged.emit(self.index(first, 0), self.index(last, last_column))
        for row in changed:
            count = len(self._entries[row].job["blocks"])
            if count:
                parent = self.index(row, 0)
                self.dataChanged.emit(
                    self.index(0, 0, parent), self.index(count - 1, last_column, parent)
                )
        if new:
            first = len(self._entries)
            self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
            self._entries.extend(_Entry(job) for job in new.values())
            self._reindex(first)
            self.endInsertRows()
        if (moved or new) and self._sort_column >= 0 and not self._resort.isActive():
            self._resort.start()

    def remove_jobs(self, ids: list[int]) -> None:
        """Jobs deleted (an event)."""
        rows = sorted({self._rows[i] for i in ids if i in self._rows})
        for first, last in reversed(_runs(rows)):
            self.beginRemoveRows(QModelIndex(), first, last)
            for entry in self._entries[first : last + 1]:
                del self._rows[entry.job["id"]]
            del self._entries[first : last + 1]
            self._reindex(first)
            self.endRemoveRows()

    def _replace(self, row: int, entry: _Entry, job: dict) -> None:
        """Set a job's new summary; blocks appended (or gone) become inserted (removed) rows."""
        before = len(entry.job["blocks"])
        after = len(job["blocks"])
        if after == before:
            entry.job = job
            return
        parent = self.index(row, 0)
        if after > before:
            self.beginInsertRows(parent, before, after - 1)
            entry.job = job
            self.endInsertRows()
        else:
            self.beginRemoveRows(parent, after, before - 1)
            entry.job = job
            self.endRemoveRows()

    def _reindex(self, start: int) -> None:
        for row in range(start, len(self._entries)):
            self._rows[self._entries[row].job["id"]] = row

    # -- sorting ---------------------------------------------------------------------------------

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._sort_column = column if column in SORT_KEYS else -1
        self._sort_order = order
        self._apply_sort()

    def _descending(self) -> bool:
        return self._sort_order == Qt.SortOrder.DescendingOrder

    def _entry_key(self) -> Callable[[_Entry], tuple]:
        key = SORT_KEYS[self._sort_column]
        return lambda entry: (key(entry.job), entry.job["id"])

    def _apply_sort(self) -> None:
        if self._sort_column < 0:
            return
        entry_key = self._entry_key()
        order = sorted(
            range(len(self._entries)),
            key=lambda row: entry_key(self._entries[row]),
            reverse=self._descending(),
        )
        if order == list(range(len(order))):
            return
        self.layoutAboutToBeChanged.emit([], QAbstractItemModel.LayoutChangeHint.VerticalSortHint)
        new_row = {old: new for new, old in enumerate(order)}
        self._entries = [self._entries[row] for row in order]
        self._reindex(0)
        moved = [i for i in self.persistentIndexList() if i.internalPointer() is None]
        self.changePersistentIndexList(
            moved, [self.createIndex(new_row[i.row()], i.column()) for i in moved]
        )
        self.layoutChanged.emit([], QAbstractItemModel.LayoutChangeHint.VerticalSortHint)

    # -- reading ---------------------------------------------------------------------------------

    def job_at(self, row: int) -> dict:
        return self._entries[row].job

    def job(self, job_id: int) -> dict | None:
        row = self._rows.get(job_id)
        return None if row is None else self._entries[row].job

    def row_of(self, job_id: int) -> int | None:
        return self._rows.get(job_id)

    # -- QAbstractItemModel ----------------------------------------------------------------------

    def index(self, row: int, column: int, parent: QModelIndex = _ROOT) -> QModelIndex:
        if not parent.isValid():
            if 0 <= row < len(self._entries) and 0 <= column < len(COLUMNS):
                return self.createIndex(row, column)
            return QModelIndex()
        if parent.internalPointer() is not None:
            return QModelIndex()
        entry = self._entries[parent.row()]
        if 0 <= row < len(entry.job["blocks"]) and 0 <= column < len(COLUMNS):
            return self.createIndex(row, column, entry)
        return QModelIndex()

    def parent(self, index: QModelIndex) -> QModelIndex:  # type: ignore[override]
        entry = index.internalPointer() if index.isValid() else None
        if entry is None:
            return QModelIndex()
        return self.createIndex(self._rows[entry.job["id"]], 0)

    def hasChildren(self, parent: QModelIndex = _ROOT) -> bool:
        if not parent.isValid():
            return bool(self._entries)
        return parent.internalPointer() is None and bool(self._entries[parent.row()].job["blocks"])

    def rowCount(self, parent: QModelIndex = _ROOT) -> int:
        if not parent.isValid():
            return len(self._entries)
        if parent.internalPointer() is not None or parent.column() != 0:
            return 0
        return len(self._entries[parent.row()].job["blocks"])

    def columnCount(self, parent: QModelIndex = _ROOT) -> int:
        return len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        entry = index.internalPointer()
        job = entry.job if entry is not None else self._entries[index.row()].job
        item = job["blocks"][index.row()] if entry is not None else job
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(item, column, entry is None)
        if role == PROGRESS_ROLE and column == PROGRESS:
            done, skipped = item.get("tasks_done", 0), item.get("tasks_skipped", 0)
            return (item.get("tasks_total", 0), done - skipped, item.get("tasks_running", 0),
                    item.get("tasks_error", 0), skipped)  # fmt: skip
        if role == Qt.ItemDataRole.ForegroundRole and column == STATE:
            codes = item["state"].split()
            if "ERR" in codes:
                return ERROR_COLOUR
            return PAUSED_COLOUR if "OFF" in codes else None
        if role == JOB_ID_ROLE:
            return job["id"]
        if role == BLOCK_ROLE:
            return None if entry is None else item["num"]
        return None

    @staticmethod
    def _text(item: dict, column: int, is_job: bool) -> Any:
        if column == ID:
            return item["id"] if is_job else item["num"]
        if column == NAME:
            return item["name"]
        if column == STATE:
            return item["state"]
        if column == RUNNING:
            return item.get("tasks_running", 0) or ""
        if column == DONE:
            return f"{item.get('tasks_done', 0)}/{item.get('tasks_total', 0)}"
        if column == ERRORS:
            return item.get("tasks_error", 0) or ""
        if not is_job:
            return item["service"] if column == USER else ""
        if column == USER:
            return item["user_name"]
        if column == PRIORITY:
            return item["priority"]
        if column == CREATED:
            return _time(item.get("time_created"))
        if column == STARTED:
            return _time(item.get("time_started"))
        if column == NOTE:
            return item.get("annotation") or ""
        return ""


class JobsFilter(QSortFilterProxyModel):
    """Shows the jobs of a user, in a state (a code like RUN, ERR, OFF) and whose name holds a
    text; all blocks of a shown job. Sorting is the source model's (see the module's doc)."""

    def __init__(self, model: JobsModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self.user = ""
        self.state = ""
        self.text = ""
        self.setSourceModel(model)

    def set_filter(self, user: str = "", state: str = "", text: str = "") -> None:
        self.beginFilterChange()
        self.user, self.state, self.text = user.strip(), state.strip(), text.strip().lower()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, row: int, parent: QModelIndex | QPersistentModelIndex) -> bool:
        if parent.isValid() or not (self.user or self.state or self.text):
            return True
        job = self._model.job_at(row)
        return (
            (not self.user or job["user_name"] == self.user)
            and (not self.state or self.state in job["state"].split())
            and (not self.text or self.text in job["name"].lower())
        )

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._model.sort(column, order)
