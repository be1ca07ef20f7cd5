"""Users and their settings (app/core/users.py EDITABLE), edited in place (an edited cell is
sent to the server, which validates it; a refused value is put back and the error shown) or, on
a double-click of a name, in a dialog of typed fields (app/ui/key_form.py, from the users'
settings schema)."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from app.core.users import EDITABLE, settings_schema
from app.ui.client import FarmClient, FarmError
from app.ui.key_form import FormDialog, KeyForm
from app.ui.tables import SORT_ROLE, TextFilter, filter_box

COLUMNS = ("name", *EDITABLE, "running_tasks", "running_capacity", "need", "queued_tasks")


def setting_text(value: Any) -> str:
    """A setting as a cell shows it: text as it is, anything else as JSON (true, 3, ["a"])."""
    return value if isinstance(value, str) else json.dumps(value)


def parse_setting(old: Any, text: str) -> Any:
    """The value typed in a cell, of the kind of the old value; ValueError if it is not one."""
    if isinstance(old, str):
        return text
    value = json.loads(text)
    if type(value) is not type(old) and not (type(old) is float and type(value) is int):
        raise ValueError(f"expected a value like {setting_text(old)}")
    return value


class SortItem(QTableWidgetItem):
    """A cell that sorts by its value (numbers as numbers), not by its text."""

    def __lt__(self, other: QTableWidgetItem) -> bool:
        mine, theirs = self.data(SORT_ROLE), other.data(SORT_ROLE)
        if isinstance(mine, int | float) and isinstance(theirs, int | float):
            return mine < theirs
        return self.text() < other.text()


class UsersView(TextFilter, QWidget):
    """The users, sortable by any column; the text filter keeps those whose name holds it."""

    def __init__(self, client: FarmClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.client = client
        self.users: dict[str, dict] = {}
        self.filter_text = filter_box("name contains")
        self.filter_text.textChanged.connect(self._hide_filtered)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels([c.replace("_", " ") for c in COLUMNS])
        self.table.verticalHeader().hide()
        self.table.setSortingEnabled(True)
        self.table.itemChanged.connect(self._edited)
        self.table.itemDoubleClicked.connect(
            lambda item: item.column() == 0 and self.edit(item.data(Qt.ItemDataRole.UserRole))
        )
        self.status = QLabel(self)
        self.status.setStyleSheet("color: #c62828")
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter_text)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        client.users_changed.connect(self._changed)
        self.reload()

    def reload(self) -> None:
        self.client.call(self.client.users(), self._changed)

    def _changed(self, users: list[dict]) -> None:
        self.users.update((user["name"], user) for user in users)
        self.table.blockSignals(True)
        self.table.setSortingEnabled(False)  # rows would move while they are filled
        self.table.setRowCount(len(self.users))
        for row, user in enumerate(sorted(self.users.values(), key=lambda u: u["name"])):
            for column, key in enumerate(COLUMNS):
                item = SortItem(setting_text(user[key]))
                item.setData(SORT_ROLE, user[key])
                if key not in EDITABLE:
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                item.setData(Qt.ItemDataRole.UserRole, user["name"])
                self.table.setItem(row, column, item)
        self.table.setSortingEnabled(True)
        self.table.blockSignals(False)
        self._hide_filtered()

    def _hide_filtered(self) -> None:
        text = self.filter_text.text().strip().lower()
        for row in range(self.table.rowCount()):
            name = self.table.item(row, 0).data(Qt.ItemDataRole.UserRole)
            self.table.setRowHidden(row, text not in name.lower())

    def edit(self, name: str) -> FormDialog:
        """The user's settings in a dialog of typed fields."""
        form = KeyForm(EDITABLE, settings_schema()["properties"], {}, {}, self.users[name])
        send = partial(self.client.edit_user, name)
        dialog = FormDialog(f"Edit user {name}", form, send, self.client.call, self)
        dialog.saved.connect(lambda user: self._changed([user]))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _edited(self, item: QTableWidgetItem) -> None:
        name, key = item.data(Qt.ItemDataRole.UserRole), COLUMNS[item.column()]
        try:
            value = parse_setting(self.users[name][key], item.text())
        except ValueError as error:
            self._refused(f"{key}: {error}")
            return
        self.client.call(self._edit(name, {key: value}))

    async def _edit(self, name: str, params: dict) -> None:
        try:
            user = await self.client.edit_user(name, params)
        except FarmError as error:
            self._refused(str(error))
            return
        self.status.clear()
        self._changed([user])

    def _refused(self, message: str) -> None:
        self.status.setText(message)
        self._changed([])  # put the stored values back
