"""The monitor's settings: server, user, token and refresh options, kept with QSettings.

The token never goes into the settings file when a keyring is there: `TokenStore` is the one
place that reads and writes it. It uses `keyring` when the package imports and has a working
backend, and falls back to QSettings (plain text, shown as a warning in the dialog) otherwise.
The security issue replaces only TokenStore.
"""

from __future__ import annotations

from dataclasses import dataclass

from PyQt6.QtCore import QSettings
from PyQt6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.api import DEFAULT_SERVER

KEYRING_SERVICE = "corral"


def qsettings() -> QSettings:
    """The settings file (an INI file in the user's config directory)."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "Corral", "monitor")


@dataclass
class Settings:
    server: str = DEFAULT_SERVER
    user: str = ""
    resort_ms: int = 500  # at most one re-sort of the jobs per interval while events arrive


def load_settings(store: QSettings | None = None) -> Settings:
    store = store or qsettings()
    default = Settings()
    return Settings(
        server=str(store.value("server", default.server)),
        user=str(store.value("user", default.user)),
        resort_ms=int(store.value("resort_ms", default.resort_ms)),
    )


def save_settings(settings: Settings, store: QSettings | None = None) -> None:
    store = store or qsettings()
    store.setValue("server", settings.server)
    store.setValue("user", settings.user)
    store.setValue("resort_ms", settings.resort_ms)
    store.sync()


class TokenStore:
    """A person's API token per server: in the OS keyring, else (with `secure` False) in the
    settings file."""

    def __init__(self, store: QSettings | None = None) -> None:
        self._store = store or qsettings()
        try:
            import keyring
            import keyring.errors
        except ImportError:
            self._keyring = None
        else:
            self._keyring = keyring
            self._keyring_error = keyring.errors.KeyringError

    @property
    def secure(self) -> bool:
        return self._keyring is not None

    def get(self, server: str) -> str:
        if self._keyring is not None:
            try:
                return self._keyring.get_password(KEYRING_SERVICE, server) or ""
            except self._keyring_error:
                self._keyring = None
        return str(self._store.value(f"tokens/{server}", ""))

    def set(self, server: str, token: str) -> None:
        if self._keyring is not None:
            try:
                self._keyring.set_password(KEYRING_SERVICE, server, token)
                return
            except self._keyring_error:
                self._keyring = None
        self._store.setValue(f"tokens/{server}", token)
        self._store.sync()


class SettingsDialog(QDialog):
    """Edit the settings; OK saves them (the server and user apply at the next start)."""

    def __init__(
        self,
        settings: Settings,
        tokens: TokenStore | None = None,
        store: QSettings | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.settings = settings
        self.tokens = tokens or TokenStore(store)
        self._store = store
        self.server = QLineEdit(settings.server)
        self.user = QLineEdit(settings.user)
        self.token = QLineEdit(self.tokens.get(settings.server))
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
        self.warning = QLabel(
            "No keyring available: the token is stored in plain text in the settings file.",
            wordWrap=True,
        )
        self.warning.setStyleSheet("color: #c08000")
        self.warning.setVisible(not self.tokens.secure)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.warning)
        layout.addWidget(QLabel("The server, user and token apply at the next start."))
        layout.addWidget(buttons)

    def accept(self) -> None:
        self.settings.server = self.server.text().strip() or DEFAULT_SERVER
        self.settings.user = self.user.text().strip()
        self.settings.resort_ms = self.resort.value()
        save_settings(self.settings, self._store)
        self.tokens.set(self.settings.server, self.token.text())
        super().accept()
