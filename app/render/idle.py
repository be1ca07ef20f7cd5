"""How long the workstation's interactive user has not touched keyboard or mouse (for NIMBY).

`idle_seconds()` answers the seconds since the user's last input, or None when this host cannot
tell ("unknown": a headless render node, a service without a desktop session, an unsupported
platform). It never raises. The render sends it as the heartbeat resource ``idle_seconds``
(left out when None) and the server's render states automation (`app/core/auto_nimby.py`)
compares it with the pool's ``idle_user_time``.

Sources, first that answers wins:

- ``CORRAL_IDLE_SECONDS_FILE``: when this environment variable names a file, its content (a
  number of seconds, e.g. ``42.5``) is the answer, and nothing else is asked; an unreadable file
  or one that does not hold a finite number >= 0 means unknown. For tests, and for studios with
  their own idle source (a login script or a desktop agent writing the file).
- Windows: ``GetLastInputInfo`` (user32) against ``GetTickCount`` (kernel32), through ctypes.
- macOS: ``ioreg -c IOHIDSystem``, whose ``"HIDIdleTime" = <nanoseconds>`` line is parsed.
- Other POSIX systems (Linux, BSD):
  - X11, when ``DISPLAY`` is set: the MIT-SCREEN-SAVER extension through ctypes
    (``XScreenSaverQueryInfo`` from libXss), else the ``xprintidle`` program (milliseconds);
  - GNOME (Wayland or X11): Mutter's ``org.gnome.Mutter.IdleMonitor`` over the session D-Bus,
    with ``gdbus call`` (``GetIdletime`` answers ``(uint64 <milliseconds>,)``).

A program that hangs is given :data:`COMMAND_TIMEOUT` seconds. Call this off the event loop
(``asyncio.to_thread``): the programs are quick but not free.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import math
import os
import re
import shutil
import subprocess

from app.platform import host_os

log = logging.getLogger("corral.render.idle")

ENV_FILE = "CORRAL_IDLE_SECONDS_FILE"
COMMAND_TIMEOUT = 2.0
MAX_FILE_BYTES = 256

GDBUS_ARGS = (
    "call",
    "--session",
    "--dest",
    "org.gnome.Mutter.IdleMonitor",
    "--object-path",
    "/org/gnome/Mutter/IdleMonitor/Core",
    "--method",
    "org.gnome.Mutter.IdleMonitor.GetIdletime",
)
IOREG_ARGS = ("-c", "IOHIDSystem")

_HID_IDLE = re.compile(r'"HIDIdleTime"\s*=\s*(\d+)')
_GDBUS_UINT = re.compile(r"^\(\s*(?:uint64\s+)?(\d+)\s*,?\s*\)$")


def idle_seconds() -> float | None:
    """Seconds since the interactive user's last input; None when unknown. Never raises."""
    try:
        return _idle_seconds()
    except Exception:  # an idle figure is a nicety: never let it break a heartbeat
        log.debug("idle time detection failed", exc_info=True)
        return None


def _idle_seconds() -> float | None:
    path = os.environ.get(ENV_FILE)
    if path:
        return read_idle_file(path)
    family = host_os()
    if family == "windows":
        return _windows_idle()
    if family == "macos":
        return parse_ioreg(_run("ioreg", IOREG_ARGS))
    if os.environ.get("DISPLAY"):
        seconds = _xss_idle()
        if seconds is None:
            seconds = parse_milliseconds(_run("xprintidle", ()))
        if seconds is not None:
            return seconds
    return parse_gdbus(_run("gdbus", GDBUS_ARGS))


# --------------------------------------------------------------------------------------------
# Parsers (pure; None for anything unexpected)


def _seconds(value: float) -> float | None:
    return float(value) if math.isfinite(value) and value >= 0 else None


def read_idle_file(path: str) -> float | None:
    """The seconds a ``CORRAL_IDLE_SECONDS_FILE`` holds; None if unreadable or not a number."""
    try:
        with open(path, "rb") as f:
            text = f.read(MAX_FILE_BYTES).decode("utf-8", "replace").strip()
        return _seconds(float(text))
    except (OSError, ValueError):
        return None


def parse_milliseconds(text: str | None) -> float | None:
    """``xprintidle``'s output: a number of milliseconds."""
    if text is None:
        return None
    try:
        return _seconds(int(text.strip()) / 1000)
    except ValueError:
        return None


