"""Users: per-user limits, error defaults, and their place in fair share."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from app.core.errors import SpecError
from app.core.json_checks import json_integer
from app.core.key_docs import USER, described
from app.core.masks import HostMask

SOLVE_METHODS = ("order", "priority")
SOLVE_NEEDS = ("capacity", "tasks")


@dataclass(eq=False)
class User:
    """A person who submits jobs; created on their first submission."""

    name: str
    priority: int = 99
    max_running_tasks: int = -1
    max_running_tasks_per_host: int = -1
    hosts_mask: str = ""
    hosts_mask_exclude: str = ""
    hosts_mask_type: str = "find"
    errors_retries: int = 3
    errors_avoid_host: int = 3
    errors_task_same_host: int = 3
    errors_forgive_time: int = 18000
    jobs_life_time: int = 0  # seconds; 0 = jobs live until deleted
    # quotas (app/core/quotas.py): -1 = the server's default, 0 = no limit
    max_queued_tasks: int = -1  # tasks of the user's jobs not yet done
    max_jobs_per_minute: int = -1
    solve_method: str = "order"  # order: priority then submission (and manual moves)
    solve_need: str = "capacity"  # fair share counts running capacity, or running tasks
    paused: bool = False
    annotation: str = ""
    time_register: float = 0.0
    # runtime, not stored
    running_tasks: int = field(default=0, compare=False)
    running_capacity: int = field(default=0, compare=False)
    last_solved: int = field(default=0, compare=False)
    queued_tasks: int = field(default=0, compare=False)  # kept by the jobs' task tables

    def need(self) -> float:
        """Afanasy's fair share: each priority point is worth about 10% more of the farm."""
        used = self.running_capacity if self.solve_need == "capacity" else self.running_tasks
        return 1.1**self.priority / (used + 1)

    def settings(self) -> dict:
        return {name: getattr(self, name) for name in EDITABLE}

    def summary(self) -> dict:
        return {
            "name": self.name,
            **self.settings(),
            "running_tasks": self.running_tasks,
            "running_capacity": self.running_capacity,
            "need": round(self.need(), 6),
            "time_register": self.time_register,
        }

    def edit(self, params: object) -> dict:
        """Validate and apply an edit; returns the changed keys. Nothing changes on error."""
        changes = check_settings(params)
        mode = changes.get("hosts_mask_type", self.hosts_mask_type)
        for key in ("hosts_mask", "hosts_mask_exclude"):  # both, as the scheduler will see them
            HostMask.compile(changes.get(key, getattr(self, key)), mode, key)
        for key, value in changes.items():
            setattr(self, key, value)
        return changes


_LIMITS = {
    "priority": (0, 250),
    "max_running_tasks": (-1, 1_000_000),
    "max_running_tasks_per_host": (-1, 10_000),
    "errors_retries": (0, 1000),
    "errors_avoid_host": (0, 127),
    "errors_task_same_host": (0, 127),
    "errors_forgive_time": (0, 10 * 365 * 86400),
    "jobs_life_time": (0, 100 * 365 * 86400),
    "max_queued_tasks": (-1, 10**12),
    "max_jobs_per_minute": (-1, 1_000_000),
}
_CHOICES = {
    "hosts_mask_type": ("find", "regex"),
    "solve_method": SOLVE_METHODS,
    "solve_need": SOLVE_NEEDS,
}
_TEXT = ("hosts_mask", "hosts_mask_exclude", "annotation")
_MAX_TEXT = 65536
EDITABLE = tuple(f.name for f in fields(User) if f.name in {*_LIMITS, *_CHOICES, *_TEXT, "paused"})


def settings_schema() -> dict:
    """The JSON schema of a user settings edit, from the tables `check_settings` reads."""
    properties: dict[str, dict] = {"paused": {"type": "boolean"}}
    for key, (lo, hi) in _LIMITS.items():
        properties[key] = {"type": "integer", "minimum": lo, "maximum": hi}
    for key, choices in _CHOICES.items():
        properties[key] = {"enum": list(choices)}
    for key in _TEXT:
        properties[key] = {"type": "string", "maxLength": _MAX_TEXT}  # no NUL characters
    schema = {"type": "object", "properties": properties, "additionalProperties": False}
    return described(schema, USER)


def check_settings(params: object) -> dict:
    """The validated user settings in params (a JSON object); raises SpecError."""
    if not isinstance(params, dict):
        raise SpecError("", "user settings must be a JSON object")
    changes = {}
    for key, value in params.items():
        if key in _LIMITS:
            lo, hi = _LIMITS[key]
            value = json_integer(value)
            if value is None or not lo <= value <= hi:
                raise SpecError(key, f"must be an integer {lo}..{hi}")
        elif key in _CHOICES:
            if value not in _CHOICES[key]:
                raise SpecError(key, f"must be one of {', '.join(_CHOICES[key])}")
        elif key in _TEXT:
            if not isinstance(value, str) or len(value) > _MAX_TEXT or "\0" in value:
                raise SpecError(key, "must be text")
        elif key == "paused":
            if not isinstance(value, bool):
                raise SpecError(key, "must be true or false")
        else:
            raise SpecError(key, f"is not an editable user setting ({', '.join(EDITABLE)})")
        changes[key] = value
    return changes
