"""The jobs list: jobs, each with its blocks as rows under it when expanded, kept live by events.

`JobsModel` loads `client.jobs()` once (again after a reconnect: events were missed), then
applies `jobs_changed` / `jobs_deleted` by id: dataChanged for changed rows, inserted rows for new
jobs, removed rows for deleted ones; never a reset per event.

It is a flat table (blocks are the rows after their job) that sorts and filters itself, shown in
a QTableView. Measured at 5,000 jobs on 2 cores: a QTreeView lays out every row again on each
insert, removal or re-sort (80-250 ms: Python `index`/`hasChildren` calls per row), and a
QSortFilterProxyModel that sorts calls Python `data()` for every comparison (0.3-0.6 s) and adds
a Python `filterAcceptsRow` per row to every layout change. Here a re-sort is Python's sort of
the visible jobs on keys kept per job, and the rows that changed places are rewritten in place
(dataChanged): the view repaints only those on screen, where a layoutChanged repaints and lays
out everything. Persistent indexes therefore stay on their rows through a re-sort; `reordering`
and `reordered` let the view keep its selection by job. A re-sort is done at most once per
interval while events arrive. A filter change is a reset (a person's action).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from PyQt6.QtCore import QModelIndex, QObject, Qt, QTimer, pyqtSignal

from app.protocol import failed_tasks
from app.ui.client import FarmClient
from app.ui.progress_delegate import PROGRESS_ROLE
from app.ui.state_looks import FAILED_KINDS, job_kind, job_state_text, text_colour, tint
from app.ui.tables import ColumnsModel, iso_time

COLUMNS = (
    "ID",
    "Name",
    "User",
    "State",
    "Priority",
    "Progress",
    "Running",
    "Done/Total",
    "Errors",
    "Created",
    "Started",
    "Annotation",
)
ID, NAME, USER, STATE, PRIORITY, PROGRESS, RUNNING, DONE, ERRORS, CREATED, STARTED, NOTE = range(
    len(COLUMNS)
)
LAST_COLUMN = len(COLUMNS) - 1
JOB_ID_ROLE = Qt.ItemDataRole.UserRole + 2  # the job id of a job or block row
BLOCK_ROLE = Qt.ItemDataRole.UserRole + 3  # the block number of a block row, None for a job
_ROLES = frozenset(
    (
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.ForegroundRole,
        Qt.ItemDataRole.BackgroundRole,
        PROGRESS_ROLE,
        JOB_ID_ROLE,
        BLOCK_ROLE,
    )
)
JOB = -1  # the "block" of a job's own row


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
    ERRORS: failed_tasks,
    CREATED: lambda job: job.get("time_created") or 0,
    STARTED: lambda job: job.get("time_started") or 0,
    NOTE: lambda job: job.get("annotation") or "",
}


def runs(rows: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted row numbers as (first, last) runs of consecutive rows."""
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and runs[-1][1] == row - 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs


