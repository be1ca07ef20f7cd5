"""What people may set on a render, validated."""

from __future__ import annotations

from app.core.errors import SpecError
from app.core.json_checks import json_integer
from app.core.pools import PoolTree
from app.protocol import NIMBY_STATES

MAX_USER_NAME = 255
MAX_SLOTS = 10**9  # capacity_host and max_tasks_host

_SERVICES = {"type": "array", "items": {"type": "string"}}
_SLOTS = {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_SLOTS}
SETTINGS_SCHEMA = {
    "type": "object",
    "properties": {
        "user_name": {"type": "string", "maxLength": MAX_USER_NAME},
        "nimby": {"enum": list(NIMBY_STATES)},
        "paused": {"type": "boolean"},
        "priority": {"type": "integer", "minimum": 0, "maximum": 250},
        "pool": {"type": "string", "description": "an existing pool's path"},
        "services": _SERVICES,
        "services_disabled": _SERVICES,
        "capacity_host": _SLOTS,
        "max_tasks_host": _SLOTS,
    },
    "additionalProperties": False,
    "minProperties": 1,
}
"""The JSON schema of a render settings edit (its user_name must also be printable text)."""
SETTINGS = tuple(SETTINGS_SCHEMA["properties"])


def check_render_settings(params: object, pools: PoolTree) -> dict:
    """The validated changes in params; raises SpecError naming the bad field."""
    if not isinstance(params, dict) or not params:
        raise SpecError("", "expected a non-empty object of render settings")
    changes: dict = {}
    for key, value in params.items():
        if key == "user_name":
            if not isinstance(value, str) or len(value) > MAX_USER_NAME or not value.isprintable():
                raise SpecError(key, "must be a user name")
        elif key == "nimby":
            if value not in NIMBY_STATES:
                raise SpecError(key, f"must be one of {', '.join(NIMBY_STATES)}")
        elif key == "paused":
            if not isinstance(value, bool):
                raise SpecError(key, "must be true or false")
        elif key in ("capacity_host", "max_tasks_host"):
            if value is not None:
                value = json_integer(value)
                if value is None or not 1 <= value <= MAX_SLOTS:
                    raise SpecError(key, "must be a positive integer, or null for the pool's")
        elif key == "priority":
            value = json_integer(value)
            if value is None or not 0 <= value <= 250:
                raise SpecError(key, "must be an integer 0..250")
        elif key == "pool":
            if not isinstance(value, str) or value not in pools:
                raise SpecError(key, f"no pool {str(value)[:60]!r}")
            value = pools.get(value).path
        elif key in ("services", "services_disabled"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise SpecError(key, "must be a list of service names")
            value = set(value)
        else:
            raise SpecError(str(key)[:60], f"is not a render setting ({', '.join(SETTINGS)})")
        changes[key] = value
    return changes
