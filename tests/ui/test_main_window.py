"""The main window against a real server, and `run_monitor` from start to a clean quit."""

import pytest
from PyQt6.QtCore import QSettings, QTimer
from PyQt6.QtWidgets import QApplication

from app.api import numeric_job
from app.credentials import TOKEN_ENV
from app.ui.app import run_monitor
from app.ui.jobs_model import NAME
from app.ui.main_window import MainWindow
from tests.polling import until
from tests.ui.conftest import shown

pytestmark = pytest.mark.usefixtures("keep_running")


async def test_tabs_status_selection_and_submit(client, qtbot):
    window = shown(qtbot, MainWindow(client))
    tabs = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert tabs == ["Jobs", "Renders", "Users", "Pools"]
    assert "online" in window.connection.text()
    client.failed.emit("job 7: not found")
    assert window.error.text() == "job 7: not found"

    job_id = await client.submit(numeric_job("shot", "echo @#@", 1, 3, user_name="ann"))
    jobs = window.jobs
    await until(lambda: jobs.model.row_of(job_id) is not None)
    jobs.select_jobs([job_id])
    assert window.why.job == job_id
    await until(lambda: f"Job {job_id}" in window.why.summary.text())
    jobs.model.expand(job_id)
    jobs.table.setCurrentIndex(jobs.model.index(jobs.model.row_of(job_id) + 1, NAME))
    assert (window.tasks.model.job, window.tasks.model.block) == (job_id, 0)

    dialog = window.open_submit()
    dialog.options["command"].setText("echo @#@")
    dialog.name.setText("from the menu")
    dialog.submit()
    await until(
        lambda: (
            "from the menu"
            in {
                jobs.model.job(jobs.model.item_at(row)[0])["name"]
                for row in range(jobs.model.rowCount())
            }
        )
    )
    assert window.statusBar().currentMessage().endswith("submitted")

    resets = []
    jobs.model.modelReset.connect(lambda: resets.append(jobs.model.rowCount()))
    window.refresh()
    await until(lambda: resets)
    assert resets == [3]  # both jobs again, the first still expanded


async def test_selecting_a_job_shows_its_first_blocks_tasks(client, qtbot):
    window = shown(qtbot, MainWindow(client))
    first = await client.submit(numeric_job("first", "echo @#@", 1, 3, user_name="ann"))
    second = await client.submit(numeric_job("second", "echo @#@", 1, 5, user_name="ann"))
    jobs, tasks = window.jobs, window.tasks.model
    await until(lambda: jobs.model.row_of(second) is not None)
    for job_id, count in ((first, 3), (second, 5)):
        jobs.select_jobs([job_id])
        assert (tasks.job, tasks.block) == (job_id, 0)
        await until(lambda count=count: tasks.rowCount() == count)


def test_run_monitor_shows_the_farm_and_quits_cleanly(farm, tmp_path, qapp, monkeypatch):
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))
    monkeypatch.setenv(TOKEN_ENV, farm.admin_token)  # where clients look first
    job_id = farm.client.submit(numeric_job("shot", "echo @#@", 1, 2, user_name="ann"))
    seen = []

    def close_when_shown() -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, MainWindow) and widget.jobs.model.row_of(job_id) is not None:
                seen.append(widget.client.user)
                widget.close()
                return
        QTimer.singleShot(50, close_when_shown)

    QTimer.singleShot(50, close_when_shown)
    assert run_monitor(farm.url, "ann") == 0
    assert seen == ["ann"]


def test_cli_verbs_reach_the_qt_modes(monkeypatch, tmp_path):
    from app import cli
    from app.ui import app, tray
    from app.ui.settings import Settings, save_settings

    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))
    calls = []
    monkeypatch.delenv("CORRAL_SERVER", raising=False)
    monkeypatch.setenv("CORRAL_FARM_NAME", "no-such-farm")  # nothing found: the default
    monkeypatch.setattr(app, "run_monitor", lambda *args: calls.append(("monitor", *args)) or 0)
    monkeypatch.setattr(tray, "run_tray", lambda *args: calls.append(("tray", *args)) or 0)
    assert cli.main(["monitor", "--server", "http://farm:51000", "--user", "ann"]) == 0
    assert cli.main(["tray", "--server", "http://farm:51000", "--max-tasks", "2"]) == 0
    assert cli.main(["--token", "crl_t", "monitor", "--ca-file", "/ca.pem"]) == 0
    save_settings(Settings(server="http://saved:51000"))
    assert cli.main(["monitor"]) == 0  # the saved server: run_monitor reads it
    (_, config, *tray_args) = calls.pop(1)
    assert (config.server_url, config.max_tasks, tray_args) == (
        "http://farm:51000",
        2,
        ["", None, None],
    )
    assert calls == [
        ("monitor", "http://farm:51000", "ann", None, None),
        ("monitor", "http://127.0.0.1:51000", None, "crl_t", "/ca.pem"),  # app/discovery.py's
        ("monitor", None, None, None, None),
    ]
