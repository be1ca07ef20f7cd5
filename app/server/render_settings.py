"""What people may set on a render, validated."""

from __future__ import annotations

from app.core.errors import SpecError
from app.core.pools import PoolTree
from app.protocol import NIMBY_STATES

SETTINGS = (
    "user_name",
    "nimby",
    "paused",
    "priority",
    "pool",
    "services",
    "services_disabled",
    "capacity_host",
    "max_tasks_host",
)


def check_render_settings(params: object, pools: PoolTree) -> dict:
    """The validated changes in params; raises SpecError naming the bad field."""
    if not isinstance(params, dict) or not params:
        raise SpecError("", "expected a non-empty object of render settings")
    changes: dict = {}
    for key, value in params.items():
        if key == "user_name":
            if not isinstance(value, str) or len(value) > 255 or not value.isprintable():
                raise SpecError(key, "must be a user name")
        elif key == "nimby":
            if value not in NIMBY_STATES:
                raise SpecError(key, f"must be one of {', '.join(NIMBY_STATES)}")
        elif key == "paused":
            if not isinstance(value, bool):
                raise SpecError(key, "must be true or false")
        elif key in ("capacity_host", "max_tasks_host"):
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10**9
            ):
                raise SpecError(key, "must be a positive integer, or null for the pool's")
        elif key == "priority":
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 250:
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