def parse_gdbus(text: str | None) -> float | None:
    """``gdbus call ... GetIdletime`` output, ``(uint64 12345,)``: milliseconds."""
    if text is None:
        return None
    match = _GDBUS_UINT.match(text.strip())
    return _seconds(int(match.group(1)) / 1000) if match else None


def parse_ioreg(text: str | None) -> float | None:
    """``ioreg -c IOHIDSystem`` output: the first ``"HIDIdleTime" = <nanoseconds>``."""
    if text is None:
        return None
    match = _HID_IDLE.search(text)
    return _seconds(int(match.group(1)) / 1e9) if match else None


# --------------------------------------------------------------------------------------------
# Sources


def _run(program: str, args: tuple[str, ...]) -> str | None:
    """A program's stdout if it is on PATH and exits 0 within the timeout, else None."""
    exe = shutil.which(program)
    if exe is None:
        return None
    try:
        done = subprocess.run(
            [exe, *args],
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


class _XScreenSaverInfo(ctypes.Structure):
    _fields_ = [
        ("window", ctypes.c_ulong),
        ("state", ctypes.c_int),
        ("kind", ctypes.c_int),
        ("til_or_since", ctypes.c_ulong),
        ("idle", ctypes.c_ulong),  # milliseconds
        ("eventMask", ctypes.c_ulong),
    ]


_x11_libs: tuple | None = None
_x11_tried = False


def _load_x11():
    """(libX11, libXss) with their prototypes set, or None; loaded once."""
    global _x11_libs, _x11_tried
    if _x11_tried:
        return _x11_libs
    _x11_tried = True
    names_x11 = (ctypes.util.find_library("X11"), "libX11.so.6")
    names_xss = (ctypes.util.find_library("Xss"), "libXss.so.1")
    x11 = _load_first(names_x11)
    xss = _load_first(names_xss)
    if x11 is None or xss is None:
        return None
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
    x11.XDefaultRootWindow.restype = ctypes.c_ulong
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    x11.XCloseDisplay.restype = ctypes.c_int
    x11.XFree.argtypes = [ctypes.c_void_p]
    x11.XFree.restype = ctypes.c_int
    xss.XScreenSaverAllocInfo.argtypes = []
    xss.XScreenSaverAllocInfo.restype = ctypes.POINTER(_XScreenSaverInfo)
    xss.XScreenSaverQueryInfo.argtypes = [
        ctypes.c_void_p,
        ctypes.c_ulong,
        ctypes.POINTER(_XScreenSaverInfo),
    ]
    xss.XScreenSaverQueryInfo.restype = ctypes.c_int
    _x11_libs = (x11, xss)
    return _x11_libs


def _load_first(names):
    for name in names:
        if not name:
            continue
        try:
            return ctypes.CDLL(name)
        except OSError:
            continue
    return None


def _xss_idle() -> float | None:
    libs = _load_x11()
    if libs is None:
        return None
    x11, xss = libs
    display = x11.XOpenDisplay(None)  # $DISPLAY
    if not display:
        return None
    try:
        info = xss.XScreenSaverAllocInfo()
        if not info:
            return None
        try:
            if not xss.XScreenSaverQueryInfo(display, x11.XDefaultRootWindow(display), info):
                return None  # no MIT-SCREEN-SAVER extension on this server
            return _seconds(info.contents.idle / 1000)
        finally:
            x11.XFree(info)
    finally:
        x11.XCloseDisplay(display)


def _windows_idle() -> float | None:
    """GetLastInputInfo: the tick count (ms since boot, 32 bits) of the session's last input."""
    from ctypes import wintypes

    class LASTINPUTINFO(ctypes.Structure):
        _fields_ = [("cbSize", wintypes.UINT), ("dwTime", wintypes.DWORD)]

    user32 = ctypes.WinDLL("user32", use_last_error=True)  # type: ignore[attr-defined]
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    user32.GetLastInputInfo.argtypes = [ctypes.POINTER(LASTINPUTINFO)]
    user32.GetLastInputInfo.restype = wintypes.BOOL
    kernel32.GetTickCount.argtypes = []
    kernel32.GetTickCount.restype = wintypes.DWORD
    info = LASTINPUTINFO()
    info.cbSize = ctypes.sizeof(LASTINPUTINFO)
    if not user32.GetLastInputInfo(ctypes.byref(info)):
        return None
    elapsed = (kernel32.GetTickCount() - info.dwTime) & 0xFFFFFFFF  # both wrap after 49.7 days
    return elapsed / 1000
