"""A task's output: the stored text of any run, or the live text of a running run streamed by
the server, with the lines the block's parser flags shown red (errors) and orange (warnings)."""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtGui import (
    QCloseEvent,
    QColor,
    QFontDatabase,
    QPixmap,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
)
from PyQt6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from app.parsers import Parser, get_parser
from app.services import get_service
from app.ui.client import FarmClient

COLORS = {"error": QColor("#d32f2f"), "warning": QColor("#ef6c00")}
THUMBNAIL_WIDTH = 320


def line_classifier(parser_class: type[Parser]) -> Callable[[str], str | None]:
    """A function telling whether the parser flags a line as an "error", a "warning" or not
    (None): the parser itself reads each line, with its error() and warning() noted."""

    class Probe(parser_class):
        kind: str | None = None

        def warning(self, text: str) -> None:
            self.kind = self.kind or "warning"

        def error(self, text: str, fatal: bool = False) -> None:
            self.kind = "error"

    probe = Probe()

    def classify(line: str) -> str | None:
        probe.kind = None
        probe.parse_line(line)
        return probe.kind

    return classify


class ParserHighlighter(QSyntaxHighlighter):
    """Colors whole lines by what the parser says of them."""

    def __init__(self, document, parser_class: type[Parser]) -> None:
        super().__init__(document)
        self.classify = line_classifier(parser_class)
        self.formats = {}
        for kind, color in COLORS.items():
            self.formats[kind] = QTextCharFormat()
            self.formats[kind].setForeground(color)

    def highlightBlock(self, text: str | None) -> None:
        kind = self.classify(text or "")
        if kind is not None:
            self.setFormat(0, len(text), self.formats[kind])


ENDED_CHECK_MS = 2000


class OutputWindow(QWidget):
    """The output of task `task` of a block; the newest run is shown first."""

    def __init__(self, client: FarmClient, job: int, block: int, task: int) -> None:
        super().__init__(None, Qt.WindowType.Window)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(f"Job {job} block {block} task {task}: output")
        self.resize(800, 600)
        self.client, self.job, self.block, self.task = client, job, block, task
        self.runs: list[dict] = []
        self.live: int | None = None  # the run whose live output is streamed here
        self.runs_box = QComboBox(self)
        self.runs_box.currentIndexChanged.connect(self._show_run)
        self.info = QLabel(self)
        self.text = QPlainTextEdit(self, readOnly=True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.thumbnail = QLabel(self)
        self.thumbnail.hide()
        top = QHBoxLayout()
        top.addWidget(QLabel("Run:", self))
        top.addWidget(self.runs_box)
        top.addWidget(self.info, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.thumbnail)
        client.output_received.connect(self._received)
        self.ended = QTimer(self, interval=ENDED_CHECK_MS)  # while live: has the run ended?
        self.ended.timeout.connect(lambda: client.call(self._check_ended()))
        client.call(self._load())

    async def _load(self) -> None:
        details = await self.client.task(self.job, self.block, self.task)
        job = await self.client.job(self.job)
        service = job["blocks"][self.block]["service"]
        self.highlighter = ParserHighlighter(
            self.text.document(), get_parser(get_service(service).parser)
        )
        self.runs = details["runs"]
        if details["state"] == "RUN" and all(r["run"] != details["starts"] for r in self.runs):
            self.runs.append(
                {
                    "run": details["starts"],
                    "state": "RUN",
                    "render": details["render"],
                    "thumbnail": False,
                }
            )
        if not self.runs:
            self.info.setText("This task has not run yet.")
        for run in self.runs:
            self.runs_box.addItem(_run_label(run))
        self.runs_box.setCurrentIndex(len(self.runs) - 1)

    def _show_run(self, index: int) -> None:
        self._stop_live()
        self.text.clear()
        self.thumbnail.hide()
        if index < 0:
            return
        run = self.runs[index]
        self.info.setText(run.get("error") or "")
        if run["state"] == "RUN":
            self.live = run["run"]  # the first message holds the output so far
            self.client.watch_output(self.job, self.block, self.task, self.live)
            self.ended.start()
        else:
            output = self.client.task_output(self.job, self.block, self.task, run["run"])
            self.client.call(output, lambda text, n=index: self._stored(n, text))
        if run.get("thumbnail"):
            image = self.client.thumbnail(self.job, self.block, self.task, run["run"])
            self.client.call(image, self._show_thumbnail)

    def _stored(self, index: int, text: str) -> None:
        if index == self.runs_box.currentIndex():
            self.text.setPlainText(text)

    def _completed(self, index: int, text: str) -> None:
        """The stored output of the run that was streamed here, if it adds to what is shown;
        the view stays where it was (at the end when it followed the end)."""
        if index != self.runs_box.currentIndex() or len(text) <= len(self.text.toPlainText()):
            return
        bar = self.text.verticalScrollBar()
        position, follow = bar.value(), bar.value() == bar.maximum()
        self.text.setPlainText(text)
        bar.setValue(bar.maximum() if follow else position)

    def _received(self, job: int, block: int, task: int, run: int, text: str) -> None:
        if (job, block, task, run) != (self.job, self.block, self.task, self.live):
            return
        bar = self.text.verticalScrollBar()
        follow = bar.value() == bar.maximum()
        cursor = QTextCursor(self.text.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text)
        if follow:
            bar.setValue(bar.maximum())

    def _show_thumbnail(self, data: bytes) -> None:
        pixmap = QPixmap()
        if pixmap.loadFromData(data):
            self.thumbnail.setPixmap(pixmap.scaledToWidth(THUMBNAIL_WIDTH))
            self.thumbnail.show()

    async def _check_ended(self) -> None:
        """The live run ended: its row shows how (state, exit code, error), the streaming stops
        and the stored output replaces the streamed text when it holds more (the last chunk
        may still have been on its way: the server pushes output every quarter of a second);
        a lost run has none, a long one keeps only its head and tail."""
        live = self.live
        details = await self.client.task(self.job, self.block, self.task)
        ended = next((r for r in details["runs"] if r["run"] == live and r["state"] != "RUN"), None)
        if ended is None or live != self.live:
            return
        index = next(i for i, r in enumerate(self.runs) if r["run"] == live)
        self.runs[index] = ended
        self._stop_live()
        self.runs_box.setItemText(index, _run_label(ended))
        self.info.setText(ended.get("error") or "")
        output = self.client.task_output(self.job, self.block, self.task, live)
        self.client.call(output, lambda text, n=index: self._completed(n, text))

    def _stop_live(self) -> None:
        self.ended.stop()
        if self.live is not None:
            self.client.watch_output(self.job, self.block, self.task, self.live, on=False)
            self.live = None

    def closeEvent(self, event: QCloseEvent) -> None:
        self._stop_live()
        self.client.output_received.disconnect(self._received)
        super().closeEvent(event)


def _run_label(run: dict) -> str:
    parts = [f"{run['run']}", run["state"], run.get("render") or ""]
    if run.get("exit_code") is not None:
        parts.append(f"exit {run['exit_code']}")
    return " · ".join(p for p in parts if p)
