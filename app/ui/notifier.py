"""Desktop notifications: the freedesktop notification service over D-Bus when the session has
one (Linux desktops), else the tray icon's message (QSystemTrayIcon.showMessage), else none.

The service's `Notify` call takes (app name, replaces id: uint32, icon, summary, body, actions,
hints, timeout ms): the id is sent as a D-Bus uint32 and the hints as an empty map (a{sv}), as the
specification asks.
"""

from __future__ import annotations

from PyQt6.QtCore import QMetaType
from PyQt6.QtWidgets import QSystemTrayIcon

SERVICE = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
TIMEOUT_MS = 8000


def _bus_interface():
    """The notification service's interface on the session bus, None when there is none."""
    try:
        from PyQt6.QtDBus import QDBusConnection, QDBusInterface
    except ImportError:  # a Qt without D-Bus (Windows, macOS)
        return None
    bus = QDBusConnection.sessionBus()
    if not bus.isConnected() or not bus.interface().isServiceRegistered(SERVICE).value():
        return None
    interface = QDBusInterface(SERVICE, PATH, SERVICE, bus)
    return interface if interface.isValid() else None


class DesktopNotifier:
    """Shows a notice on the desktop; `channel` says how ("dbus", "tray" or "none")."""

    def __init__(self, tray: QSystemTrayIcon | None = None) -> None:
        self.tray = tray
        self._bus = _bus_interface()

    @property
    def channel(self) -> str:
        if self._bus is not None:
            return "dbus"
        return "tray" if self.tray is not None and self.tray.isVisible() else "none"

    def notify(self, title: str, text: str) -> None:
        channel = self.channel
        if channel == "dbus":
            from PyQt6.QtDBus import QDBusArgument

            replaces = QDBusArgument()
            replaces.add(0, QMetaType.Type.UInt.value)
            actions = QDBusArgument()
            actions.add([], QMetaType.Type.QStringList.value)
            self._bus.asyncCall(
                "Notify", "Corral", replaces, "", title, text, actions, {}, TIMEOUT_MS
            )
        elif channel == "tray":
            self.tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information)
