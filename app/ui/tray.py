"""`corral tray`: the workstation's render client with a tray icon for its NIMBY controls.

`TrayController` holds everything but the tray icon itself, so it runs (and is tested) where no
system tray exists: it runs a `RenderAgent` on the qasync loop, follows its render's state
through the client's `renders_changed` (free, busy, nimby, NIMBY, offline), draws the icon of
that state and owns the menu: free / nimby / NIMBY, eject my tasks, open monitor, show current
task output, start with the session (an XDG autostart entry) and quit. With a NoticeFilter it
tells when a farm task starts on this workstation, and when one ended here failed.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

from PyQt6.QtCore import QObject, Qt, pyqtSignal
from PyQt6.QtGui import QAction, QActionGroup, QColor, QIcon, QPainter, QPixmap
from PyQt6.QtWidgets import QMenu, QSystemTrayIcon, QWidget

from app.platform import autostart_entry, autostart_file
from app.protocol import RUN_ERROR
from app.render.agent import RenderAgent
from app.render.config import RenderConfig
from app.ui.client import FarmClient
from app.ui.notices import NoticeFilter
from app.ui.renders_model import TaskKey, running_tasks

log = logging.getLogger(__name__)
STATE_COLOURS = {
    "free": "#4c9f5a",
    "busy": "#3a7dd8",
    "nimby": "#e6c42a",
    "NIMBY": "#d6453f",
    "offline": "#8a8a8a",
}
NIMBY_CHOICES = (("Free", "free"), ("nimby: only my jobs", "nimby"), ("NIMBY: no jobs", "NIMBY"))


def state_icon(state: str, size: int = 64) -> QIcon:
    """A filled circle in the state's colour."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QColor(40, 40, 40))
    painter.setBrush(QColor(STATE_COLOURS[state]))
    painter.drawEllipse(4, 4, size - 8, size - 8)
    painter.end()
    return QIcon(pixmap)


def render_state(render: dict) -> str:
    if not render.get("online"):
        return "offline"
    if render.get("nimby") in ("nimby", "NIMBY"):
        return render["nimby"]
    return "busy" if render.get("tasks") else "free"


def task_name(key: TaskKey) -> str:
    return f"job {key[0]} block {key[1]} task {key[2]}"


