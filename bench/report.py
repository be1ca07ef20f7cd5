"""Printing benchmark figures: median and spread over repeats."""

from __future__ import annotations

import platform
import statistics

import psutil


def spread(values: list[float]) -> str:
    """'median (min..max, n=N)' with three significant digits."""
    return (f"{statistics.median(values):.3g} ({min(values):.3g}..{max(values):.3g}, "
            f"n={len(values)})")  # fmt: skip


def machine() -> str:
    memory = psutil.virtual_memory().total / 2**30
    return (f"{platform.system()} {platform.machine()}, {psutil.cpu_count()} cores, "
            f"{memory:.0f} GiB, Python {platform.python_version()}")  # fmt: skip
