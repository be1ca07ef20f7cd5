"""The light/dark switch: chosen in the settings dialog, kept in the settings file, applied to
the whole monitor at once; an unknown theme in the file reads as light."""

from PyQt6.QtCore import QSettings
from PyQt6.QtGui import QPalette
from PyQt6.QtWidgets import QApplication

from app.ui.main_window import MainWindow
from app.ui.settings import load_settings
from app.ui.theme import apply_theme
from tests.polling import until
from tests.ui.conftest import shown

BASE = QPalette.ColorRole.Base


async def test_the_theme_switch_applies_at_once_and_is_kept(client, qtbot, tmp_path):
    store = QSettings(str(tmp_path / "monitor.ini"), QSettings.Format.IniFormat)
    window = shown(qtbot, MainWindow(client, store=store, farm_notices=False))
    try:
        dialog = window.open_settings()
        dialog._store = store
        assert dialog.theme.currentText() == "light"
        dialog.theme.setCurrentText("dark")
        dialog.accept()
        assert QApplication.palette().color(BASE).lightness() < 60
        await until(lambda: window.jobs.table.palette().color(BASE).lightness() < 60)
        assert load_settings(store).theme == "dark"
        store.setValue("theme", "purple")
        assert load_settings(store).theme == "light"
    finally:
        apply_theme("light")
    assert QApplication.palette().color(BASE).lightness() > 200
