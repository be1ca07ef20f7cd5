"""OS families: the three kinds of OS a render runs, each with one name.

``linux``, ``windows`` and ``macos`` name them everywhere in Corral: path maps (the render's side
of a rule), services (the platform a command line is written for) and the host facts a render
reports. Where a family is given, two older spellings are accepted as ``macos``: ``darwin``
(Python's name, and ``corral submit --platform``'s) and ``macosx`` (the token a job's
``need_os`` finds in the render OS string, see :func:`app.core.masks.os_string`).

A system's own name (``sys.platform``, ``platform.system()``) gives its family through
:func:`system_family`; any Unix other than macOS counts as ``linux`` (POSIX paths, compared
case-sensitively). Pure: the host is read by app/platform.py.
"""

from __future__ import annotations

from typing import Literal

OSFamily = Literal["linux", "windows", "macos"]

OS_FAMILIES: tuple[OSFamily, ...] = ("linux", "windows", "macos")
OS_LABELS: dict[OSFamily, str] = {"linux": "Linux", "windows": "Windows", "macos": "macOS"}
_SPELLINGS: dict[str, OSFamily] = {
    **{family: family for family in OS_FAMILIES},
    "darwin": "macos",
    "macosx": "macos",
}


def os_family(name: str, what: str = "OS") -> OSFamily:
    """The family a name spells (``darwin`` and ``macosx`` are ``macos``); ValueError naming
    `what` for any other name."""
    family = _SPELLINGS.get(name) if isinstance(name, str) else None
    if family is None:
        raise ValueError(f"{what} must be one of {', '.join(OS_FAMILIES)}, not {name!r}")
    return family


def system_family(system: str) -> OSFamily:
    """The family of a system as it names itself: ``win32``, ``Windows``, ``CYGWIN_NT-10.0`` or
    ``MSYS_NT-10.0`` are windows, ``darwin`` (any case) is macos, any other is linux."""
    name = system.strip().lower()
    if name.startswith(("win", "cygwin", "msys")):
        return "windows"
    if name.startswith(("darwin", "mac")):
        return "macos"
    return "linux"
