"""The renders table: one row per render, updated by id from the client's events.

`update(summaries)` replaces the rows it names (one `dataChanged` per changed row, new rows
appended in one insert), so a push of ten changed renders costs ten rows, whatever the farm's
size. Bar columns (CPU, memory, swap, disk, network) answer `BAR_ROLE` with `(fraction, text)`,
which `BarDelegate` paints; running tasks show their count and mean progress the same way.
Rows are tinted by the render's kind (app/ui/state_looks.py: offline, nimby, running, free) and
sort by it on the State column; the NIMBY column is a check box (`nimby_toggled` asks for the
change); Running names each running task: job, frames, user (`set_running`).
"""

from __future__ import annotations

from typing import Any

from PyQt6.QtCore import QModelIndex, Qt, pyqtSignal

from app.ui.state_looks import RENDER_ORDER, render_kind, text_colour, tint
from app.ui.tables import BAR_ROLE, SORT_ROLE, ColumnsModel, iso_time

NameRole = Qt.ItemDataRole.UserRole + 2

COLUMNS = (
    "Name",
    "State",
    "NIMBY",
    "Pool",
    "User",
    "Running",
    "Capacity",
    "Tasks",
    "CPU",
    "Memory",
    "Swap",
    "Disk",
    "Network",
    "OS",
    "Version",
    "Heartbeat",
)
TASKS_COLUMN = COLUMNS.index("Tasks")
LOAD_COLUMNS = frozenset(COLUMNS.index(c) for c in ("CPU", "Memory", "Swap", "Disk", "Network"))
BAR_COLUMNS = LOAD_COLUMNS | {TASKS_COLUMN}
NIMBY_COLUMN = COLUMNS.index("NIMBY")
NET_FULL_KBSEC = 125_000.0  # a gigabit link: the network bar's full scale

TaskKey = tuple[int, int, int]  # job, block, task


