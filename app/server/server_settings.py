"""The server's settings that change while it runs (`corral server config`, GET and PATCH
/api/v1/server/config): each one's JSON schema, where its value lives and what follows a change.

A change is stored (the farm-wide setting "server": the settings ever changed this way, with
their last values) and applied again at start-up, over the command line's values: a stored
setting wins over its flag until it is changed again.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from app.core.errors import SpecError
from app.core.json_checks import json_integer
from app.core.pools import MAX_HEARTBEAT, MAX_ZOMBIE_TIME, MIN_HEARTBEAT, MIN_ZOMBIE_TIME
from app.server.persistence import records

if TYPE_CHECKING:
    from app.server.farm import Farm

log = logging.getLogger("corral.server")

STORED = "server"  # the settings document's name in the store
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
MAX_COUNT = 10**9
_YEARS = 100 * 365.0
HEARTBEAT = (MIN_HEARTBEAT, MAX_HEARTBEAT)  # the pools' bounds: the root pool takes the value
ZOMBIE_TIME = (MIN_ZOMBIE_TIME, MAX_ZOMBIE_TIME)


@dataclass(frozen=True)
class Setting:
    schema: dict  # its value's JSON schema: an enum, a number or an integer, with bounds
    get: Callable[[Farm], object]
    set: Callable[[Farm, object], None]
    then: Callable[[Farm], None] | None = None  # once after a change of one or more settings


def _number(description: str, minimum: float, maximum: float) -> dict:
    return {"type": "number", "minimum": minimum, "maximum": maximum, "description": description}


def _in_config(name: str, schema: dict, then: Callable[[Farm], None] | None = None) -> Setting:
    """A ServerConfig attribute."""
    return Setting(
        schema,
        lambda farm: getattr(farm.config, name),
        lambda farm, value: setattr(farm.config, name, value),
        then,
    )


def _quota(name: str, description: str) -> Setting:
    """A QuotaDefaults field: the limit of users whose own is -1."""
    schema = {"type": "integer", "minimum": 0, "maximum": MAX_COUNT, "description": description}

    def change(farm: Farm, value: object) -> None:
        farm.config.quotas = replace(farm.config.quotas, **{name: value})
        farm.quotas.defaults = farm.config.quotas

    return Setting(schema, lambda farm: getattr(farm.config.quotas, name), change)


def _root_pool(farm: Farm) -> None:
    """The root pool takes the new heartbeat and zombie times; renders follow."""
    farm.set_pools(farm.pools)


def _set_level(farm: Farm, value: object) -> None:
    logging.getLogger().setLevel(str(value))


SETTINGS = {
    "log_level": Setting(
        {"enum": list(LEVELS), "description": "the server's log level"},
        lambda farm: logging.getLevelName(logging.getLogger().getEffectiveLevel()),
        _set_level,
    ),
    "heartbeat_period": _in_config(
        "heartbeat_period",
        _number("the root pool's seconds between render heartbeats", *HEARTBEAT),
        _root_pool,
    ),
    "zombie_time": _in_config(
        "zombie_time",
        _number("the root pool's seconds after which a silent render is gone", *ZOMBIE_TIME),
        _root_pool,
    ),
    "reconnect_grace": _in_config(
        "reconnect_grace",
        _number("after a restart, seconds to wait for renders before starting tasks", 0, 3600),
    ),
    "max_queued_tasks": _quota("max_queued_tasks", "a user's tasks not yet done (0: no limit)"),
    "max_jobs_per_minute": _quota("max_jobs_per_minute", "a user's submits a minute (0: none)"),
    "outputs_days": _in_config(
        "outputs_days", _number("days a finished run's output is kept (0: for ever)", 0, _YEARS)
    ),
    "runs_days": _in_config(
        "runs_days", _number("days a finished run is kept (0: for ever)", 0, _YEARS)
    ),
    "stats_days": _in_config(
        "stats_days",
        _number("days a run's (and a deleted job's) statistics are kept (0: for ever)", 0, _YEARS),
    ),
    "retention_period": _in_config(
        "retention_period", _number("seconds between retention sweeps", 1, 86400)
    ),
    "journal_backlog": _in_config(
        "journal_backlog",
        {
            "type": "integer",
            "minimum": 1,
            "maximum": MAX_COUNT,
            "description": "store operations not yet committed at which no task starts",
        },
        lambda farm: farm.resume_held_back(),
    ),
}
SCHEMA = {
    "type": "object",
    "properties": {name: setting.schema for name, setting in SETTINGS.items()},
    "additionalProperties": False,
    "minProperties": 1,
}
"""The JSON schema of a change of server settings."""


def current(farm: Farm) -> dict:
    """Every runtime setting's value now."""
    return {name: setting.get(farm) for name, setting in SETTINGS.items()}


def check(params: object) -> dict:
    """The validated changes in params; raises SpecError naming the bad setting."""
    if not isinstance(params, dict) or not params:
        raise SpecError("", "expected a non-empty object of server settings")
    changes = {}
    for name, value in params.items():
        setting = SETTINGS.get(name)
        if setting is None:
            raise SpecError(str(name)[:60], f"is not a server setting ({', '.join(SETTINGS)})")
        changes[name] = _valid(name, setting.schema, value)
    return changes


def _valid(name: str, schema: dict, value: object) -> object:
    if "enum" in schema:
        if value not in schema["enum"]:
            raise SpecError(name, f"must be one of {', '.join(schema['enum'])}")
        return value
    low, high = schema["minimum"], schema["maximum"]
    if schema["type"] == "integer":
        number = json_integer(value)
        kind = "an integer"
    else:
        is_real = type(value) in (int, float) and math.isfinite(value)
        number = float(value) if is_real else None
        kind = "a number"
    if number is None or not low <= number <= high:
        raise SpecError(name, f"must be {kind} {low:g}..{high:g}")
    return number


def apply(farm: Farm, changes: dict) -> None:
    """Set checked values; what follows a change (renders told) happens once."""
    after = []
    for name, value in changes.items():
        setting = SETTINGS[name]
        setting.set(farm, value)
        if setting.then is not None and setting.then not in after:
            after.append(setting.then)
    for then in after:
        then(farm)


def change(farm: Farm, params: object):
    """Check and apply a change (SpecError: nothing changes); returns the journal operation
    that stores it."""
    changes = check(params)
    apply(farm, changes)
    farm.settings_changed.update(changes)
    return records.save_setting(STORED, farm.settings_changed)


def restore(farm: Farm, stored: object) -> None:
    """Set the stored changes at start-up, before the pools are applied (what follows a change
    is left to start-up); one no longer valid is logged and left out."""
    if not isinstance(stored, dict):
        return
    for name, value in stored.items():
        try:
            valid = check({name: value})[name]
        except SpecError as error:
            log.error("stored server setting %s left out: %s", name, error)
            continue
        SETTINGS[name].set(farm, valid)
        farm.settings_changed[name] = valid
