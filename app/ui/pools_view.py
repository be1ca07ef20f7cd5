"""The pools tree: each pool's own settings (editable) beside the effective ones it inherits
(the answer of GET /pools, app/server/routes.py pools_summary); pools are added under the
current one and deleted (those without child pools) from the buttons above the tree, and
"Edit…" (or a double-click in the tree) opens the pool's settings in typed, grouped fields
(app/ui/key_form.py, from app/core/pools.py settings_schema; -1 reads "inherit")."""

from __future__ import annotations

from functools import partial

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.pools import ROOT, settings_schema
from app.ui.client import FarmClient, FarmError
from app.ui.key_form import FormDialog, KeyForm
from app.ui.tables import TextFilter, filter_box
from app.ui.users_view import parse_setting, setting_text

EFFECTIVE_NAMES = {"properties_host": "properties"}  # own key -> effective key, when they differ
# the pool editor's groups: title -> the start of the keys it holds
GROUPS = (
    ("Renders", ("pattern", "capacity_host", "max_tasks_host", "power_host", "properties_host")),
    ("Scheduling", ("priority", "paused", "services", "tickets", "render_hours")),
    ("Health", ("heartbeat_period", "zombie_time", "sick_errors_count")),
    ("Automatic NIMBY", ("busy_", "idle_")),
    ("Notes", ("annotation",)),
)


class PoolsView(TextFilter, QWidget):
    """The pool tree, filtered by a text in a pool's path or its renders' names, and the
    current pool's settings."""

    def __init__(self, client: FarmClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.client = client
        self.summary: dict = {"pools": {}, "effective": {}}
        self.path: str | None = None  # the pool shown in the settings table
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["Pool", "Renders"])
        self.tree.currentItemChanged.connect(lambda item, _: item and self.show_pool(item.text(0)))
        self.tree.itemDoubleClicked.connect(lambda item, _: self.edit(item.text(0)))
        self.settings = QTableWidget(0, 3, self)
        self.settings.setHorizontalHeaderLabels(["Setting", "Own", "Effective"])
        self.settings.verticalHeader().hide()
        self.settings.horizontalHeader().setStretchLastSection(True)
        self.settings.itemChanged.connect(self._edited)
        self.filter_text = filter_box("pool or render contains")
        self.filter_text.textChanged.connect(self._apply_filter)
        self.status = QLabel(self)
        self.status.setStyleSheet("color: #c62828")
        self.splitter = splitter = QSplitter(self)
        splitter.addWidget(self.tree)
        splitter.addWidget(self.settings)
        self.add_button = QPushButton("Add pool…")
        self.add_button.clicked.connect(self.ask_new_pool)
        self.delete_button = QPushButton("Delete pool")
        self.delete_button.clicked.connect(self.ask_delete_pool)
        self.edit_button = QPushButton("Edit…")
        self.edit_button.clicked.connect(lambda: self.edit(self.path or ROOT))
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.delete_button)
        buttons.addWidget(self.edit_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.filter_text)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status)
        client.pools_changed.connect(self.reload)
        self.reload()

    def reload(self) -> None:
        self.client.call(self.client.pools(), self._show)

    def _show(self, summary: dict) -> None:
        self.summary = summary
        self.tree.blockSignals(True)
        self.tree.clear()
        items: dict[str, QTreeWidgetItem] = {}
        for path in sorted(summary["pools"], key=lambda p: p.count("/")):
            renders = summary["effective"][path]["renders"]
            parent = items.get(path[: path.rstrip("/").rfind("/") + 1])
            item = QTreeWidgetItem([path, ", ".join(renders)])
            if parent is None:
                self.tree.addTopLevelItem(item)
            else:
                parent.addChild(item)
            items[path] = item
        self.tree.expandAll()
        self._apply_filter()
        self.tree.blockSignals(False)
        current = self.path if self.path in items else "/"
        self.tree.setCurrentItem(items[current])
        self.show_pool(current)

    def _apply_filter(self) -> None:
        """Show the pools whose path or renders hold the filter's text, with their parents."""
        text = self.filter_text.text().casefold()

        def show(item: QTreeWidgetItem) -> bool:
            children = [show(item.child(n)) for n in range(item.childCount())]  # each one
            shown = any(children) or text in item.text(0).casefold()
            shown = shown or text in item.text(1).casefold()
            item.setHidden(not shown)
            return shown

        for n in range(self.tree.topLevelItemCount()):
            show(self.tree.topLevelItem(n))

    def show_pool(self, path: str) -> None:
        self.path = path
        own, effective = self.summary["pools"][path], self.summary["effective"][path]
        self.settings.blockSignals(True)
        self.settings.setRowCount(len(own))
        for row, (key, value) in enumerate(own.items()):
            inherited = effective.get(EFFECTIVE_NAMES.get(key, key))
            cells = (key, setting_text(value), "" if inherited is None else setting_text(inherited))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column != 1:
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.settings.setItem(row, column, item)
        self.settings.blockSignals(False)

    def edit(self, path: str) -> FormDialog:
        """Open a pool's own settings in typed fields; OK sends the changed ones (and the tree
        shows that pool, current, with the server's answer)."""
        self.path = path
        schema = settings_schema(path == ROOT)["properties"]
        form = KeyForm(tuple(schema), schema, {}, {}, self.summary["pools"][path], groups=GROUPS)
        send = partial(self.client.edit_pool, path)
        dialog = FormDialog(f"Edit pool {path}", form, send, self.client.call, self)
        dialog.saved.connect(self._show)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def ask_new_pool(self) -> None:
        name, ok = QInputDialog.getText(self, "Add pool", f"Name of the new pool in {self.path}:")
        if ok and name.strip():
            self.add_pool(f"{self.path or '/'}{name.strip().strip('/')}/")

    def add_pool(self, path: str) -> None:
        """Add a pool; the tree shows it, current, once the server has it."""
        self.path = path
        self.client.call(self._change(self.client.add_pool(path)))

    def ask_delete_pool(self) -> None:
        if self.path in (None, "/"):
            self._refused("the root pool stays")
            return
        answer = QMessageBox.question(
            self, "Delete pool", f"Delete the pool {self.path}? Its renders go to its parent."
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.delete_pool(self.path)

    def delete_pool(self, path: str) -> None:
        self.client.call(self._change(self.client.delete_pool(path)))

    def _edited(self, item: QTableWidgetItem) -> None:
        key = self.settings.item(item.row(), 0).text()
        try:
            value = parse_setting(self.summary["pools"][self.path][key], item.text())
        except ValueError as error:
            self._refused(f"{key}: {error}")
            return
        self.client.call(self._change(self.client.edit_pool(self.path, {key: value})))

    async def _change(self, request) -> None:
        """A change of the pools; the tree the server answers, or its refusal."""
        try:
            summary = await request
        except FarmError as error:
            self._refused(str(error))
            return
        self.status.clear()
        self._show(summary)

    def _refused(self, message: str) -> None:
        self.status.setText(message)
        if self.path not in self.summary["pools"]:
            self.path = "/"
        self.show_pool(self.path)  # put the stored values back
