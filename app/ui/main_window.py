"""The monitor's main window: Jobs, Renders, Users and Pools tabs, connection state, menus.

The Jobs tab is the jobs tree on top and, below it, the selected block's tasks (a selected job's
first block's) beside the "why is this not running" panel of the selected job. The window
remembers its layout (app/ui/layout_memory.py) in the settings file, and every table's header
has a right-click column chooser.
"""

from __future__ import annotations

from PyQt6.QtCore import QSettings, Qt, pyqtSignal
from PyQt6.QtGui import QAction, QCloseEvent, QKeySequence, QShowEvent
from PyQt6.QtWidgets import QHeaderView, QLabel, QMainWindow, QSplitter, QTabWidget, QWidget

from app.ui.client import FarmClient
from app.ui.column_chooser import add_column_chooser
from app.ui.jobs_view import JobsView
from app.ui.layout_memory import GROUP as LAYOUT_GROUP
from app.ui.layout_memory import restore_layout, save_layout
from app.ui.notices import FarmNotices, NoticeFilter, Notifier
from app.ui.notifier import DesktopNotifier
from app.ui.permissions import Me
from app.ui.pools_view import PoolsView
from app.ui.renders_view import RendersView
from app.ui.settings import Settings, SettingsDialog, qsettings
from app.ui.submit_dialog import SubmitDialog
from app.ui.tasks_view import TasksView
from app.ui.theme import apply_theme
from app.ui.users_view import UsersView
from app.ui.why_panel import WhyPanel

STATE_TEXT = {"online": "● online", "connecting": "○ connecting…", "offline": "✕ offline"}


