"""A task's output: the stored text of any run, or the live text of a running run streamed by
the server, with the lines the block's parser flags shown red (errors) and orange (warnings).
When the parser flags no error in the text, the generic fallback's errors show instead: the
generic parser's markers and the errors it guesses in programs it does not know
(app/parsers/guesses.py).

Above the text (app/ui/log_view.py: line numbers, find, word wrap): the command and the run's
render, exit status, duration, peak memory and CPU; a find bar (Ctrl+F, Enter / F3 next,
Shift+F3 previous), next and previous error, word wrap and copy."""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtGui import (
    QAction,
    QCloseEvent,
    QColor,
    QKeySequence,
    QPixmap,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
)
from PyQt6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.parsers import Parser, get_parser
from app.parsers.base import clean_line
from app.parsers.generic import GenericParser
from app.parsers.guesses import is_error
from app.protocol import RUN_ERROR
from app.services import get_service
from app.ui.client import FarmClient
from app.ui.log_view import LogView

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


def fallback_classifier() -> Callable[[str], str | None]:
    """The generic fallback: the generic parser's markers, else the errors it guesses."""
    generic = line_classifier(GenericParser)

    def classify(line: str) -> str | None:
        return generic(line) or ("error" if is_error(clean_line(line)) else None)

    return classify


class ParserHighlighter(QSyntaxHighlighter):
    """Colors whole lines by what the parser says of them, or by the generic fallback while
    the parser flags no line of the text as an error (`fallback`)."""

    def __init__(self, document, parser_class: type[Parser]) -> None:
        super().__init__(document)
        self.parser_kind = line_classifier(parser_class)
        self.fallback_kind = fallback_classifier()
        self.fallback = True
        self.formats = {}
        for kind, color in COLORS.items():
            self.formats[kind] = QTextCharFormat()
            self.formats[kind].setForeground(color)

    def classify(self, line: str) -> str | None:
        kind = self.parser_kind(line)
        return self.fallback_kind(line) if kind is None and self.fallback else kind

    def text_set(self, text: str) -> None:
        """The whole text was replaced: the fallback serves when the parser finds no error."""
        fallback = not self._parser_errors(text)
        if fallback != self.fallback:
            self.fallback = fallback
            self.rehighlight()

    def text_added(self, text: str) -> None:
        """Text was appended: the parser's first error ends the fallback."""
        if self.fallback and self._parser_errors(text):
            self.fallback = False
            self.rehighlight()

    def _parser_errors(self, text: str) -> bool:
        return any(self.parser_kind(line) == "error" for line in text.splitlines())

    def highlightBlock(self, text: str | None) -> None:
        kind = self.classify(text or "")
        if kind is not None:
            self.setFormat(0, len(text), self.formats[kind])


ENDED_CHECK_MS = 2000


