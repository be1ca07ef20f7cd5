"""Notifications against a real farm: what is asked of the notifier when a job of mine ends,
fails, or a render of mine goes offline; the tray's farm tasks started and failed here; the
settings page choosing which; the desktop notifier's channel."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PyQt6.QtCore import QSettings

from app.api import numeric_job
from app.render.config import RenderConfig
from app.ui.main_window import MainWindow
from app.ui.notices import NOTICES, NoticeFilter
from app.ui.notifier import DesktopNotifier
from app.ui.settings import Settings, SettingsDialog, load_settings
from app.ui.tray import TrayController
from tests.polling import until
from tests.ui.conftest import shown

pytestmark = pytest.mark.usefixtures("keep_running")


class Recorder:
    """A notifier that keeps what it is asked to show."""

    def __init__(self) -> None:
        self.told: list[tuple[str, str]] = []

    def notify(self, title: str, text: str) -> None:
        self.told.append((title, text))


async def test_my_job_done_or_failing_asks_the_notifier(farm, client, qtbot):
    farm.start_render("r1", 2)
    before = await client.submit(numeric_job("before", "true", 1, 1, user_name="ann"))
    await until(lambda: farm.client.job(before)["state"] == "DON", 60)
    recorder = Recorder()
    settings = Settings(server=farm.url, user="ann")
    window = shown(qtbot, MainWindow(client, settings, notifier=recorder))
    await until(lambda: before in window.farm_notices._jobs)  # seeded: not news

    shot = await client.submit(numeric_job("shot", "true", 1, 2, user_name="ann"))
    other = await client.submit(numeric_job("other", "true", 1, 1, user_name="bob"))
    await until(lambda: recorder.told, 60)
    assert recorder.told == [("Job shot", f"Job {shot} is done")]
    assert window.statusBar().currentMessage() == f"Job shot: Job {shot} is done"
    await until(lambda: farm.client.job(other)["state"] == "DON", 60)

    flaky = {"errors_retries": 5, "errors_task_same_host": 1, "errors_avoid_host": 0}
    fails = await client.submit(
        numeric_job("fails", "exit 1", 1, 1, user_name="ann", block_extra=flaky)
    )
    await until(lambda: len(recorder.told) == 2, 60)
    title, text = recorder.told[1]
    assert title == "Job fails" and text.startswith(f"Job {fails} is failing")

    window.notices.kinds = settings.notices - {"job_done"}  # as the settings page sets it
    quiet = await client.submit(numeric_job("quiet", "true", 1, 1, user_name="ann"))
    await until(lambda: farm.client.job(quiet)["state"] == "DON", 60)
    await until(lambda: (window.jobs.model.job(quiet) or {}).get("state") == "DON")
    assert len(recorder.told) == 2


async def test_a_render_of_mine_going_offline_asks_the_notifier(farm, client, qtbot):
    recorder = Recorder()
    window = MainWindow(client, Settings(server=farm.url, user="wes"), notifier=recorder)
    qtbot.addWidget(window)
    mine, theirs = farm.start_render("mine", 1), farm.start_render("theirs", 1)
    farm.wait_renders(2)
    await client.edit_render("mine", {"user_name": "wes"})
    await until(lambda: window.farm_notices._online)
    theirs.stop()
    mine.stop()
    await until(lambda: recorder.told, 30)
    assert recorder.told == [("Render mine", "went offline")]


async def test_the_tray_tells_a_farm_task_started_and_failed_here(farm, client, tmp_path, qapp):
    recorder = Recorder()
    config = RenderConfig(
        server_url=farm.url,
        name="desk",
        max_tasks=1,
        tmp_dir=tmp_path / "tasks",
        farm_secret=farm.farm_secret,
    )
    config.tmp_dir.mkdir()
    notices = NoticeFilter(recorder, set(NOTICES))
    tray = TrayController(client, config, autostart_path=tmp_path / "a.desktop", notices=notices)
    tray.start()
    try:
        await until(lambda: tray.state == "free")
        no_retry = {"errors_retries": 0}
        job_id = await client.submit(
            numeric_job("broken", "sleep 3; exit 3", 1, 1, block_extra=no_retry)
        )
        await until(lambda: len(recorder.told) == 2, 60)
    finally:
        await tray.stop()
    task = f"job {job_id} block 0 task 0"
    assert recorder.told[0] == ("Farm task started", task)
    assert recorder.told[1][0] == "Farm task failed" and recorder.told[1][1].startswith(task)


def test_the_settings_page_chooses_the_notices(qtbot, tmp_path):
    store = QSettings(str(tmp_path / "monitor.ini"), QSettings.Format.IniFormat)
    assert load_settings(store).notices == set(NOTICES)  # all of them at first
    dialog = SettingsDialog(load_settings(store), store=store)
    qtbot.addWidget(dialog)
    assert dialog.pages.tabText(1) == "Notifications"
    dialog.notices["job_done"].setChecked(False)
    dialog.notices["render_offline"].setChecked(False)
    dialog.accept()
    assert load_settings(store).notices == set(NOTICES) - {"job_done", "render_offline"}
    store.setValue("notices", "job_failing,no_such_kind")
    assert load_settings(store).notices == {"job_failing"}


def test_without_a_notification_service_or_tray_nothing_is_shown(qapp, monkeypatch):
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
    notifier = DesktopNotifier()
    assert notifier.channel == "none"
    notifier.notify("Job", "done")  # nothing to show it: no error either


# Run inside a private D-Bus session: a stand-in owns the notification service's name,
# dbus-monitor records the calls made to it, and the notifier tells one notice.
ON_A_SESSION_BUS = """
import subprocess, sys, time
from PyQt6.QtCore import QTimer
from PyQt6.QtDBus import QDBusConnection
from PyQt6.QtWidgets import QApplication
from app.ui.notifier import SERVICE, DesktopNotifier

app = QApplication([])
owner = QDBusConnection.connectToBus(QDBusConnection.BusType.SessionBus, "stand-in")
assert owner.registerService(SERVICE)
monitor = subprocess.Popen(
    ["dbus-monitor", "--session", f"interface='{SERVICE}'"], stdout=subprocess.PIPE, text=True
)
time.sleep(0.5)
notifier = DesktopNotifier()
print("channel", notifier.channel)
notifier.notify("Job shot", "Job 3 is done")
QTimer.singleShot(500, app.quit)
app.exec()
monitor.terminate()
print(monitor.communicate()[0])
"""


@pytest.mark.skipif(not shutil.which("dbus-run-session"), reason="needs dbus-run-session")
def test_the_freedesktop_service_is_called_with_its_signature(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run(
        ["dbus-run-session", "--", sys.executable, "-c", ON_A_SESSION_BUS],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
    )
    out = done.stdout
    assert done.returncode == 0, done.stderr
    assert "channel dbus" in out and "member=Notify" in out
    call = out[out.index("member=Notify") :].split("\n")[1:11]
    assert [line.strip() for line in call] == [
        'string "Corral"',
        "uint32 0",  # replaces_id: a D-Bus uint32, as the specification asks
        'string ""',
        'string "Job shot"',
        'string "Job 3 is done"',
        "array [",
        "]",
        "array [",
        "]",
        "int32 8000",
    ]
