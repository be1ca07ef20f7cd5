"""How states look in the monitor's tables: each kind of state has a row tint and a text colour,
the same for jobs, blocks and tasks; renders are offline, nimby, running (busy) or free (no
tint).

A job (or block) is "failing" while tasks of it failed and wait for a retry (RER): the summary's
`tasks_error_ready`; its State column says so beside the server's codes (unless ERR or AVD
says more). Tints are translucent:
painted over the view's own base colour, light or dark, they colour a row and leave the
palette's text readable on it (tests/ui/test_state_looks.py measures the contrast on both).
"""

from __future__ import annotations

from PyQt6.QtGui import QColor, QFont

FAILING = "failing"  # the word added to a failing job's state

# kind of state -> (row tint, text colour of the state cell)
LOOKS: dict[str, tuple[QColor, QColor]] = {
    "error": (QColor(220, 50, 50, 70), QColor(220, 60, 60)),
    FAILING: (QColor(245, 140, 20, 70), QColor(230, 120, 20)),
    "running": (QColor(60, 140, 230, 50), QColor(50, 130, 220)),
    "done": (QColor(70, 170, 90, 40), QColor(60, 150, 80)),
    "skipped": (QColor(150, 150, 150, 30), QColor(140, 120, 160)),
    "paused": (QColor(128, 128, 128, 60), QColor(140, 140, 140)),
    "waiting": (QColor(150, 90, 200, 45), QColor(150, 90, 200)),
    "offline": (QColor(110, 110, 110, 70), QColor(130, 130, 130)),
    "nimby": (QColor(230, 180, 20, 60), QColor(190, 140, 0)),
}
FAILED_KINDS = frozenset(("error", FAILING))  # their Errors column takes their colour too
TASK_KINDS = {
    "ERR": "error",
    "RER": FAILING,
    "RUN": "running",
    "WRC": "running",
    "DON": "done",
    "SKP": "skipped",
    "OFF": "paused",
    "SUS": "paused",
    "WDP": "waiting",
    "WTM": "waiting",
}
SKIPPED_FONT = QFont()
SKIPPED_FONT.setItalic(True)


def job_kind(item: dict) -> str | None:
    """The kind of state of a job or block summary (None: ready, nothing to show)."""
    codes = item["state"].split()
    if "ERR" in codes or "AVD" in codes:
        return "error"
    if item.get("tasks_error_ready"):
        return FAILING
    if "OFF" in codes:
        return "paused"
    if "RUN" in codes:
        return "running"
    if "DON" in codes:
        return "skipped" if item.get("tasks_skipped") == item.get("tasks_total") else "done"
    if "WDP" in codes or "WTM" in codes:
        return "waiting"
    return None


# a render's kinds, in the order its rows sort by state
RENDER_ORDER = ("offline", "nimby", "running", "free")


def render_kind(render: dict) -> str:
    """Offline, nimby (either NIMBY), running (busy) or free: a render's kind of state."""
    if not render.get("online"):
        return "offline"
    if render.get("nimby", "free") != "free":
        return "nimby"
    return "running" if render.get("tasks") else "free"


def job_state_text(item: dict) -> str:
    """The server's state codes of a job or block, with "failing" when that is its kind (an
    error or AVD says more)."""
    state = item["state"]
    return f"{state} {FAILING}" if job_kind(item) == FAILING else state


def tint(kind: str | None) -> QColor | None:
    return LOOKS[kind][0] if kind in LOOKS else None


def text_colour(kind: str | None) -> QColor | None:
    return LOOKS[kind][1] if kind in LOOKS else None
