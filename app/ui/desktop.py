"""The desktop all-in-one (`corral up` with a display): the monitor window and the tray of a
farm whose server and render run in this process.

`Desktop` puts together the monitor (`DesktopWindow`) and the tray (`TrayController`, which
runs the local render on the loop): closing the window asks whether to keep the farm running
in the tray (the window hides; the tray's "Open monitor" brings it back) or to quit; the tray's
Quit quits at once. Either way `quit_requested` fires and the caller stops the render, then the
server. Where the desktop has no system tray (a bare X server, offscreen), the tray's menu
stands in for it as a small window while the monitor is hidden, as in `corral tray`.
"""

from __future__ import annotations

from PyQt6.QtCore import QObject, pyqtSignal
from PyQt6.QtGui import QCloseEvent
from PyQt6.QtWidgets import QAbstractButton, QMessageBox

from app.render.config import RenderConfig
from app.ui.client import FarmClient
from app.ui.main_window import MainWindow
from app.ui.tray import TrayController, show_tray

KEEP = "Keep running in the tray"
QUIT = "Quit"


class DesktopWindow(MainWindow):
    """The monitor of the all-in-one: closing it asks (`question`) instead of closing."""

    keep_requested = pyqtSignal()
    quit_requested = pyqtSignal()

    def __init__(self, client: FarmClient) -> None:
        super().__init__(client)
        self.question: QMessageBox | None = None
        self.setWindowTitle(f"Corral — this machine's farm ({client.base_url})")

    def closeEvent(self, event: QCloseEvent) -> None:
        event.ignore()
        self.ask()

    def ask(self) -> QMessageBox:
        """The close question, open (not modal to the loop: its answer arrives as a signal)."""
        if self.question is not None:
            return self.question
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Close Corral")
        box.setText("Keep the farm running in the tray?")
        box.setInformativeText(
            "The server and this machine's render keep working; the tray's Open monitor "
            "brings this window back. Quit stops them (running tasks return to the queue)."
        )
        box.addButton(KEEP, QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QUIT, QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.buttonClicked.connect(self._answered)
        self.question = box
        box.open()
        return box

    def _answered(self, button: QAbstractButton) -> None:
        self.question = None
        if button.text() == KEEP:
            self.hide()
            self.keep_requested.emit()
        elif button.text() == QUIT:
            self.quit_requested.emit()


class Desktop(QObject):
    """The window and the tray of the all-in-one; `quit_requested` when either asks to quit."""

    quit_requested = pyqtSignal()

    def __init__(self, client: FarmClient, config: RenderConfig) -> None:
        super().__init__()
        self.window = DesktopWindow(client)
        self.tray = TrayController(client, config, window=self.window)
        self.icon = show_tray(self.tray)
        self.window.quit_requested.connect(self.quit_requested)
        self.tray.quit_requested.connect(self.quit_requested)
        if self.icon is None:  # no tray to keep running in: its menu stands in for it
            self.window.keep_requested.connect(self.tray.menu.show)

    def start(self) -> None:
        """Show the window and run the render."""
        self.window.show()
        self.tray.start()

    async def stop(self) -> None:
        """Stop the render (its tasks go back to the queue) and close the window and tray."""
        await self.tray.stop()
        if self.icon is not None:
            self.icon.hide()
        self.tray.menu.hide()
        self.window.hide()