class TrayController(QObject):
    """The tray's logic: the in-process render agent, its state, icon and menu."""

    state_changed = pyqtSignal(str)
    quit_requested = pyqtSignal()

    def __init__(
        self,
        client: FarmClient,
        config: RenderConfig,
        user: str = "",
        autostart_path: Path | None = None,
        window: QWidget | None = None,
        notices: NoticeFilter | None = None,
    ) -> None:
        """``autostart_path``: the session's autostart entry (None: app/platform.py's);
        ``window``: the monitor window "Open monitor" brings back (None: a new one);
        ``notices``: where the tray's notices go (None: none)."""
        super().__init__()
        self.client = client
        self.notices = notices
        self.config = config
        self.user = user
        self.autostart_path = autostart_path or autostart_file()
        self.window = window
        self.state = "offline"
        self.render: dict = {}
        self.windows: list[QWidget] = []
        self._agent: asyncio.Task | None = None
        self.failure = ""  # why the render stopped by itself (e.g. its name is taken)
        self.menu = QMenu()
        self.menu.setTitle(f"Corral: {config.name}")
        self.nimby_actions: dict[str, QAction] = {}
        group = QActionGroup(self.menu)
        for label, value in NIMBY_CHOICES:
            action = self.menu.addAction(label, lambda v=value: self.set_nimby(v))
            action.setCheckable(True)
            group.addAction(action)
            self.nimby_actions[value] = action
        self.menu.addSeparator()
        self.menu.addAction("Eject my tasks", self.eject)
        self.menu.addAction("Open monitor", self.open_monitor)
        self.output_action = self.menu.addAction("Show current task output", self.show_output)
        self.menu.addSeparator()
        self.autostart_action = self.menu.addAction("Start with my session")
        self.autostart_action.setCheckable(True)
        self.autostart_action.setChecked(self.autostart_path.exists())
        self.autostart_action.toggled.connect(self.set_autostart)
        self.menu.addAction("Quit", self.quit_requested.emit)
        self.icon = state_icon("offline")
        client.renders_changed.connect(self._on_renders)
        client.state_changed.connect(self._on_connection)
        self._show_state()

    # -- the render agent ------------------------------------------------------------------------

    def start(self) -> None:
        """Run the render agent on the running loop."""
        self._agent = asyncio.ensure_future(RenderAgent(self.config).run())
        self._agent.add_done_callback(self._agent_ended)

    def _agent_ended(self, agent: asyncio.Task) -> None:
        """The render stopped by itself (refused for good, or told to exit): the tray quits."""
        if agent.cancelled():
            return
        error = agent.exception()
        if error is not None:
            self.failure = str(error)
            log.error("the render stopped: %s", error)
        self.quit_requested.emit()

    async def stop(self) -> None:
        """Stop the agent (its tasks go back to the farm) and wait for it."""
        if self._agent is not None:
            self._agent.cancel()
            await asyncio.gather(self._agent, return_exceptions=True)
            self._agent = None
        for window in list(self.windows):
            window.close()

    # -- menu actions --------------------------------------------------------------------------

    def action(self, name: str) -> QAction:
        """The menu action labelled name."""
        return next(a for a in self.menu.actions() if a.text() == name)

    def set_nimby(self, value: str) -> None:
        self.client.call(self.client.renders_action(value, [self.config.name]))

    def eject(self) -> None:
        self.client.call(self.client.renders_action("eject", [self.config.name]))

    def open_monitor(self) -> None:
        if self.window is not None:
            self.window.show()
            self.window.raise_()
            self.window.activateWindow()
            return
        from app.ui.main_window import MainWindow

        self._open(MainWindow(self.client, farm_notices=self.notices is None))

    def show_output(self) -> None:
        tasks = self.render.get("tasks") or []
        if tasks:
            from app.ui.output_window import OutputWindow

            task = tasks[0]
            self._open(OutputWindow(self.client, task["job"], task["block"], task["task"]))

    def set_autostart(self, on: bool) -> None:
        if on:
            self.autostart_path.parent.mkdir(parents=True, exist_ok=True)
            self.autostart_path.write_text(autostart_entry(self.config.server_url))
        else:
            self.autostart_path.unlink(missing_ok=True)

    def _open(self, window: QWidget) -> None:
        self.windows.append(window)
        window.destroyed.connect(lambda: self.windows.remove(window))
        window.show()

    # -- state ---------------------------------------------------------------------------------

    def _on_renders(self, renders: list[dict]) -> None:
        for render in renders:
            if render.get("name") == self.config.name:
                first = not self.render
                self._tell_tasks(running_tasks(self.render), running_tasks(render))
                self.render = render
                if first and self.user and render.get("user_name") != self.user:
                    self.client.call(
                        self.client.edit_render(self.config.name, {"user_name": self.user})
                    )
                self._show_state()

    def _tell_tasks(self, before: list[TaskKey], now: list[TaskKey]) -> None:
        """Notices of the farm tasks started here, and of those ended here that failed."""
        if self.notices is None:
            return
        for key in now:
            if key not in before:
                self.notices.tell("task_started_here", "Farm task started", task_name(key))
        for key in before:
            if key not in now:
                self.client.call(self.client.task(*key), lambda task, k=key: self._ended(k, task))

    def _ended(self, key: TaskKey, task: dict) -> None:
        mine = [run for run in task.get("runs", ()) if run.get("render") == self.config.name]
        if mine and mine[-1]["state"] == RUN_ERROR:
            error = mine[-1].get("error") or "failed"
            self.notices.tell("task_failed_here", "Farm task failed", f"{task_name(key)}: {error}")

    def _on_connection(self, connection: str) -> None:
        if connection != "online":
            self.render = {}
        self._show_state()

    def _show_state(self) -> None:
        state = render_state(self.render) if self.render else "offline"
        self.nimby_actions[self.render.get("nimby", "free")].setChecked(True)
        self.output_action.setEnabled(bool(self.render.get("tasks")))
        if state != self.state:
            self.state = state
            self.icon = state_icon(state)
            self.state_changed.emit(state)


def show_tray(
    controller: TrayController, tray: QSystemTrayIcon | None = None
) -> QSystemTrayIcon | None:
    """The controller's tray icon (``tray``, or a new one), shown and following its state; None
    where the desktop has no system tray."""
    if not QSystemTrayIcon.isSystemTrayAvailable():
        return None
    name = controller.config.name
    tray = tray or QSystemTrayIcon()
    tray.setIcon(controller.icon)
    tray.setContextMenu(controller.menu)
    tray.setToolTip(f"Corral render {name}: {controller.state}")

    def show(state: str) -> None:
        tray.setIcon(controller.icon)
        tray.setToolTip(f"Corral render {name}: {state}")

    controller.state_changed.connect(show)
    tray.show()
    return tray


def run_tray(
    config: RenderConfig, user: str = "", token: str | None = None, ca_file: str | None = None
) -> int:
    """The tray and its render (``config``) until Quit (or SIGINT/SIGTERM); the menu's requests
    carry ``token`` (else the one app/credentials.py finds)."""
    from app.ui.app import farm_client, run_qt
    from app.ui.notices import FarmNotices
    from app.ui.notifier import DesktopNotifier
    from app.ui.settings import load_settings

    server_url = config.server_url

    async def main(stop: asyncio.Event) -> int:
        client, problem = farm_client(server_url, user, token, ca_file)
        if problem:
            log.warning("%s", problem)
        await client.start()
        tray = QSystemTrayIcon() if QSystemTrayIcon.isSystemTrayAvailable() else None
        settings = load_settings()
        notices = NoticeFilter(DesktopNotifier(tray), settings.notices)
        controller = TrayController(client, config, user, notices=notices)
        FarmNotices(client, user or settings.user, notices)
        controller.quit_requested.connect(stop.set)
        if show_tray(controller, tray) is None:  # no tray (a bare X server, offscreen):
            controller.menu.show()  # the menu as a window
        controller.start()
        try:
            await stop.wait()
        finally:
            if tray is not None:
                tray.hide()
            await controller.stop()
            await client.close()
        if controller.failure:
            print(f"corral: the render stopped: {controller.failure}", file=sys.stderr)
            return 1
        return 0

    return run_qt(main)
