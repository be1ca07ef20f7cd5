"""What the statistics rows cost the journal to write, with and without their sums by period.

In this process, on a real store (SQLite in a temporary folder, or PostgreSQL at
127.0.0.1:5432): ticks of --runs statistics rows ending in the same second (as
`Farm.flush_stats` hands them to the journal) across 100 renders, 20 users, 10 projects, 5
departments, 8 services and 4 pools, each written in its own transaction by
`records.upsert_stat_runs`, alternately with the sums (stat_sums.py) and without them (the
rows alone, as before the sums were kept). Prints the microseconds of process CPU and of wall
time per row, median over --ticks ticks of each.

    python -m bench.stats_writes [--postgres] [--runs 600] [--ticks 20]
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
from pathlib import Path
from statistics import median

from app.server.persistence import open_database, records, stat_sums
from bench.postgres import scratch_database
from bench.report import record

START = 1_765_000_000.0


def tick(number: int, runs: int) -> list[dict]:
    """The statistics rows of one tick: runs ending in the same second, new keys each tick."""
    done = START + number
    rows = []
    for n in range(runs):
        run_time = 30.0 + (n * 37 + number) % 3600 + n / 7
        rows.append(
            dict(
                job_id=number,
                block=0,
                task=n,
                run=1,
                job_name=f"shot_{number}",
                block_name="main",
                user_name=f"user{n % 20}",
                service=f"service{n % 8}",
                render=f"render{n % 100:03d}",
                pool=f"/pool{n % 4}",
                project=f"project{n % 10}",
                department=f"dept{n % 5}",
                state="DON" if n % 20 else "ERR",
                exit_code=0,
                signal=None,
                error_kind="",
                time_start=done - run_time,
                time_done=done,
                run_time=run_time,
                peak_rss_mb=1000.0 + n,
                cpu_seconds=run_time * 0.9,
                capacity=1000,
            )
        )
    return rows


@contextlib.contextmanager
def without_sums():
    """The rows written alone, as before the sums were kept."""
    kept = stat_sums.add, stat_sums.stored_hours
    stat_sums.add, stat_sums.stored_hours = (lambda rows: None), (lambda keys: {})
    try:
        yield
    finally:
        stat_sums.add, stat_sums.stored_hours = kept


def measure(url: str, runs: int, ticks: int) -> dict[str, tuple[list[float], list[float]]]:
    """Microseconds of CPU and wall time a row, each tick, with and without the sums."""
    db = open_database(url)
    found: dict[str, tuple[list[float], list[float]]] = {
        "with sums": ([], []),
        "rows alone": ([], []),
    }
    try:
        for number in range(2 * ticks):
            label = "with sums" if number % 2 else "rows alone"
            rows = tick(number, runs)
            context = contextlib.nullcontext() if number % 2 else without_sums()
            with context:
                cpu, wall = time.process_time(), time.perf_counter()
                with db.atomic():
                    records.upsert_stat_runs(rows)
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            found[label][0].append(cpu / runs * 1e6)
            found[label][1].append(wall / runs * 1e6)
    finally:
        db.close()
    return found


def report(label: str, found: dict[str, tuple[list[float], list[float]]], runs: int) -> None:
    for way, (cpu, wall) in found.items():
        print(
            f"{label}, {runs} rows a tick, {way}: CPU {median(cpu):.1f} µs a row"
            f" ({min(cpu):.1f}..{max(cpu):.1f}), wall {median(wall):.1f} µs"
            f" ({min(wall):.1f}..{max(wall):.1f})"
        )
    record(
        "stats_writes",
        f"{label}: a statistics row with its sums, wall",
        found["with sums"][1],
        "µs",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=600, help="rows a tick")
    parser.add_argument("--ticks", type=int, default=20, help="ticks of each way")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL at 127.0.0.1:5432")
    args = parser.parse_args()
    if not args.postgres:
        with tempfile.TemporaryDirectory(prefix="corral-stats-") as folder:
            url = f"sqlite:///{Path(folder) / 'corral.db'}"
            report("SQLite", measure(url, args.runs, args.ticks), args.runs)
        return
    with scratch_database() as url:
        report("PostgreSQL", measure(url, args.runs, args.ticks), args.runs)


if __name__ == "__main__":
    main()
