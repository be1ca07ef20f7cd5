"""The task output window against a real server and render: live output of a running task
streamed through the server, stored output of a finished run, parser highlights."""

from PyQt6.QtGui import QColor, QKeySequence, QTextCursor
from PyQt6.QtTest import QTest
from PyQt6.QtWidgets import QApplication

from app.api import numeric_job
from app.parsers import get_parser
from app.parsers.generic import GenericParser
from app.ui.output_window import COLORS, OutputWindow, ParserHighlighter, line_classifier
from tests.polling import until
from tests.ui.conftest import shown

COMMAND = (
    "echo start; echo '[ PARSER WARNING ] slow disk'; "
    "for i in 1 2 3 4 5 6 7 8; do echo line$i; sleep 0.25; done; "
    "echo '[ PARSER ERROR ] no camera'; sleep 5"
)


async def window_on_running_task(farm, client, qtbot, job: dict, render: str):
    """Submit the one-task job, start a render for it and open the output window of its task
    once it runs; returns the job id, the task states seen so far (growing) and the window."""
    job_id = await client.submit(job)
    client.watch_block(job_id, 0)
    states: list[str] = []
    client.tasks_changed.connect(lambda job, block, tasks: states.extend(t["state"] for t in tasks))
    farm.start_render(render, 1)
    await until(lambda: "RUN" in states)
    window = shown(qtbot, OutputWindow(client, job_id, 0, 0))
    return job_id, states, window


def line_color(window: OutputWindow, text: str) -> QColor | None:
    """The foreground color of the line holding `text`, None when it is not highlighted."""
    block = window.text.document().find(text).block()
    formats = block.layout().formats()
    return formats[0].format.foreground().color() if formats else None


def test_lines_are_classified_by_the_parser():
    classify = line_classifier(GenericParser)
    assert classify("[ PARSER ERROR ] no camera") == "error"
    assert classify("[ PARSER FATAL ERROR ] gone") == "error"
    assert classify("[ PARSER WARNING ] slow") == "warning"
    assert classify("PROGRESS: 50%") is None
    assert classify("2026-12-01 10:00:09 [ERROR] could not write /out/a.png") == "error"
    assert classify("Render finished: 0 errors") is None


async def test_streams_a_running_task_live_then_shows_its_stored_output(farm, client, qtbot):
    no_retry = {"errors_retries": 0}  # the parser's error fails the run: keep one run
    job = numeric_job("live", COMMAND, 1, 1, block_extra=no_retry)
    job_id, states, window = await window_on_running_task(farm, client, qtbot, job, "r1")
    await until(lambda: window.live == 1)
    await until(lambda: "line2" in window.text.toPlainText())
    assert "line8" not in window.text.toPlainText()  # it arrived while the task ran
    await until(lambda: "no camera" in window.text.toPlainText())
    assert line_color(window, "no camera") == COLORS["error"]
    assert line_color(window, "slow disk") == COLORS["warning"]
    assert line_color(window, "line2") is None
    text = window.text.toPlainText()
    assert text.index("start") < text.index("line1") < text.index("line8")

    await until(lambda: (states or [None])[-1] == "ERR", 30)
    await until(lambda: window.live is None)  # the open window saw the run end
    assert "ERR" in window.runs_box.itemText(0) and "no camera" in window.info.text()
    assert "line8" in window.text.toPlainText()
    stored = OutputWindow(client, job_id, 0, 0)
    qtbot.addWidget(stored)
    await until(lambda: "no camera" in stored.text.toPlainText())
    assert "no camera" in stored.info.text()  # the run's error: the render stopped the task
    assert stored.live is None and stored.runs_box.count() == 1
    assert stored.text.toPlainText().startswith("start\n")
    assert line_color(stored, "no camera") == COLORS["error"]
    window.close()
    assert (job_id, 0, 0, 1) not in client._watched_runs


async def window_before_any_run(client, qtbot, tasks: int, task: int) -> OutputWindow:
    """The output window of a task of a new paused job of `tasks` tasks, once it has said
    what it knows (its info line)."""
    job_id = await client.submit(numeric_job("idle", "true", 1, tasks, paused=True))
    window = OutputWindow(client, job_id, 0, task)
    qtbot.addWidget(window)
    await until(lambda: window.info.text())
    return window


async def test_a_task_that_never_ran_says_so(client, qtbot):
    window = await window_before_any_run(client, qtbot, 3, 2)
    assert "not run" in window.info.text() and window.runs_box.count() == 0


async def test_a_run_that_ends_shows_its_whole_stored_output(farm, client, qtbot):
    """The last chunk of a run may still be on its way when the window sees the run end (the
    server pushes output every 0.25 s): the stored output then replaces the streamed text."""
    job = numeric_job("tail", "echo first; sleep 1.5; echo last-line", 1, 1)
    _, _, window = await window_on_running_task(farm, client, qtbot, job, "r2")
    await until(lambda: "first" in window.text.toPlainText())
    client.output_received.disconnect(window._received)  # the rest of the stream gets lost
    await until(lambda: window.live is None, 30)
    await until(lambda: "last-line" in window.text.toPlainText())
    assert window.text.toPlainText() == "first\nlast-line\n"
    client.output_received.connect(window._received)  # closeEvent disconnects it