class MainWindow(QMainWindow):
    """The monitor. `closed` fires when the window closes (the app then cleans up and ends).
    Notices (app/ui/notices.py) show in the status bar and through `notifier` (the desktop's by
    default); the layout is kept in `store` (the settings file by default)."""

    closed = pyqtSignal()

    def __init__(
        self,
        client: FarmClient,
        settings: Settings | None = None,
        parent: QWidget | None = None,
        notifier: Notifier | None = None,
        store: QSettings | None = None,
        farm_notices: bool = True,
    ) -> None:
        super().__init__(parent)
        self.client = client
        self.settings = settings or Settings(server=client.base_url, user=client.user)
        self.notifier = notifier or DesktopNotifier()
        self.notices = NoticeFilter(self, self.settings.notices)
        self.farm_notices = (  # the tray that opens a monitor tells them already
            FarmNotices(client, self.settings.user, self.notices) if farm_notices else None
        )
        self.setWindowTitle(f"Corral monitor — {client.base_url}")

        self.jobs = JobsView(client)
        self.jobs.model.set_resort_interval(self.settings.resort_ms)
        self.tasks = TasksView(client)
        self.why = WhyPanel(client)
        self.jobs.block_selected.connect(self.tasks.show_block)
        self.jobs.job_selected.connect(self.why.show_job)
        self.jobs.job_selected.connect(lambda job: self.tasks.show_block(job, 0))
        self.jobs.tasks_wanted.connect(self.open_tasks)
        self.below = below = QSplitter(Qt.Orientation.Horizontal)
        below.addWidget(self.tasks)
        below.addWidget(self.why)
        below.setSizes([700, 300])
        self.jobs_split = jobs_tab = QSplitter(Qt.Orientation.Vertical)
        jobs_tab.addWidget(self.jobs)
        jobs_tab.addWidget(below)
        jobs_tab.setSizes([500, 300])

        self.renders = RendersView(client)
        self.users = UsersView(client)
        self.pools = PoolsView(client)
        self.tabs = QTabWidget()
        self.tabs.addTab(jobs_tab, "Jobs")
        self.tabs.addTab(self.renders, "Renders")
        self.tabs.addTab(self.users, "Users")
        self.tabs.addTab(self.pools, "Pools")
        self.setCentralWidget(self.tabs)

        self.connection = QLabel()
        self.error = QLabel()
        self.error.setStyleSheet("color: #d03030")
        self.statusBar().addWidget(self.error, 1)
        self.statusBar().addPermanentWidget(self.connection)
        client.state_changed.connect(self._show_state)
        client.failed.connect(self._show_error)
        self._show_state(client.state)
        self._menus()
        self.resize(1400, 900)
        self.store = store if store is not None else qsettings()
        self.layout_parts: dict[str, object] = {
            "window": self,
            "splitters/jobs": self.jobs_split,
            "splitters/tasks": self.below,
            "splitters/pools": self.pools.splitter,
            "tables/jobs": self.jobs.table.horizontalHeader(),
            "tables/tasks": self.tasks.table.horizontalHeader(),
            "tables/renders": self.renders.table.horizontalHeader(),
            "tables/users": self.users.table.horizontalHeader(),
            "tables/pools": self.pools.tree.header(),
            "tables/pool_settings": self.pools.settings.horizontalHeader(),
            "filters/jobs": self.jobs,
            "filters/tasks": self.tasks,
            "filters/renders": self.renders,
            "filters/users": self.users,
            "filters/pools": self.pools,
            "tabs": self.tabs,
        }
        for part in self.layout_parts.values():
            if isinstance(part, QHeaderView):
                add_column_chooser(part)
        chosen = self.store.contains(f"{LAYOUT_GROUP}/filters/jobs")
        self._restored = False  # the layout is restored when the window first shows
        client.call(client.whoami(), lambda me: self._know_me(me, chosen))

    def _menus(self) -> None:
        file = self.menuBar().addMenu("&File")
        self.submit_action = self._action(file, "&Submit…", self.open_submit, "Ctrl+N")
        self._action(file, "Se&ttings…", self.open_settings, "Ctrl+,")
        file.addSeparator()
        self._action(file, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        view = self.menuBar().addMenu("&View")
        self._action(view, "&Refresh", self.refresh, QKeySequence.StandardKey.Refresh)

    def _action(self, menu, text: str, slot, shortcut) -> QAction:
        action = menu.addAction(text)
        action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        return action

    def _show_state(self, state: str) -> None:
        self.connection.setText(STATE_TEXT.get(state, state))
        if state == "online":
            self.error.clear()

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setToolTip(text)

    def _know_me(self, me: dict, chosen: bool) -> None:
        """Whose jobs are "mine": the token's user. An artist (not an admin) who never chose
        the filters sees their own jobs at first."""
        self.jobs.me = me["name"]
        who = Me(me["name"], me["role"])
        self.jobs.set_me(who)
        self.renders.set_me(who)
        if not chosen and me["role"] != "admin":
            self.jobs.mine.setChecked(True)
        self.jobs.refilter()

    def open_tasks(self, job: int, block: int) -> None:
        """The block's tasks, in the Jobs tab, with the keyboard's focus."""
        self.tabs.setCurrentIndex(0)
        if (self.tasks.model.job, self.tasks.model.block) != (job, block):
            self.tasks.show_block(job, block)
        self.tasks.table.setFocus()

    def notify(self, title: str, text: str) -> None:
        """A notice: in the status bar and on the desktop."""
        self.statusBar().showMessage(f"{title}: {text}", 10_000)
        self.notifier.notify(title, text)

    def refresh(self) -> None:
        """Fetch every list again (events keep them live; this is for the doubtful)."""
        self.jobs.model.reload()
        self.users.reload()
        self.pools.reload()
        self.why.refresh()

    def open_submit(self) -> SubmitDialog:
        dialog = SubmitDialog(self.client, self.settings.user, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.submitted.connect(
            lambda job_id: self.statusBar().showMessage(f"Job {job_id} submitted", 5000)
        )
        dialog.open()
        return dialog

    def open_settings(self) -> SettingsDialog:
        dialog = SettingsDialog(self.settings, self.client.token, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.token_changed.connect(self._use_token)
        dialog.accepted.connect(self._settings_changed)
        dialog.open()
        return dialog

    def _settings_changed(self) -> None:
        apply_theme(self.settings.theme)
        self.jobs.model.set_resort_interval(self.settings.resort_ms)
        self.notices.kinds = self.settings.notices

    def _use_token(self, token: str) -> None:
        """A token from the settings dialog, for this server: used from now on."""
        if self.settings.server == self.client.base_url:
            self.client.set_token(token)

    def showEvent(self, event: QShowEvent) -> None:
        """The first time: the saved layout, now that the window's layouts have sizes."""
        super().showEvent(event)
        if not self._restored:
            self._restored = True
            restore_layout(self.store, self.layout_parts)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._restored:
            save_layout(self.store, self.layout_parts)
        super().closeEvent(event)
        self.closed.emit()
