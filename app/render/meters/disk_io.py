"""Built-in meter `disk_io`: all disks' read + write rate in MB/s, from the growth of
psutil.disk_io_counters() between two heartbeats.

The first reading is a baseline (nothing reported); readings closer together than MIN_INTERVAL
repeat the previous figure. The graph's top is the highest rate seen, at least 100 MB/s.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import psutil

from app.render.meters.base import Meter

MB = 2**20
MIN_INTERVAL = 0.05  # seconds
MIN_MAX = 100.0  # MB/s


class DiskIO(Meter):
    name = "disk_io"

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._before: tuple[float, int, int] | None = None  # (time, read bytes, written bytes)
        self._reading: dict[str, Any] = {}
        self._peak = MIN_MAX

    def update(self) -> dict[str, Any]:
        now = self._clock()
        counters = _counters()
        if counters is None:
            self._before, self._reading = None, {}
            return {}
        if self._before is None:
            self._before = (now, *counters)
            return {}
        elapsed = now - self._before[0]
        if elapsed < MIN_INTERVAL:
            return dict(self._reading)
        # A counter that went back (a disk removed, a wrap) counts as no change.
        read = max(counters[0] - self._before[1], 0) / MB / elapsed
        written = max(counters[1] - self._before[2], 0) / MB / elapsed
        self._before = (now, *counters)
        total = round(read + written, 2)
        self._peak = max(self._peak, total)
        self._reading = {
            "value": total,
            "max": round(self._peak, 2),
            "label": f"disk {total:.1f} MB/s",
            "colour": "#40a060",
            "tooltip": f"all disks: read {read:.2f} MB/s, write {written:.2f} MB/s",
        }
        return dict(self._reading)


def _counters() -> tuple[int, int] | None:
    """(bytes read, bytes written) by all disks since boot; None where psutil cannot say."""
    try:
        counters = psutil.disk_io_counters()
    except Exception:  # no disks (some containers), or a platform error
        return None
    read = getattr(counters, "read_bytes", None)
    written = getattr(counters, "write_bytes", None)
    if not isinstance(read, int) or not isinstance(written, int):
        return None
    return read, written