async def test_an_ended_run_keeps_the_streamed_text_when_the_stored_one_has_less(client, qtbot):
    """A lost run stores no output, a long one only its head and tail: the streamed text stays."""
    window = await window_before_any_run(client, qtbot, 1, 0)
    window.runs_box.blockSignals(True)  # no fetch: as if run 1 had been streamed here
    window.runs_box.addItem("run 1")
    window.text.setPlainText("streamed line 1\nstreamed line 2\n")
    window._completed(0, "")
    assert window.text.toPlainText() == "streamed line 1\nstreamed line 2\n"
    window._completed(0, "streamed line 1\nstreamed line 2\nlast\n")
    assert window.text.toPlainText().endswith("last\n")


LOG = (
    "echo 'loading scene'; echo 'frame 1 ok'; echo 'Error: texture missing'; "
    "echo 'frame 2 ok'; echo 'FRAME 3 ok'; echo 'fatal: out of disk'; exit 4"
)


async def finished_window(farm, client, qtbot, command: str) -> OutputWindow:
    """The output window of a one-task job that ran `command` once, its text shown."""
    job = numeric_job("log", command, 1, 1, block_extra={"errors_retries": 0})
    job_id = await client.submit(job)
    farm.start_render("r1", 1)
    await until(lambda: farm.client.job(job_id)["state"] == "ERR", 60)
    window = shown(qtbot, OutputWindow(client, job_id, 0, 0))
    await until(lambda: "fatal" in window.text.toPlainText())
    return window


def selected_line(window: OutputWindow) -> tuple[int, str]:
    cursor = window.text.textCursor()
    return cursor.blockNumber(), cursor.block().text()


async def test_search_errors_header_and_reading_tools(farm, client, qtbot):
    window = await finished_window(farm, client, qtbot, LOG)
    # the header: command, render, exit status, duration, peak memory, CPU
    assert window.command.text() == f"Command: {LOG}"
    facts = window.facts.text()
    assert facts.startswith("on r1 · exit status 4 · took 0:0")
    assert "peak memory" in facts and "CPU " in facts
    policy = window.runs_box.sizeAdjustPolicy()
    assert policy == window.runs_box.SizeAdjustPolicy.AdjustToContents

    # Ctrl+F, then next / previous, any case, wrapping around
    window.activateWindow()
    QTest.keySequence(window, QKeySequence(QKeySequence.StandardKey.Find))
    assert window.search.hasFocus()
    window.search.setText("frame")
    assert window.find_next() and selected_line(window) == (1, "frame 1 ok")
    window.find_next()
    assert selected_line(window)[0] == 3
    window.find_next()
    assert selected_line(window) == (4, "FRAME 3 ok")
    window.find_next()  # wraps to the first
    assert selected_line(window)[0] == 1
    window.find_previous()  # wraps to the last
    assert selected_line(window)[0] == 4
    window.search.setText("no such words")
    assert not window.find_next() and window.found.text() == "not found"

    # the generic parser's block found no error: the fallback's are red, and jumped to
    assert line_color(window, "Error: texture missing") == COLORS["error"]
    assert line_color(window, "fatal: out of disk") == COLORS["error"]
    assert line_color(window, "frame 2 ok") is None
    window.text.moveCursor(QTextCursor.MoveOperation.Start)
    assert window.next_error() == 2 and window.next_error() == 5
    assert window.next_error() == 2  # around again
    assert window.next_error(backward=True) == 5

    # word wrap, copy, line numbers
    window.wrap.setChecked(True)
    assert window.text.lineWrapMode() == window.text.LineWrapMode.WidgetWidth
    window.wrap.setChecked(False)
    assert window.text.lineWrapMode() == window.text.LineWrapMode.NoWrap
    window.copy()  # "fatal: out of disk" is selected
    assert QApplication.clipboard().text() == "fatal: out of disk"
    window.text.moveCursor(QTextCursor.MoveOperation.Start)
    window.copy()
    assert QApplication.clipboard().text() == window.text.toPlainText()
    assert window.text.viewportMargins().left() == window.text.numbers_width() > 0
    window.text.numbers.repaint()


def test_the_fallback_gives_way_to_the_parsers_own_errors(qapp):
    from PyQt6.QtGui import QTextDocument

    document = QTextDocument()  # the highlighter's parent: kept alive here
    # a renderer's parser: it reads its own error lines and guesses none (the generic one would)
    highlighter = ParserHighlighter(document, get_parser("mantra"))
    highlighter.text_set("all fine\nError: one\n")
    assert highlighter.fallback and highlighter.classify("Error: one") == "error"
    highlighter.text_added("[ PARSER ERROR ] the real one\n")
    assert not highlighter.fallback and highlighter.classify("Error: one") is None
    assert highlighter.classify("[ PARSER ERROR ] x") == "error"
    highlighter.text_set("Segmentation fault\n")
    assert highlighter.fallback and highlighter.classify("Segmentation fault") == "error"
