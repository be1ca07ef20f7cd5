"""The meter interface (see the package docstring)."""

from __future__ import annotations

import re
from typing import Any

NAME_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,32}")  # no ".": it separates name and field on the wire


class Meter:
    """Base class of custom resource meters: set `name` and override `update()`."""

    name: str = ""

    def update(self) -> dict[str, Any] | None:
        """This heartbeat's reading: value, max, label, colour, tooltip (None: nothing)."""
        raise NotImplementedError


def is_meter_class(obj: object) -> bool:
    """A concrete Meter subclass, or any class that has the interface (a `name` text and a
    callable `update`)."""
    if not isinstance(obj, type) or obj is Meter:
        return False
    if issubclass(obj, Meter):
        return True
    return isinstance(getattr(obj, "name", None), str) and callable(getattr(obj, "update", None))


def is_meter(obj: object) -> bool:
    """An instance with the interface."""
    return isinstance(getattr(obj, "name", None), str) and callable(getattr(obj, "update", None))
