"""The tasks of one block as a table model that pages over REST, for blocks of any size.

`rowCount` is the block's task count (the "total" of the first page), so the view's scroll bar
covers every task at once while only the pages someone looks at are fetched. Row r is task r.
`data()` of a row whose page is not loaded answers a placeholder and asks for the page; asks are
gathered for SETTLE_MS and then only the pages still visible (`visible_rows`, set by the view)
are fetched, so a fast scroll through a million tasks fetches the pages it stops on, not the
ones it flew past. At most MAX_PAGES pages are kept (least recently shown ones go first), a page
is never fetched twice at once, and `requests` counts the fetches made. Events update loaded
rows; they carry no usage (the latest run's memory, CPU, warnings and error), so a page where a
run ended is fetched again ENDED_MS later, once the run is stored, and the visible pages with
running tasks every ACTIVITY_MS for their activity (a running task's last line of output).

`set_states` shows only the tasks in some states, `set_text` those whose name or render holds a
text, and sorting by the State column groups them state by state (STATE_ORDER): the server
pages over those tasks, so row r is then the r-th of them, not task r (`task_number`).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from PyQt6.QtCore import QModelIndex, Qt, QTimer

from app.ui.client import FarmClient
from app.ui.state_looks import SKIPPED_FONT, TASK_KINDS, text_colour, tint
from app.ui.tables import BAR_ROLE, ColumnsModel, iso_time

PAGE = 200  # tasks per request
MAX_PAGES = 50  # pages kept
SETTLE_MS = 40  # wait this long after a page is asked for before fetching what is visible
ENDED_MS = 500  # a page whose runs ended is fetched again this long after (their usage stored)
ACTIVITY_MS = 3000  # visible pages with running tasks are fetched again this often (activity)
PLACEHOLDER = "…"

COLUMNS = (
    "Task",
    "State",
    "Progress",
    "Frames",
    "Render",
    "Started",
    "Run time",
    "Starts",
    "Errors",
    "Error hosts",
    "Memory",
    "CPU",
    "Activity",
    "Warnings",
    "Last error",
)
PROGRESS_COLUMN = COLUMNS.index("Progress")
STATE_COLUMN = COLUMNS.index("State")
# the order of "sort by state": failures first, then what runs, waits, and is finished
STATE_ORDER = ("ERR", "RER", "RUN", "WRC", "SUS", "RDY", "WDP", "SKP", "DON")
TASK_ROLE = Qt.ItemDataRole.UserRole  # the task summary (dict), None while its page loads


class TasksModel(ColumnsModel):
    """Tasks of the block set with `set_block`; updated by the client's events for that block
    (the view watches it)."""

    columns = COLUMNS

    def __init__(self, client: FarmClient, parent=None) -> None:
        super().__init__(parent)
        self.client = client
        self.job: int | None = None
        self.block: int | None = None
        self.total = 0
        self.states: tuple[str, ...] = ()  # shown states (none: all)
        self.text = ""  # shown: the tasks whose name or render holds it ("": all)
        self.by_state: Qt.SortOrder | None = None  # sorted by state, in this order
        self._place: dict[int, tuple[int, int]] = {}  # loaded task -> (page, offset)
        self.requests = 0
        self.visible_rows: Callable[[], tuple[int, int]] | None = None  # first, last shown
        self._pages: OrderedDict[int, list[dict]] = OrderedDict()
        self._loading: set[int] = set()
        self._stale: set[int] = set()  # pages to fetch again when their request ends
        self._wanted: set[int] = set()
        self._settle = QTimer(self, singleShot=True, interval=SETTLE_MS)
        self._settle.timeout.connect(self._fetch_wanted)
        self._ended: set[int] = set()  # pages with a run that ended: usage columns are stale
        self._refetch = QTimer(self, singleShot=True, interval=ENDED_MS)
        self._refetch.timeout.connect(self._fetch_ended)
        self._activity = QTimer(self, interval=ACTIVITY_MS)
        self._activity.timeout.connect(self._fetch_running)
        self._activity.start()
        client.tasks_changed.connect(self._changed)
        client.tasks_reload.connect(self._reload)

    def set_block(self, job: int, block: int) -> None:
        """Show another block: forget every page and fetch the new block's first one."""
        self.job, self.block = job, block
        self._restart()

    def set_states(self, states: Iterable[str]) -> None:
        """Show only the tasks in these states (none: every task)."""
        self.states = tuple(state for state in STATE_ORDER if state in set(states))
        self._restart()

    def set_text(self, text: str) -> None:
        """Show only the tasks whose name or render holds the text (any case)."""
        self.text = text.strip()
        self._restart()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """By state (the State column), else by task number."""
        self.by_state = order if column == STATE_COLUMN else None
        self._restart()

    def _query_states(self) -> tuple[str, ...]:
        if self.by_state is None:
            return self.states
        ordered = self.states or STATE_ORDER
        return ordered[::-1] if self.by_state == Qt.SortOrder.DescendingOrder else ordered

    def _shown(self) -> tuple:
        """What the pages hold: job, block, states asked for, text."""
        return self.job, self.block, self._query_states(), self.text

    def task_number(self, row: int) -> int | None:
        """The task shown on a row (None: its page is not loaded)."""
        if not (self._query_states() or self.text):
            return row
        task = self.task(row)
        return None if task is None else task["num"]

    def _restart(self) -> None:
        """Forget every page and fetch the first one."""
        if self.job is None:
            return
        self.beginResetModel()
        self.total = 0
        self._place.clear()
        self._pages.clear()
        self._loading.clear()
        self._stale.clear()
        self._wanted.clear()
        self._ended.clear()
        self.endResetModel()
        self._fetch(0)

    def loaded(self, number: int) -> dict | None:
        """The summary of task `number` if a loaded page holds it."""
        page, offset = self._place.get(number, (-1, 0))
        tasks = self._pages.get(page)
        return tasks[offset] if tasks is not None and offset < len(tasks) else None

    def task(self, row: int) -> dict | None:
        """The summary of task `row` if its page is loaded."""
        page = self._pages.get(row // PAGE)
        return page[row % PAGE] if page is not None and row % PAGE < len(page) else None

    # -- Qt model ----------------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.total

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row, column = index.row(), index.column()
        number = row // PAGE
        page = self._pages.get(number)
        if page is None:
            if role == Qt.ItemDataRole.DisplayRole:
                self._want(number)
                return PLACEHOLDER if column else str(row)
            return None
        self._pages.move_to_end(number)
        task = page[row % PAGE]
        if role == Qt.ItemDataRole.DisplayRole:
            return _text(task, column)
        if role == TASK_ROLE:
            return task
        if role == BAR_ROLE and column == PROGRESS_COLUMN:
            percent = task["percent"] or 0
            return percent / 100, f"{percent}%"
        kind = TASK_KINDS.get(task["state"])
        if role == Qt.ItemDataRole.BackgroundRole:
            return tint(kind)
        if role == Qt.ItemDataRole.ForegroundRole and column == 1:
            return text_colour(kind)
        if role == Qt.ItemDataRole.FontRole and kind == "skipped":
            return SKIPPED_FONT
        return None

    # -- paging ------------------------------------------------------------------------------

    def _want(self, number: int) -> None:
        if number not in self._loading and number not in self._wanted:
            self._wanted.add(number)
            self._settle.start()

    def _fetch_wanted(self) -> None:
        wanted, self._wanted = self._wanted, set()
        if self.visible_rows is not None:
            first, last = self.visible_rows()
            wanted &= set(range(first // PAGE, last // PAGE + 1))
        for number in sorted(wanted):
            self._fetch(number)

    def _fetch(self, number: int) -> None:
        if number in self._loading:
            self._stale.add(number)
            return
        self._loading.add(number)
        self.requests += 1
        self.client.call(self._load(self._shown(), number))

    async def _load(self, shown: tuple, number: int) -> None:
        job, block, states, text = shown
        try:
            answer = await self.client.tasks(job, block, number * PAGE, PAGE, states, text)
        finally:
            if shown == self._shown():
                self._loading.discard(number)
        if shown != self._shown():
            return
        if answer["total"] != self.total:
            self.beginResetModel()
            self.total = answer["total"]
            self._pages = OrderedDict(
                (n, p) for n, p in self._pages.items() if n * PAGE < self.total
            )
            self._store(number, answer["tasks"])
            self.endResetModel()
        else:
            self._store(number, answer["tasks"])
            self._rows_changed(number * PAGE, number * PAGE + len(answer["tasks"]) - 1)
        if number in self._stale:
            self._stale.discard(number)
            self._fetch(number)

    def _store(self, number: int, tasks: list[dict]) -> None:
        for offset, task in enumerate(tasks):
            self._place[task["num"]] = (number, offset)
        self._pages[number] = tasks
        self._pages.move_to_end(number)
        while len(self._pages) > MAX_PAGES:
            _, dropped = self._pages.popitem(last=False)
            for task in dropped:
                self._place.pop(task["num"], None)

    # -- events --------------------------------------------------------------------------------

    def _changed(self, job: int, block: int, tasks: list[dict]) -> None:
        if (job, block) != (self.job, self.block):
            return
        touched: dict[int, list[int]] = {}
        for task in tasks:
            number, offset = self._place.get(task["num"], (-1, 0))
            page = self._pages.get(number)
            if page is not None and offset < len(page) and page[offset]["num"] == task["num"]:
                if task["time_done"] != page[offset]["time_done"] and task["state"] != "RUN":
                    self._ended.add(number)  # a run ended: its usage is stored soon
                    if not self._refetch.isActive():
                        self._refetch.start()
                page[offset] = {**page[offset], **task}  # events carry no usage: keep it
                touched.setdefault(number, []).append(number * PAGE + offset)
        for rows in touched.values():
            self._rows_changed(min(rows), max(rows))

    def _fetch_running(self) -> None:
        """Fetch the visible loaded pages where tasks run again: their activity moves on."""
        if self.visible_rows is None:
            return
        first, last = self.visible_rows()
        for number in range(first // PAGE, last // PAGE + 1):
            tasks = self._pages.get(number) or ()
            if any(task["state"] == "RUN" for task in tasks):
                self._fetch(number)

    def _fetch_ended(self) -> None:
        ended, self._ended = self._ended, set()
        for number in ended & set(self._pages):
            self._fetch(number)

    def _reload(self, job: int, block: int) -> None:
        if (job, block) == (self.job, self.block):
            for number in list(self._pages) or [0]:
                self._fetch(number)

    def _rows_changed(self, first: int, last: int) -> None:
        right = len(COLUMNS) - 1
        self.dataChanged.emit(self.index(first, 0), self.index(last, right))


def _text(task: dict, column: int) -> str:
    return TEXTS[column](task)


def _number(value: float | None, unit: str = "") -> str:
    return "" if value is None else f"{value:.0f}{unit}"


def _memory(megabytes: float | None) -> str:
    """Peak memory: MB below a gigabyte, else GB."""
    if megabytes is None:
        return ""
    return f"{megabytes:.0f} MB" if megabytes < 1024 else f"{megabytes / 1024:.1f} GB"


def _frames(task: dict) -> str:
    first, last = task["frame_start"], task["frame_end"]
    frames = str(first) if first == last else f"{first}-{last}"
    if task["frame"] is not None and first != last:
        frames += f" (at {first + task['frame']})"
    return frames


def _run_time(task: dict) -> str:
    start = task["time_start"]
    if not start:
        return ""
    end = task["time_done"] if task["state"] != "RUN" else None
    seconds = int((end or time.time()) - start)
    hours, rest = divmod(max(0, seconds), 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


# each column's text (COLUMNS order); usage columns are the latest run's (the tasks page's)
TEXTS: tuple[Callable[[dict], str], ...] = (
    lambda task: task["name"] or str(task["num"]),
    lambda task: task["state"],
    lambda task: _number(task["percent"], "%"),
    _frames,
    lambda task: task["render"] or "",
    lambda task: iso_time(task["time_start"], today_short=True),
    _run_time,
    lambda task: str(task["starts"]),
    lambda task: str(task["errors"]),
    lambda task: ", ".join(task.get("error_hosts") or ()),
    lambda task: _memory(task.get("peak_rss_mb")),
    lambda task: _number(task.get("cpu_avg_percent"), " %"),
    lambda task: task.get("activity") or "",
    lambda task: str(task.get("warnings") or ""),
    lambda task: task.get("last_error") or "",
)
