"""'Why not running?': the explainer's reason, per online render, for the selected job."""

from __future__ import annotations

from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.ui.client import FarmClient

REFRESH_MS = 3000  # while shown


class WhyPanel(QWidget):
    """The reasons of the job set with `show_job`, refreshed every few seconds while shown."""

    def __init__(self, client: FarmClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.client = client
        self.job: int | None = None
        self.summary = QLabel("Select a job to see why it is or is not running.", self)
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, 2, self)
        self.table.setHorizontalHeaderLabels(["Render", "Reason"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        self.timer = QTimer(self, interval=REFRESH_MS)
        self.timer.timeout.connect(self.refresh)

    def show_job(self, job_id: int) -> None:
        self.job = job_id
        self.refresh()

    def refresh(self) -> None:
        if self.job is not None:
            self.client.call(self.client.explain(self.job), self._show)

    def _show(self, answer: dict) -> None:
        if answer["job"] != self.job:
            return
        renders = answer["renders"]
        text = f"Job {answer['job']}: {answer['state']}, {answer['running']} task(s) running."
        if not renders:
            text += " No render is online."
        self.summary.setText(text)
        self.table.setRowCount(len(renders))
        for row, item in enumerate(renders):
            self.table.setItem(row, 0, QTableWidgetItem(item["render"]))
            self.table.setItem(row, 1, QTableWidgetItem(item["reason"]))

    def showEvent(self, event) -> None:
        self.timer.start()
        self.refresh()
        super().showEvent(event)

    def hideEvent(self, event) -> None:
        self.timer.stop()
        super().hideEvent(event)
