"""The monitor's light and dark themes: Qt's Fusion style with a palette of each; every view
takes its colours from the palette (state tints are translucent over it, graphs read it)."""

from __future__ import annotations

from PyQt6.QtGui import QColor, QPalette
from PyQt6.QtWidgets import QApplication

THEMES = ("light", "dark")
Role = QPalette.ColorRole
# dark: role -> colour; light is Fusion's own palette
DARK = {
    Role.Window: "#2b2b2e",
    Role.WindowText: "#e6e6e6",
    Role.Base: "#1f1f22",
    Role.AlternateBase: "#29292d",
    Role.ToolTipBase: "#3a3a3f",
    Role.ToolTipText: "#f0f0f0",
    Role.PlaceholderText: "#8a8a8a",
    Role.Text: "#e6e6e6",
    Role.Button: "#35353a",
    Role.ButtonText: "#e6e6e6",
    Role.BrightText: "#ff6060",
    Role.Link: "#6aa9ff",
    Role.Highlight: "#3d6fb6",
    Role.HighlightedText: "#ffffff",
    Role.Light: "#4a4a50",
    Role.Midlight: "#3f3f45",
    Role.Mid: "#2f2f33",
    Role.Dark: "#19191b",
    Role.Shadow: "#0a0a0a",
}
DISABLED_TEXT = "#7a7a7a"  # dark: text, button text and window text of disabled widgets


def palette(theme: str) -> QPalette:
    """The palette of a theme (an unknown name: light)."""
    app = QApplication.instance()
    light = app.style().standardPalette() if app is not None else QPalette()
    if theme != "dark":
        return light
    dark = QPalette(light)
    for role, colour in DARK.items():
        dark.setColor(role, QColor(colour))
    for role in (Role.Text, Role.ButtonText, Role.WindowText):
        dark.setColor(QPalette.ColorGroup.Disabled, role, QColor(DISABLED_TEXT))
    return dark


def apply_theme(theme: str) -> None:
    """Use the theme in the whole application (Fusion draws every platform alike)."""
    app = QApplication.instance()
    app.setStyle("Fusion")
    app.setPalette(palette(theme))
