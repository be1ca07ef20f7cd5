"""Reading the meters once per heartbeat and checking what they answer.

`MeterReadings.read()` calls every meter's `update()` once and answers the heartbeat's `custom`
object, flattened to `"<name>.<field>"` keys because the server takes `custom` one level deep
(app/server/render_messages.py). A meter that raises or answers something that is not a reading
reports nothing this time; its first problem of each kind is logged, the rest are not. The whole
object is kept under MAX_CUSTOM_BYTES so that meters can never push a heartbeat over the
server's 16 KB limit: meters past the budget are left out (logged once).
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
from typing import Any

log = logging.getLogger("corral.render.meters")

FIELDS = ("value", "max", "label", "colour", "tooltip")
DEFAULT_MAX = 100
DEFAULT_COLOUR = "#3080c0"
MAX_LABEL = 64
MAX_TOOLTIP = 256
MAX_CUSTOM_BYTES = 6 * 1024  # of the 16 KB a heartbeat's resources may take
SLOW_UPDATE = 0.05  # seconds: an update() slower than this is logged (once)
INT_LIMIT = 2**53  # what the server takes as an integer
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


class BadReading(ValueError):
    """What a meter's update() answered is not a reading."""


def check_reading(meter_name: str, reading: object) -> dict[str, Any] | None:
    """The reading with its defaults filled in (None: nothing to report), or BadReading."""
    if reading is None or (isinstance(reading, dict) and not reading):
        return None
    if not isinstance(reading, dict):
        raise BadReading(f"update() answered {type(reading).__name__}, not a dict")
    value = _number(reading, "value", None)
    if value is None:
        raise BadReading("no value")
    maximum = _number(reading, "max", DEFAULT_MAX)
    label = _text(reading, "label", meter_name, MAX_LABEL)
    tooltip = _text(reading, "tooltip", "", MAX_TOOLTIP)
    colour = reading.get("colour", DEFAULT_COLOUR)
    if not isinstance(colour, str) or not _COLOUR.fullmatch(colour):
        raise BadReading(f'colour: expected "#rrggbb", not {colour!r:.40}')
    return {"value": value, "max": maximum, "label": label, "colour": colour, "tooltip": tooltip}


def _number(reading: dict, key: str, default):
    value = reading.get(key, default)
    if value is None and default is None:
        return None
    kind = type(value)
    if kind is int and abs(value) <= INT_LIMIT:
        return value
    if kind is float and math.isfinite(value):
        return round(value, 3)
    raise BadReading(f"{key}: expected a finite number, not {value!r:.40}")


def _text(reading: dict, key: str, default: str, limit: int) -> str:
    value = reading.get(key, default)
    if not isinstance(value, str):
        raise BadReading(f"{key}: expected text, not {type(value).__name__}")
    return value[:limit]


class MeterReadings:
    """The meters of one render, read once per heartbeat."""

    def __init__(self, meters: list[Any], clock=time.perf_counter) -> None:
        self.meters = list(meters)
        self._clock = clock
        self._logged: set[tuple[str, str]] = set()  # (meter, kind of problem) logged already

    def read(self) -> dict[str, Any]:
        """The heartbeat's `custom` object (empty when no meter has anything to say)."""
        out: dict[str, Any] = {}
        size = 2  # "{}"
        for meter in self.meters:
            reading = self._read_one(meter)
            if reading is None:
                continue
            flat = {f"{meter.name}.{key}": reading[key] for key in FIELDS}
            grows = len(json.dumps(flat, separators=(",", ":"), ensure_ascii=False).encode())
            if size + grows > MAX_CUSTOM_BYTES:
                self._log_once(
                    meter.name,
                    "budget",
                    f"left out: custom resources would be larger than {MAX_CUSTOM_BYTES} bytes",
                )
                continue
            size += grows
            out.update(flat)
        return out

    def _read_one(self, meter) -> dict[str, Any] | None:
        name = getattr(meter, "name", "?")
        start = self._clock()
        try:
            answer = meter.update()
        except Exception as error:  # a plugin's bug must not stop the heartbeat
            self._log_once(name, "raised", f"update() raised {type(error).__name__}: {error}")
            return None
        took = self._clock() - start
        if took > SLOW_UPDATE:
            self._log_once(name, "slow", f"update() took {took * 1000:.0f} ms; keep it cheap")
        try:
            return check_reading(name, answer)
        except BadReading as error:
            self._log_once(name, "bad", f"ignored its reading: {error}")
            return None

    def _log_once(self, name: str, kind: str, text: str) -> None:
        if (name, kind) not in self._logged:
            self._logged.add((name, kind))
            log.warning("meter %s: %s (logged once)", name, text)
