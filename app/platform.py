"""The host this process runs on, in Corral's terms: its OS family, OS string and local time.

Core never reads the host; its callers read it here and pass it in. The OS family names are
app/core/os_family.py's (``linux``, ``windows``, ``macos``); the OS string a render reports (and
a job's ``need_os`` is matched against) is app/core/masks.py's ``os_string``. Process-tree
control and idle-time detection are the render's (app/render/_posix.py, _windows.py, idle.py);
they ask :func:`host_os` which one applies.
"""

from __future__ import annotations

import functools
import platform
import sys
from datetime import datetime

from app.core.masks import os_string
from app.core.os_family import OSFamily, system_family


def host_os() -> OSFamily:
    """This host's OS family: ``windows`` (also Cygwin and MSYS), ``macos``, or ``linux`` for
    any other Unix."""
    return system_family(sys.platform)


@functools.cache
def host_os_string() -> str:
    """The render OS string of this host, e.g. ``unix linux 64`` or ``windows 64``."""
    return os_string(platform.system(), platform.machine())


def local_time(now: float) -> datetime:
    """The clock's seconds as an aware datetime in this host's local time zone."""
    return datetime.fromtimestamp(now).astimezone()
