"""The wire vocabulary, defined once: run keys and action names.

Server, render, CLI, monitor and the client API (app/api.py, which also runs inside Maya, Nuke,
Houdini and Blender) all take these names from here. Like app/api.py this module uses the
standard library only and stays compatible with Python 3.7.
"""

from __future__ import annotations

from typing import Dict, Tuple

RunKey = Tuple[int, int, int, int]  # job id, block number, task number, run number
KEY_FIELDS = ("job", "block", "task", "run")  # a run key's fields in every message

JOB_ACTIONS = (
    "pause", "start", "stop", "restart", "restart-errors", "reset-error-hosts", "delete",
)  # fmt: skip
TASK_ACTIONS = (
    "skip", "suspend", "continue", "done", "restart", "restart-running", "restart-errors",
    "restart-done", "restart-skipped", "try-next",
)  # fmt: skip
RENDER_ACTIONS = (
    "nimby", "NIMBY", "free", "pause", "unpause", "eject", "eject-not-mine", "exit", "delete",
    "sleep", "wake",
)  # fmt: skip
NIMBY_STATES = ("free", "nimby", "NIMBY")  # nimby: only its owner's jobs; NIMBY: nothing


def key_fields(key: RunKey) -> Dict[str, int]:
    """A run key as message fields."""
    return dict(zip(KEY_FIELDS, key))
