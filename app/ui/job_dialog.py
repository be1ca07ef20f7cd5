"""Edit a job's or a block's editable parameters in typed fields (app/ui/key_form.py), grouped
and documented from the job model's tables; the server validates.

The form lists every key of JOB_EDITABLE (BLOCK_EDITABLE for a block) with the value the job
shows. Only the fields changed are sent, as one PATCH. While a field is invalid (a mask that
is not a regular expression, JSON that is not an object...) OK is disabled and the reason shows;
a refusal (400) shows the server's message in the dialog, which stays open.
"""

from __future__ import annotations

from typing import Any

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app import protocol
from app.core.jobspec import (
    BLOCK_EDITABLE,
    BLOCK_INTS,
    JOB_EDITABLE,
    JOB_INTS,
    block_schema,
    job_schema,
)
from app.ui.client import FarmClient, FarmError
from app.ui.key_form import KeyForm


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
        if block is None:
            keys, schema, kinds, ints = JOB_EDITABLE, job_schema(), protocol.JOB_KEYS, JOB_INTS
        else:
            keys, schema = BLOCK_EDITABLE, block_schema()
            kinds, ints = protocol.BLOCK_KEYS, BLOCK_INTS
        defaults = {key: limits[0] for key, limits in ints.items()}
        self.form = KeyForm(keys, schema["properties"], kinds, defaults, item)
        self.fields = self.form.fields
        self.form.changed.connect(self._show_problems)
        scroll = QScrollArea()
        scroll.setWidget(self.form)
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
        self.resize(560, 640)

    def set_field(self, key: str, text: str) -> None:
        self.form.set_text(key, text)

    def changes(self) -> dict[str, Any]:
        """The fields changed, as the JSON values to send."""
        return self.form.changes()

    def _show_problems(self) -> None:
        problems = self.form.problems()
        self.error.setText("\n".join(problems.values()))
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(not problems)

    def save(self) -> None:
        if self.form.problems():
            return
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
