"""The monitor's settings: server, user, refresh options, the theme (light or dark, applied
when the dialog is accepted) and the notices to show, kept with QSettings; and the token.

The token is never written to the settings file: the dialog saves it in the OS keyring through
app/credentials.py (where the monitor finds it at start), and the running monitor uses it at once.
With no usable keyring the dialog says why and the token serves this session only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PyQt6.QtCore import QSettings, pyqtSignal
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.api import DEFAULT_SERVER
from app.credentials import CredentialsError, save_token
from app.ui.notices import NOTICES
from app.ui.theme import THEMES


def qsettings() -> QSettings:
    """The settings file (an INI file in the user's config directory)."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "Corral", "monitor")


@dataclass
class Settings:
    server: str = DEFAULT_SERVER
    user: str = ""
    resort_ms: int = 500  # at most one re-sort of the jobs per interval while events arrive
    notices: set[str] = field(default_factory=lambda: set(NOTICES))  # the kinds to be told
    theme: str = "light"  # app/ui/theme.py THEMES


def load_settings(store: QSettings | None = None) -> Settings:
    store = store or qsettings()
    default = Settings()
    return Settings(
        server=str(store.value("server", default.server)),
        user=str(store.value("user", default.user)),
        resort_ms=int(store.value("resort_ms", default.resort_ms)),
        notices=_notices(store.value("notices", ",".join(sorted(default.notices)))),
        theme=_theme(store.value("theme", default.theme)),
    )


def _theme(name: object) -> str:
    """A theme of THEMES (another value: light)."""
    return name if name in THEMES else THEMES[0]


def _notices(text: object) -> set[str]:
    """The notice kinds of the settings file's comma list (unknown ones dropped)."""
    names = text if isinstance(text, list) else str(text or "").split(",")
    return {name.strip() for name in names} & NOTICES.keys()


def save_settings(settings: Settings, store: QSettings | None = None) -> None:
    store = store or qsettings()
    store.setValue("server", settings.server)
    store.setValue("user", settings.user)
    store.setValue("resort_ms", settings.resort_ms)
    store.setValue("notices", ",".join(sorted(settings.notices)))
    store.setValue("theme", settings.theme)
    store.sync()


class SettingsDialog(QDialog):
    """Edit the settings; OK saves them (the server and user apply at the next start). A changed
    token goes to the OS keyring for the server, and `token_changed` hands it to the running
    monitor; when the keyring refuses it, the dialog stays open showing why (OK again closes)."""

    token_changed = pyqtSignal(str)

    def __init__(
        self,
        settings: Settings,
        token: str = "",
        store: QSettings | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.settings = settings
        self._store = store
        self._token = token  # the token in use; a different one is saved and handed on
        self.server = QLineEdit(settings.server)
        self.user = QLineEdit(settings.user)
        self.token = QLineEdit(token)
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.resort = QSpinBox(suffix=" ms")
        self.resort.setRange(0, 60_000)
        self.resort.setSingleStep(250)
        self.resort.setValue(settings.resort_ms)
        form = QFormLayout()
        form.addRow("Server", self.server)
        form.addRow("User", self.user)
        form.addRow("Token", self.token)
        form.addRow("Re-sort jobs at most every", self.resort)
        self.theme = QComboBox()
        self.theme.addItems(THEMES)
        self.theme.setCurrentText(settings.theme)
        form.addRow("Theme", self.theme)
        self.notices = {kind: QCheckBox(label) for kind, label in NOTICES.items()}
        told = QVBoxLayout()
        told.addWidget(QLabel("Tell me on the desktop when:"))
        for kind, box in self.notices.items():
            box.setChecked(kind in settings.notices)
            told.addWidget(box)
        told.addStretch(1)
        self.pages = QTabWidget()
        self.pages.addTab(_page(form), "Connection")
        self.pages.addTab(_page(told), "Notifications")
        self.warning = QLabel(wordWrap=True)
        self.warning.setStyleSheet("color: #c08000")
        self.warning.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)
        layout.addWidget(self.warning)
        layout.addWidget(
            QLabel("The server and user apply at the next start; the token applies now.")
        )
        layout.addWidget(buttons)

    def accept(self) -> None:
        self.settings.server = (self.server.text().strip() or DEFAULT_SERVER).rstrip("/")
        self.settings.user = self.user.text().strip()
        self.settings.resort_ms = self.resort.value()
        self.settings.theme = self.theme.currentText()
        self.settings.notices = {kind for kind, box in self.notices.items() if box.isChecked()}
        save_settings(self.settings, self._store)
        token = self.token.text().strip()
        if token != self._token:
            self._token = token
            self.token_changed.emit(token)
            try:
                save_token(self.settings.server, token)
            except CredentialsError as exc:
                self.warning.setText(f"{exc}. The token serves this session only.")
                self.warning.show()
                return
        super().accept()


def _page(layout) -> QWidget:
    page = QWidget()
    page.setLayout(layout)
    return page