class JobsModel(ColumnsModel):
    """The visible jobs in sort order, each followed by its blocks when expanded."""

    columns = COLUMNS

    reordering = pyqtSignal()  # rows are about to change places
    reordered = pyqtSignal()

    def __init__(self, client: FarmClient | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._jobs: dict[int, dict] = {}  # every job, shown or filtered out
        self._keys: dict[int, tuple] = {}  # job id -> its sort key
        self._kinds: dict[int, str | None] = {}  # job id -> its kind of state (state_looks)
        self._rows: list[tuple[int, int]] = []  # (job id, block num or JOB) per visible row
        self._row_of: dict[int, int] = {}  # visible job id -> its row
        self.expanded: set[int] = set()
        self.user = self.text = ""
        self.states: frozenset[str] = frozenset()
        self.hide_done = False
        self._sort_column = ID
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
        self._jobs = {job["id"]: job for job in jobs}
        self._keys = {job_id: self._key(job) for job_id, job in self._jobs.items()}
        self._kinds = {job_id: job_kind(job) for job_id, job in self._jobs.items()}
        self.expanded &= self._jobs.keys()
        self._rebuild()

    def update_jobs(self, jobs: list[dict]) -> None:
        """New or changed job summaries (an event)."""
        changed: list[int] = []  # job ids
        appear: dict[int, None] = {}
        moved = False
        for job in jobs:
            job_id = job["id"]
            old = self._jobs.get(job_id)
            self._jobs[job_id] = job
            key = self._key(job)
            moved = moved or key != self._keys.get(job_id)
            self._keys[job_id] = key
            self._kinds[job_id] = job_kind(job)
            row = self._row_of.get(job_id)
            if row is None:
                if self._accepts(job):
                    appear[job_id] = None
            elif not self._accepts(job):
                self._remove_rows(row, row + self._shown_blocks(old))
            else:
                self._blocks_changed(row, old, job)
                changed.append(job_id)
        rows = []
        for job_id in changed:  # rows now: removals and blocks above may have moved them
            row = self._row_of.get(job_id)
            if row is not None:
                rows.extend(range(row, row + 1 + self._shown_blocks(self._jobs[job_id])))
        for first, last in runs(sorted(rows)):
            self.dataChanged.emit(self.index(first, 0), self.index(last, LAST_COLUMN))
        if appear:
            first = len(self._rows)
            added = self._layout(appear)
            self.beginInsertRows(QModelIndex(), first, first + len(added) - 1)
            self._rows.extend(added)
            self._reindex(first)
            self.endInsertRows()
        if (moved or appear) and not self._resort.isActive():
            self._resort.start()

    def remove_jobs(self, ids: list[int]) -> None:
        """Jobs deleted (an event)."""
        spans = []
        for job_id in ids:
            job = self._jobs.pop(job_id, None)
            self._keys.pop(job_id, None)
            self._kinds.pop(job_id, None)
            row = self._row_of.get(job_id)
            if row is not None:
                spans.append((row, row + self._shown_blocks(job)))
            self.expanded.discard(job_id)
        for first, last in sorted(spans, reverse=True):
            self._remove_rows(first, last)

    def expand(self, job_id: int, on: bool = True) -> None:
        """Show (hide) a job's blocks under it."""
        row = self._row_of.get(job_id)
        if row is None or (job_id in self.expanded) == on:
            return
        count = len(self._jobs[job_id]["blocks"])
        if on:
            self.expanded.add(job_id)
            if count:
                self.beginInsertRows(QModelIndex(), row + 1, row + count)
                self._rows[row + 1 : row + 1] = [(job_id, num) for num in range(count)]
                self._reindex(row + 1)
                self.endInsertRows()
        else:
            self._remove_rows(row + 1, row + count)
            self.expanded.discard(job_id)
        self.dataChanged.emit(self.index(row, ID), self.index(row, NAME))

    def set_filter(
        self,
        user: str = "",
        states: Iterable[str] = (),
        text: str = "",
        hide_done: bool = False,
    ) -> None:
        """Show the jobs of a user, in any of some states (codes like RUN, ERR, OFF, or
        "failing"), whose name holds a text (any case), and not done when hide_done; empty:
        no condition. A reset."""
        self.user, self.text = user.strip(), text.strip().lower()
        self.states, self.hide_done = frozenset(states), hide_done
        self._rebuild()

    def _accepts(self, job: dict) -> bool:
        if (self.user and job["user_name"] != self.user) or (
            self.text and self.text not in job["name"].lower()
        ):
            return False
        if not (self.states or self.hide_done):
            return True
        codes = job_state_text(job).split()
        if self.hide_done and "DON" in codes:
            return False
        return not self.states or not self.states.isdisjoint(codes)

    def _shown_blocks(self, job: dict | None) -> int:
        return len(job["blocks"]) if job and job["id"] in self.expanded else 0

    def _blocks_changed(self, row: int, old: dict, job: dict) -> None:
        """An expanded job's appended (or gone) blocks become inserted (removed) rows."""
        before, after = self._shown_blocks(old), self._shown_blocks(job)
        if after > before:
            self.beginInsertRows(QModelIndex(), row + 1 + before, row + after)
            self._rows[row + 1 + before : row + 1 + before] = [
                (job["id"], num) for num in range(before, after)
            ]
            self._reindex(row + 1 + before)
            self.endInsertRows()
        elif after < before:
            self._remove_rows(row + 1 + after, row + before)

    def _remove_rows(self, first: int, last: int) -> None:
        if last < first:
            return
        self.beginRemoveRows(QModelIndex(), first, last)
        for job_id, block in self._rows[first : last + 1]:
            if block == JOB:
                del self._row_of[job_id]
        del self._rows[first : last + 1]
        self._reindex(first)
        self.endRemoveRows()

    def _reindex(self, start: int) -> None:
        rows = enumerate(self._rows[start:], start)
        self._row_of.update({job_id: row for row, (job_id, block) in rows if block == JOB})

    # -- order -----------------------------------------------------------------------------------

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._sort_column = column if column in SORT_KEYS else ID
        self._sort_order = order
        self._keys = {job_id: self._key(job) for job_id, job in self._jobs.items()}
        self._apply_sort()

    def _key(self, job: dict) -> tuple:
        return SORT_KEYS[self._sort_column](job), job["id"]

    def _sorted(self, ids: Iterable[int]) -> list[int]:
        descending = self._sort_order == Qt.SortOrder.DescendingOrder
        return sorted(ids, key=self._keys.__getitem__, reverse=descending)

    def _layout(self, ids: Iterable[int]) -> list[tuple[int, int]]:
        if not self.expanded:
            return [(job_id, JOB) for job_id in ids]
        rows = []
        for job_id in ids:
            rows.append((job_id, JOB))
            rows.extend((job_id, num) for num in range(self._shown_blocks(self._jobs[job_id])))
        return rows

    def _rebuild(self) -> None:
        self.beginResetModel()
        visible = (job_id for job_id, job in self._jobs.items() if self._accepts(job))
        self._rows = self._layout(self._sorted(visible))
        self._row_of = {}
        self._reindex(0)
        self.endResetModel()

    def _apply_sort(self) -> None:
        ids = self._sorted(self._row_of)
        if ids == [job_id for job_id, block in self._rows if block == JOB]:
            return
        self.reordering.emit()
        old, self._rows = self._rows, self._layout(ids)
        self._reindex(0)
        moved = [
            row
            for row, (before, now) in enumerate(zip(old, self._rows, strict=True))
            if before != now
        ]
        for first, last in runs(moved):
            self.dataChanged.emit(self.index(first, 0), self.index(last, LAST_COLUMN))
        self.reordered.emit()

    # -- reading ---------------------------------------------------------------------------------

    def job(self, job_id: int) -> dict | None:
        return self._jobs.get(job_id)

    def row_of(self, job_id: int) -> int | None:
        """The row of a shown job."""
        return self._row_of.get(job_id)

    def item_at(self, row: int) -> tuple[int, int | None]:
        """(job id, block number or None) of a row."""
        job_id, block = self._rows[row]
        return job_id, None if block == JOB else block

    def row_of_item(self, job_id: int, block: int | None) -> int | None:
        """The row of a shown job (block None) or of a shown block."""
        row = self._row_of.get(job_id)
        if row is None or block is None:
            return row
        return row + 1 + block if block < self._shown_blocks(self._jobs[job_id]) else None

    # -- QAbstractTableModel ---------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role not in _ROLES:  # a repaint asks for ~10 roles a cell; most have no answer here
            return None
        job_id, block = self._rows[index.row()]
        job = self._jobs[job_id]
        item = job if block == JOB else job["blocks"][block]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(item, column, block == JOB)
        if role == PROGRESS_ROLE and column == PROGRESS:
            done, skipped = item.get("tasks_done", 0), item.get("tasks_skipped", 0)
            return (
                item.get("tasks_total", 0),
                done - skipped,
                item.get("tasks_running", 0),
                item.get("tasks_error", 0),
                skipped,
            )
        if role == Qt.ItemDataRole.BackgroundRole:
            return tint(self._kinds[job_id] if block == JOB else job_kind(item))
        if role == Qt.ItemDataRole.ForegroundRole and column in (STATE, ERRORS):
            kind = self._kinds[job_id] if block == JOB else job_kind(item)
            return text_colour(kind) if column == STATE or kind in FAILED_KINDS else None
        if role == JOB_ID_ROLE:
            return job_id
        if role == BLOCK_ROLE:
            return None if block == JOB else block
        return None

    def _text(self, item: dict, column: int, is_job: bool) -> Any:
        if column == ID:
            if not is_job:
                return f"    {item['num']}"
            arrow = ("▾ " if item["id"] in self.expanded else "▸ ") if item["blocks"] else "   "
            return f"{arrow}{item['id']}"
        if column == NAME:
            return item["name"] if is_job else f"    {item['name']}"
        if column == STATE:
            return job_state_text(item)
        if column == RUNNING:
            return item.get("tasks_running", 0) or ""
        if column == DONE:
            return f"{item.get('tasks_done', 0)}/{item.get('tasks_total', 0)}"
        if column == ERRORS:
            return failed_tasks(item) or ""
        if not is_job:
            return item["service"] if column == USER else ""
        if column == USER:
            return item["user_name"]
        if column == PRIORITY:
            return item["priority"]
        if column == CREATED:
            return iso_time(item.get("time_created"))
        if column == STARTED:
            return iso_time(item.get("time_started"))
        if column == NOTE:
            return item.get("annotation") or ""
        return ""
