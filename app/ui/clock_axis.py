"""A pyqtgraph time axis for epoch seconds: ticks on round clock steps, labelled in local
clock time (HH:MM, or HH:MM:SS when the step is under a minute)."""

from __future__ import annotations

import time

import pyqtgraph as pg

STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400)
LABEL_WIDTH = 70  # pixels a label needs, with its gap


def tick_step(span: float, most: int) -> int:
    """The smallest step that puts at most `most` ticks over `span` seconds."""
    return next((step for step in STEPS if span / step <= most), STEPS[-1])


def clock_text(seconds: float, step: float) -> str:
    return time.strftime("%H:%M" if step >= 60 else "%H:%M:%S", time.localtime(seconds))


class ClockAxis(pg.AxisItem):
    def __init__(self, orientation: str = "bottom", **kwargs) -> None:
        super().__init__(orientation, **kwargs)
        self.enableAutoSIPrefix(False)

    def tickSpacing(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, float]]:
        return [(tick_step(maxVal - minVal, max(2, int(size // LABEL_WIDTH))), 0)]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        return [clock_text(value, spacing) for value in values]