class OutputWindow(QWidget):
    """The output of task `task` of a block; the newest run is shown first (with
    `last_error`, the newest failed one)."""

    def __init__(
        self, client: FarmClient, job: int, block: int, task: int, last_error: bool = False
    ) -> None:
        super().__init__(None, Qt.WindowType.Window)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(f"Job {job} block {block} task {task}: output")
        self.resize(800, 600)
        self.client, self.job, self.block, self.task = client, job, block, task
        self.last_error = last_error
        self.runs: list[dict] = []
        self.live: int | None = None  # the run whose live output is streamed here
        self.highlighter: ParserHighlighter | None = None
        self.runs_box = QComboBox(self)
        self.runs_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.runs_box.currentIndexChanged.connect(self._show_run)
        self.info = QLabel(self)
        self.command = QLabel(self, wordWrap=True)
        self.facts = QLabel(self)
        for label in (self.info, self.command, self.facts):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text = LogView(self)
        self.thumbnail = QLabel(self)
        self.thumbnail.hide()
        top = QHBoxLayout()
        top.addWidget(QLabel("Run:", self))
        top.addWidget(self.runs_box)
        top.addWidget(self.facts, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.command)
        layout.addWidget(self.info)
        layout.addLayout(self._tools())
        layout.addWidget(self.text, 1)
        layout.addWidget(self.thumbnail)
        client.output_received.connect(self._received)
        self.ended = QTimer(self, interval=ENDED_CHECK_MS)  # while live: has the run ended?
        self.ended.timeout.connect(lambda: client.call(self._check_ended()))
        client.call(self._load())

    def _tools(self) -> QHBoxLayout:
        """The find bar and the reading tools, with their keys."""
        self.search = QLineEdit(self, placeholderText="find (Ctrl+F)", clearButtonEnabled=True)
        self.search.returnPressed.connect(self.find_next)
        self.found = QLabel(self)
        self.wrap = QCheckBox("Wrap", self)
        self.wrap.toggled.connect(self.text.set_wrap)
        tools = QHBoxLayout()
        tools.addWidget(self.search, 1)
        buttons = (
            ("Previous", self.find_previous, QKeySequence.StandardKey.FindPrevious),
            ("Next", self.find_next, QKeySequence.StandardKey.FindNext),
            ("Previous error", lambda: self.next_error(backward=True), "Ctrl+Shift+E"),
            ("Next error", self.next_error, "Ctrl+E"),
            ("Copy", self.copy, None),
        )
        for text, slot, key in buttons:
            button = QPushButton(text, self)
            button.clicked.connect(lambda _=False, slot=slot: slot())
            if key is not None:
                button.setShortcut(QKeySequence(key))
            tools.addWidget(button)
        tools.addWidget(self.wrap)
        tools.addWidget(self.found)
        find = QAction(self, shortcut=QKeySequence(QKeySequence.StandardKey.Find))
        find.triggered.connect(self.focus_search)
        self.addAction(find)
        return tools

    # -- reading -------------------------------------------------------------------------------

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def find_next(self, backward: bool = False) -> bool:
        """Select the next (previous) place of the find bar's text; say when there is none."""
        found = self.text.find_text(self.search.text(), backward)
        self.found.setText("" if found or not self.search.text() else "not found")
        return found

    def find_previous(self) -> bool:
        return self.find_next(backward=True)

    def next_error(self, backward: bool = False) -> int | None:
        """Select the next (previous) line shown as an error; its number (0-based)."""
        highlighter = self.highlighter
        line = None
        if highlighter is not None:
            line = self.text.find_line(lambda t: highlighter.classify(t) == "error", backward)
        self.found.setText("" if line is not None else "no error")
        return line

    def copy(self) -> None:
        """The selection to the clipboard, or the whole text when nothing is selected."""
        cursor = self.text.textCursor()
        text = cursor.selectedText().replace("\u2029", "\n") if cursor.hasSelection() else None
        QApplication.clipboard().setText(self.text.toPlainText() if text is None else text)

    # -- runs ----------------------------------------------------------------------------------

    async def _load(self) -> None:
        details = await self.client.task(self.job, self.block, self.task)
        self.command.setText(f"Command: {details['command']}")
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
        failed = [i for i, run in enumerate(self.runs) if run["state"] == RUN_ERROR]
        self.runs_box.setCurrentIndex(
            failed[-1] if self.last_error and failed else len(self.runs) - 1
        )

    def _show_run(self, index: int) -> None:
        self._stop_live()
        self.text.clear()
        self.thumbnail.hide()
        if index < 0:
            return
        run = self.runs[index]
        self.info.setText(run.get("error") or "")
        self.facts.setText(run_facts(run))
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
            self._set_text(text)

    def _completed(self, index: int, text: str) -> None:
        """The stored output of the run that was streamed here, if it adds to what is shown;
        the view stays where it was (at the end when it followed the end)."""
        if index != self.runs_box.currentIndex() or len(text) <= len(self.text.toPlainText()):
            return
        bar = self.text.verticalScrollBar()
        position, follow = bar.value(), bar.value() == bar.maximum()
        self._set_text(text)
        bar.setValue(bar.maximum() if follow else position)

    def _received(self, job: int, block: int, task: int, run: int, text: str) -> None:
        if (job, block, task, run) != (self.job, self.block, self.task, self.live):
            return
        bar = self.text.verticalScrollBar()
        follow = bar.value() == bar.maximum()
        cursor = QTextCursor(self.text.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text)
        if self.highlighter is not None:
            self.highlighter.text_added(text)
        if follow:
            bar.setValue(bar.maximum())

    def _set_text(self, text: str) -> None:
        self.text.setPlainText(text)
        if self.highlighter is not None:
            self.highlighter.text_set(text)

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
        self.facts.setText(run_facts(ended))
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


def run_facts(run: dict) -> str:
    """The header line of a run: render, exit status, duration, peak memory, CPU."""
    parts = [f"on {run['render']}" if run.get("render") else ""]
    if run["state"] == "RUN":
        parts.append("running")
    elif run.get("signal") is not None:
        parts.append(f"killed by signal {run['signal']}")
    elif run.get("exit_code") is not None:
        parts.append(f"exit status {run['exit_code']}")
    else:
        parts.append(run["state"])
    if run.get("time_start") and run.get("time_done"):
        parts.append(f"took {_duration(run['time_done'] - run['time_start'])}")
    if run.get("peak_rss_mb") is not None:
        parts.append(f"peak memory {run['peak_rss_mb']:.0f} MB")
    if run.get("cpu_seconds") is not None:
        average = run.get("cpu_avg_percent")
        share = f" ({average:.0f} %)" if average is not None else ""
        parts.append(f"CPU {run['cpu_seconds']:.1f} s{share}")
    return " · ".join(p for p in parts if p)


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
