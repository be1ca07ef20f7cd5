"""Edit a job's or a block's editable parameters; the server validates.

The form lists every key of JOB_EDITABLE (BLOCK_EDITABLE for a block) with the value the summary
shows (the rest start empty). Only the fields changed are sent, as one PATCH. A text field is
sent as text; other values are JSON (`120`, `true`, `{"A": "1"}`), plain text when it is not
JSON. A refusal (400) shows the server's message in the dialog, which stays open.
"""

from __future__ import annotations

import json
from typing import Any

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.core.jobspec import BLOCK_EDITABLE, JOB_EDITABLE
from app.ui.client import FarmClient, FarmError


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def _value(text: str, current: Any) -> Any:
    if isinstance(current, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


class JobDialog(QDialog):
    """The editable parameters of a job (block=None) or of one of its blocks."""

    saved = pyqtSignal(dict)  # the job summary the server answered

    def __init__(
        self,
        client: FarmClient,
        job: dict,
        block: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.client = client
        self.job_id = job["id"]
        self.block = block
        item = job if block is None else job["blocks"][block]
        what = f"job {job['id']} {job['name']}"
        self.setWindowTitle(
            f"Edit {what}" if block is None else f"Edit block {item['name']} of {what}"
        )

        form = QFormLayout()
        self.fields: dict[str, tuple[QLineEdit, Any]] = {}
        for key in JOB_EDITABLE if block is None else BLOCK_EDITABLE:
            current = item.get(key)
            edit = QLineEdit(_text(current))
            edit.setPlaceholderText("unchanged")
            form.addRow(key, edit)
            self.fields[key] = (edit, current)
        inner = QWidget()
        inner.setLayout(form)
        scroll = QScrollArea()
        scroll.setWidget(inner)
        scroll.setWidgetResizable(True)

        self.error = QLabel(wordWrap=True)
        self.error.setStyleSheet("color: #d03030")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.resize(480, 560)

    def set_field(self, key: str, text: str) -> None:
        self.fields[key][0].setText(text)

    def changes(self) -> dict[str, Any]:
        """The fields changed, as the JSON values to send."""
        return {
            key: _value(edit.text(), current)
            for key, (edit, current) in self.fields.items()
            if edit.text() != _text(current)
        }

    def save(self) -> None:
        changes = self.changes()
        if not changes:
            self.accept()
            return
        self.error.clear()
        self.buttons.setEnabled(False)
        self.client.call(self._send(changes))

    async def _send(self, changes: dict[str, Any]) -> None:
        try:
            summary = await self.client.edit_job(self.job_id, changes, self.block)
        except FarmError as error:
            self.error.setText(str(error))
            return
        finally:
            self.buttons.setEnabled(True)
        self.saved.emit(summary)
        self.accept()
