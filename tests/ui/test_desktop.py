"""The desktop all-in-one: `corral up --desktop` (offscreen) runs the server, the render, the
monitor window and the tray in this process; a job runs to DONE; closing the window asks, keeps
the farm running in the tray, the tray brings the window back, and Quit ends it all cleanly."""

from __future__ import annotations

import asyncio
import socket

import pytest
from PyQt6 import sip
from PyQt6.QtCore import QSettings, QTimer
from PyQt6.QtWidgets import QApplication

from app import cli
from app.api import numeric_job
from app.cli import modes
from app.cli.modes import has_display
from app.ui.desktop import KEEP, QUIT, DesktopWindow
from app.ui.main_window import MainWindow
from bench.local_farm import free_port
from tests.polling import until

pytestmark = pytest.mark.usefixtures("keep_running", "no_windows_left")


@pytest.fixture
def no_windows_left():
    """The windows a farm of a test left (hidden) are deleted: another test looking for its
    monitor among the top-level widgets must not find this farm's."""
    yield
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, MainWindow) and not sip.isdeleted(widget):
            sip.delete(widget)


def _click(window: DesktopWindow, text: str) -> None:
    box = window.question
    assert box is not None and box.isVisible()
    next(b for b in box.buttons() if b.text() == text).click()


def _window() -> DesktopWindow | None:
    shown = (w for w in QApplication.topLevelWidgets() if isinstance(w, DesktopWindow))
    return next((w for w in shown if w.isVisible()), None)


def test_corral_up_desktop_runs_a_job_keeps_running_in_the_tray_and_quits(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home"))  # the render's token file
    port = free_port()
    seen: dict = {}
    failures: list[BaseException] = []

    async def drive() -> None:
        window = await until(_window, 30)
        try:
            client = window.client
            await until(lambda: client.state == "online")
            job = numeric_job("desk", "echo frame @#@", 1, 10, user_name="ann")
            job_id = await client.submit(job)
            await until(lambda: (window.jobs.model.job(job_id) or {}).get("state") == "DON", 60)
            seen["renders"] = [r["name"] for r in await client.renders() if r["online"]]

            window.close()  # asks instead of closing
            assert window.isVisible()
            _click(window, KEEP)
            assert not window.isVisible()
            await asyncio.sleep(0.3)
            seen["kept"] = (await client.job(job_id))["state"]  # the server still answers
            menu = next(w for w in QApplication.topLevelWidgets() if w.isVisible())
            next(a for a in menu.actions() if a.text() == "Open monitor").trigger()
            assert window.isVisible()

            window.close()
            _click(window, QUIT)
        except BaseException as exc:
            failures.append(exc)
            window.quit_requested.emit()

    QTimer.singleShot(0, lambda: asyncio.ensure_future(drive()))
    code = cli.main(["up", "--desktop", "--port", str(port), "--data", str(tmp_path / "data")])

    if failures:
        raise failures[0]
    assert code == 0, capsys.readouterr().err
    assert seen == {"renders": [socket.gethostname()], "kept": "DON"}
    assert "Corral is up at" in capsys.readouterr().out
    with pytest.raises(OSError):  # the server stopped with the window
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    assert _window() is None


def test_started_again_while_its_farm_runs_it_opens_that_farm_s_monitor(own_server, tmp_path):
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))
    seen = []

    def close_when_shown() -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, MainWindow) and widget.client.state == "online":
                seen.append(widget.client.base_url)
                widget.close()
                return
        QTimer.singleShot(50, close_when_shown)

    QTimer.singleShot(50, close_when_shown)
    args = ["up", "--desktop", "--port", str(own_server.port), "--data", str(own_server.data)]
    assert cli.main(args) == 0
    assert seen == [own_server.url]


@pytest.mark.parametrize(
    ("environ", "platform", "expected"),
    [
        ({}, "linux", False),
        ({"DISPLAY": ":0"}, "linux", True),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", True),
        ({"DISPLAY": ""}, "linux", False),
        ({}, "win32", True),
        ({}, "darwin", True),
    ],
)
def test_has_display(environ, platform, expected):
    assert has_display(environ, platform) is expected


def test_no_arguments_are_up_with_a_display_and_the_usage_without(monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(modes, "cmd_up", lambda args: calls.append(args.desktop) or 0)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DISPLAY", ":0")
    assert cli.main([]) == 0
    monkeypatch.delenv("DISPLAY")
    assert cli.main([]) == 2
    assert calls == [None]
    assert "required: VERB" in capsys.readouterr().err
