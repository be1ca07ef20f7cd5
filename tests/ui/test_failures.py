"""Failures are obvious: a failing job's state, Errors column and row tint; a task's error
hosts shown and reset from its menu; skipped tasks unlike done ones; tints readable on light
and dark palettes."""

import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QColor

from app.api import numeric_job
from app.ui.jobs_model import ERRORS, STATE
from app.ui.jobs_view import JobsView
from app.ui.state_looks import FAILING, LOOKS, SKIPPED_FONT, text_colour, tint
from app.ui.tasks_model import COLUMNS as TASK_COLUMNS
from app.ui.tasks_view import TasksView
from tests.polling import until
from tests.ui.conftest import shown

BACKGROUND = Qt.ItemDataRole.BackgroundRole
# a task that fails and then avoids the render it failed on, with retries left: it waits (RER)
FLAKY = {
    "errors_retries": 5,
    "errors_task_same_host": 1,
    "errors_avoid_host": 0,
    "errors_forgive_time": 0,
}


async def test_a_failing_job_says_so_at_once_and_its_task_error_hosts_reset_from_the_menu(
    farm, client, qtbot
):
    jobs = shown(qtbot, JobsView(client))
    job_id = await client.submit(
        numeric_job("flaky", "exit 1", 1, 2, user_name="ann", block_extra=FLAKY)
    )
    farm.start_render("r1", 1)
    await until(lambda: (jobs.model.job(job_id) or {}).get("tasks_error_ready") == 2, 60)
    index = jobs.model.index(jobs.model.row_of(job_id), STATE)
    assert index.data().split()[-1] == FAILING
    assert index.data(Qt.ItemDataRole.ForegroundRole) == text_colour(FAILING)
    assert index.siblingAtColumn(ERRORS).data() == 2
    for column in range(jobs.model.columnCount()):  # the whole row is tinted
        assert index.siblingAtColumn(column).data(BACKGROUND) == tint(FAILING)
    jobs.set_states([FAILING])
    assert jobs.model.rowCount() == 1
    jobs.set_states(["ERR"])
    assert jobs.model.rowCount() == 0

    tasks = shown(qtbot, TasksView(client))
    tasks.show_block(job_id, 0)
    model = tasks.model
    await until(lambda: (model.task(0) or {}).get("error_hosts") == ["r1"])
    hosts = model.index(0, TASK_COLUMNS.index("Error hosts"))
    assert hosts.data() == "r1" and hosts.data(BACKGROUND) == tint(FAILING)
    assert model.index(0, 1).data() == "RER"
    reset = next(a for a in tasks.context_menu([0]).actions() if "error hosts" in a.text())
    assert reset.text() == "Reset error hosts (r1)" and reset.isEnabled()
    reset.trigger()
    await until(lambda: (model.task(0) or {}).get("starts") == 2, 30)  # r1 tried it again
    assert (model.task(1) or {}).get("starts") == 1  # the other task still avoids r1
    await client.task_action(job_id, 0, "reset-error-hosts", [1])
    await until(lambda: (model.task(1) or {}).get("starts") == 2, 30)


async def test_skipped_tasks_look_unlike_done_ones(client, qtbot):
    job_id = await client.submit(numeric_job("idle", "true", 1, 3, paused=True))
    await client.task_action(job_id, 0, "done", [0])
    await client.task_action(job_id, 0, "skip", [1])
    view = shown(qtbot, TasksView(client))
    view.show_block(job_id, 0)
    model = view.model
    await until(lambda: model.task(1) is not None)
    done, skipped, ready = (model.index(n, 0) for n in range(3))
    assert [model.index(n, 1).data() for n in range(3)] == ["DON", "SKP", "RDY"]
    assert done.data(BACKGROUND) == tint("done") != skipped.data(BACKGROUND) == tint("skipped")
    assert skipped.data(Qt.ItemDataRole.FontRole) == SKIPPED_FONT and SKIPPED_FONT.italic()
    assert done.data(Qt.ItemDataRole.FontRole) is None and ready.data(BACKGROUND) is None


def luminance(colour: QColor) -> float:
    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(colour.redF())
        + 0.7152 * channel(colour.greenF())
        + 0.0722 * channel(colour.blueF())
    )


def over(tint_colour: QColor, base: QColor) -> QColor:
    alpha = tint_colour.alphaF()
    mix = [
        alpha * getattr(tint_colour, part)() + (1 - alpha) * getattr(base, part)()
        for part in ("redF", "greenF", "blueF")
    ]
    return QColor.fromRgbF(*mix)


@pytest.mark.parametrize(
    ("base", "text"),
    [(QColor("#ffffff"), QColor("#000000")), (QColor("#2b2b2b"), QColor("#ffffff"))],
    ids=["light", "dark"],
)
def test_every_tint_keeps_the_palettes_text_readable(base, text):
    """WCAG's contrast ratio of the palette's text on a tinted row: at least 4.5 (AA)."""
    for kind, (row, _) in LOOKS.items():
        lighter, darker = sorted((luminance(over(row, base)), luminance(text)), reverse=True)
        assert (lighter + 0.05) / (darker + 0.05) >= 4.5, kind
        assert over(row, base) != base, kind  # and it shows
