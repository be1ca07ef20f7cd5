"""Built-in meter `cpu_temp`: the CPU's temperature from psutil.sensors_temperatures().

Linux and FreeBSD only (psutil has no temperatures elsewhere). The sensors are read at most
every `period` seconds (reading /sys/class/hwmon costs a few files), and a host without a CPU
sensor (most virtual machines) reports nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import psutil

from app.render.meters.base import Meter

# Sensor chips that measure the CPU, best first; "acpitz" (the ACPI thermal zone) is a fallback.
CPU_CHIPS = (
    "coretemp",
    "k10temp",
    "zenpower",
    "cpu_thermal",
    "cpu-thermal",
    "soc_thermal",
    "acpitz",
)
PACKAGE_LABELS = ("package id 0", "tctl", "tdie")  # the whole CPU's sensor, where there is one


class CpuTemperature(Meter):
    name = "cpu_temp"

    def __init__(self, period: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.period = period
        self._clock = clock
        self._read_at = -period
        self._reading: dict[str, Any] = {}

    def update(self) -> dict[str, Any]:
        now = self._clock()
        if now - self._read_at >= self.period:
            self._read_at = now
            self._reading = self._read()
        return dict(self._reading)

    def _read(self) -> dict[str, Any]:
        sensors = getattr(psutil, "sensors_temperatures", None)
        if sensors is None:
            return {}
        chips = sensors() or {}
        chip = next((name for name in CPU_CHIPS if chips.get(name)), None)
        if chip is None:
            return {}
        entries = [e for e in chips[chip] if isinstance(getattr(e, "current", None), int | float)]
        if not entries:
            return {}
        package = [e for e in entries if (getattr(e, "label", "") or "").lower() in PACKAGE_LABELS]
        hottest = max(package or entries, key=lambda entry: entry.current)
        limit = next(
            (x for x in (hottest.high, hottest.critical) if isinstance(x, int | float) and x > 0),
            100.0,
        )
        celsius = round(float(hottest.current), 1)
        colour = "#d03020" if celsius >= 0.9 * limit else "#e08020"
        sensor = hottest.label or chip
        return {
            "value": celsius,
            "max": float(limit),
            "label": f"CPU {celsius:.0f}°C",
            "colour": colour,
            "tooltip": f"CPU temperature {celsius} °C ({chip} {sensor}); high {limit} °C",
        }
