"""Printing benchmark figures: median and spread over repeats; recording headline figures.

Each benchmark prints its figures and, through record(), appends its headline figures as JSON
lines to the file named by the environment variable CORRAL_BENCH_RESULTS (when it is set;
bench/run_all.py sets it and turns the rows into one Markdown table).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
from dataclasses import dataclass

import psutil

RESULTS_ENV = "CORRAL_BENCH_RESULTS"


def spread(values: list[float]) -> str:
    """'median (min..max, n=N)' with three significant digits."""
    return (
        f"{statistics.median(values):.3g} ({min(values):.3g}..{max(values):.3g}, n={len(values)})"
    )


def rates(values: list[float]) -> str:
    """Like spread, for large numbers: 'median (min..max, n=N)' as integers."""
    return (
        f"{statistics.median(values):,.0f} ({min(values):,.0f}..{max(values):,.0f}, "
        f"n={len(values)})"
    )


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank q-th percentile (0 < q <= 100)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q / 100 * len(ordered)) - 1))]


@dataclass
class Leg:
    """One measured way of running tasks: tasks per second and CPU seconds per task by part."""

    rate: float
    cpu: dict[str, float]  # part → CPU seconds per task

    @property
    def cpu_total(self) -> float:
        return sum(self.cpu.values())

    def cpu_text(self) -> str:
        parts = ", ".join(f"{name} {seconds * 1000:.2f}" for name, seconds in self.cpu.items())
        return f"CPU {self.cpu_total * 1000:.2f} ms a task ({parts})"


def cpu_seconds(pids: list[int]) -> float:
    """CPU seconds used so far by these processes and the children they have waited for."""
    total = 0.0
    for pid in pids:
        times = psutil.Process(pid).cpu_times()
        parts = ("user", "system", "children_user", "children_system")
        total += sum(getattr(times, name, 0.0) or 0.0 for name in parts)
    return total


class CpuMeter:
    """The CPU time of groups of processes (name → pids) from now on."""

    def __init__(self, parts: dict[str, list[int]]) -> None:
        self.parts = parts
        self.start = {name: cpu_seconds(pids) for name, pids in parts.items()}

    def per_task(self, tasks: int) -> dict[str, float]:
        """Each group's CPU seconds since the start, per task."""
        return {
            name: (cpu_seconds(pids) - self.start[name]) / tasks
            for name, pids in self.parts.items()
        }


def machine() -> str:
    memory = psutil.virtual_memory().total / 2**30
    return (
        f"{platform.system()} {platform.machine()}, {psutil.cpu_count()} cores, "
        f"{memory:.0f} GiB, Python {platform.python_version()}"
    )


def record(
    benchmark: str,
    figure: str,
    values: float | list[float],
    unit: str,
    target: str = "",
    met: bool | None = None,
) -> dict:
    """One headline figure: its median over `values` (and their min and max), as a row of the
    run_all table; appended to $CORRAL_BENCH_RESULTS when set. Returns the row."""
    values = list(values) if isinstance(values, list | tuple) else [values]
    row = {
        "benchmark": benchmark,
        "figure": figure,
        "value": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "n": len(values),
        "unit": unit,
        "target": target,
        "met": met,
    }
    path = os.environ.get(RESULTS_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(row) + "\n")
    return row


def number(value: float) -> str:
    """A figure for a table: thousands separators for large values, 3 significant digits else."""
    if value is None:
        return ""
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def markdown(rows: list[dict]) -> str:
    """The rows as one Markdown table: median (min..max) per figure, target and verdict."""
    lines = [
        "| benchmark | figure | median (min..max) | unit | target | met |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        value = number(row["value"])
        if row.get("n", 1) > 1 and row["min"] != row["max"]:
            value += f" ({number(row['min'])}..{number(row['max'])})"
        met = {True: "yes", False: "**no**", None: ""}[row.get("met")]
        lines.append(
            f"| {row['benchmark']} | {row['figure']} | {value} | {row['unit']} | "
            f"{row.get('target', '')} | {met} |"
        )
    return "\n".join(lines)