def _num(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _fraction(part: float, whole: float) -> float:
    return max(0.0, min(1.0, part / whole)) if whole > 0 else 0.0


def running_tasks(render: dict) -> list[TaskKey]:
    return [(t["job"], t["block"], t["task"]) for t in render.get("tasks") or ()]


class RendersModel(ColumnsModel):
    """Render summaries (with "resources") by id, in arrival order."""

    columns = COLUMNS
    nimby_toggled = pyqtSignal(str, bool)  # render name, NIMBY wanted (else free)

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[dict] = []
        self._row_of: dict[int, int] = {}  # render id -> row
        self._running: dict[TaskKey, dict] = {}  # running task -> percent, job, frames, user

    # -- updates ---------------------------------------------------------------------------------

    def update(self, renders: list[dict]) -> None:
        """New or changed render summaries; a summary without "resources" keeps the last ones."""
        added = []
        last = self.columnCount() - 1
        for render in renders:
            row = self._row_of.get(render["id"])
            if row is None:
                added.append(render)
                continue
            if "resources" not in render:
                render = {**render, "resources": self._rows[row].get("resources", {})}
            self._rows[row] = render
            self.dataChanged.emit(self.index(row, 0), self.index(row, last))
        if added:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(added) - 1)
            for offset, render in enumerate(added):
                self._row_of[render["id"]] = first + offset
                self._rows.append(render)
            self.endInsertRows()

    def remove(self, ids: list[int]) -> None:
        for row in sorted((self._row_of[i] for i in ids if i in self._row_of), reverse=True):
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._rows[row]
            self.endRemoveRows()
        self._row_of = {render["id"]: row for row, render in enumerate(self._rows)}

    def set_running(self, running: dict[TaskKey, dict]) -> None:
        """What is known of running tasks: {"percent", "job", "frames", "user"}, each optional
        (refreshes the Running and Tasks columns of their renders)."""
        self._running = running
        for row, render in enumerate(self._rows):
            if any(key in running for key in running_tasks(render)):
                self.dataChanged.emit(
                    self.index(row, COLUMNS.index("Running")), self.index(row, TASKS_COLUMN)
                )

    def render(self, row: int) -> dict:
        return self._rows[row]

    def running(self) -> list[TaskKey]:
        return [key for render in self._rows for key in running_tasks(render)]

    # -- Qt ------------------------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        render = self._rows[index.row()]
        column = index.column()
        if role == NameRole:
            return render["name"]
        if role == BAR_ROLE and column in BAR_COLUMNS:
            return self._bar(render, column)
        if role == SORT_ROLE:
            return self._sort_key(render, column)
        if role == Qt.ItemDataRole.DisplayRole and column not in BAR_COLUMNS:
            return self._text(render, column)
        if role == Qt.ItemDataRole.ToolTipRole and column in (
            TASKS_COLUMN,
            COLUMNS.index("Running"),
        ):
            return "\n".join(self._task_line(key) for key in running_tasks(render)) or None
        if role == Qt.ItemDataRole.CheckStateRole and column == NIMBY_COLUMN:
            on = render.get("nimby", "free") != "free"
            return Qt.CheckState.Checked if on else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.BackgroundRole:
            return tint(render_kind(render))
        if role == Qt.ItemDataRole.ForegroundRole and column == COLUMNS.index("State"):
            return text_colour(render_kind(render))
        return None

    def flags(self, index: QModelIndex) -> Qt.ItemFlag:
        flags = super().flags(index)
        if index.column() == NIMBY_COLUMN:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def setData(self, index: QModelIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        """A click on the NIMBY check box asks for NIMBY or free (the server's event shows it)."""
        if role != Qt.ItemDataRole.CheckStateRole or index.column() != NIMBY_COLUMN:
            return False
        on = Qt.CheckState(value) == Qt.CheckState.Checked
        self.nimby_toggled.emit(self._rows[index.row()]["name"], on)
        return True

    def _sort_key(self, render: dict, column: int) -> Any:
        if column in BAR_COLUMNS:
            return self._bar(render, column)[0]
        if column == COLUMNS.index("State"):
            return f"{RENDER_ORDER.index(render_kind(render))} {render['name']}"
        if column == COLUMNS.index("Heartbeat"):
            return render.get("last_seen") or 0
        return self._text(render, column)

    def _text(self, render: dict, column: int) -> str:
        name = COLUMNS[column]
        host = render.get("host") or {}
        texts = {
            "Name": lambda: render["name"],
            "State": lambda: render.get("state", ""),
            "NIMBY": lambda: "" if render.get("nimby") == "free" else render.get("nimby", ""),
            "Pool": lambda: render.get("pool", ""),
            "User": lambda: render.get("user_name") or "",
            "Running": lambda: "; ".join(self._task_line(k) for k in running_tasks(render)),
            "Capacity": lambda: f"{render.get('capacity_used', 0)}/{render.get('capacity', 0)}",
            "OS": lambda: str(host.get("os") or ""),
            "Version": lambda: str(host.get("version") or ""),
            "Heartbeat": lambda: iso_time(render.get("last_seen"), today_short=True),
        }
        return texts[name]()

    def _task_line(self, key: TaskKey) -> str:
        """A running task as text: job, frames, user and percent done, once known."""
        known = self._running.get(key, {})
        job = known.get("job") or f"job {key[0]}"
        frames = known.get("frames") or f"block {key[1]} task {key[2]}"
        parts = [job, frames, known.get("user") or ""]
        if known.get("percent") is not None:
            parts.append(f"{known['percent']:.0f}%")
        return " · ".join(p for p in parts if p)

    def _bar(self, render: dict, column: int) -> tuple[float, str]:
        name = COLUMNS[column]
        res = render.get("resources") or {}
        if name == "Tasks":
            keys = running_tasks(render)
            percents = [self._running.get(key, {}).get("percent") or 0.0 for key in keys]
            mean = sum(percents) / len(percents) if percents else 0.0
            text = f"{len(keys)}/{render.get('max_tasks', 0)}"
            return mean / 100, f"{text} {mean:.0f}%" if keys else text
        if name == "CPU":
            busy = 100 - _num(res.get("cpu_idle", 100))
            return _fraction(busy, 100), f"{busy:.0f}% of {res.get('cpu_count') or '?'}"
        if name == "Memory":
            total = _num(res.get("mem_total_mb"))
            used = _num(res.get("mem_used_mb")) or total - _num(res.get("mem_free_mb"))
            return _fraction(used, total), f"{used / 1024:.1f}/{total / 1024:.1f} GB"
        if name == "Swap":
            total, used = _num(res.get("swap_total_mb")), _num(res.get("swap_used_mb"))
            return _fraction(used, total), f"{used / 1024:.1f}/{total / 1024:.1f} GB"
        if name == "Disk":
            total, free = _num(res.get("hdd_total_gb")), _num(res.get("hdd_free_gb"))
            return _fraction(total - free, total), f"{free:.0f} GB free"
        rate = _num(res.get("net_recv_kbsec")) + _num(res.get("net_send_kbsec"))
        return _fraction(rate, NET_FULL_KBSEC), f"{rate / 1024:.1f} MB/s"
