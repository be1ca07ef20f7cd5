"""GET /api/v1/stats/... on a store of 1,000,000 run rows, on SQLite and PostgreSQL.

The store is filled in this process (app.server.persistence.open_database, then bulk inserts
into stat_run: runs spread evenly over --days days up to now, across 200 renders, 40 users,
12 projects, 6 departments, 8 services and 5 pools, then summed by period as the migration
making stat_sum sums the runs it finds, `stat_sums.resum_all`), then a real server opens it
and every statistics endpoint is asked in turn, each grouping of the grouped ones, for the ranges of
the last day, 7 days (the page's default) and 30 days: the milliseconds of each request, median
and slowest over --repeats. Target: every answer in < 300 ms.

    python -m bench.stats_queries --rows 1000000 [--postgres]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path
from statistics import median

from app.server.persistence import open_database, stat_sums, statistics
from app.server.persistence.schema import RenderRow, StatRun
from bench.local_farm import LocalFarm
from bench.postgres import scratch_database
from bench.report import record

RANGES = {"1 day": 86400, "7 days": 7 * 86400, "30 days": 30 * 86400}
STATES = ("DON",) * 90 + ("ERR",) * 6 + ("SKP", "STOPPED", "LOST", "LOST")
KINDS = {"DON": "", "SKP": "", "ERR": "exit", "STOPPED": "stopped", "LOST": "lost"}
PAGE = 5000


def fill(rows: int, days: int, now: float) -> None:
    """rows statistics rows, ending evenly over the days before now, and 200 renders."""
    rng = random.Random(1)
    span = days * 86400
    for first in range(0, rows, PAGE):
        page = []
        for n in range(first, min(rows, first + PAGE)):
            done = now - span + span * n / rows
            run_time = rng.uniform(30, 3600)
            state = rng.choice(STATES)
            page.append(
                (
                    n // 100,
                    0,
                    n % 100,
                    1,
                    f"shot_{n // 100}",
                    "main",
                    f"user{n % 40}",
                    f"service{n % 8}",
                    f"render{n % 200:03d}",
                    f"/pool{n % 5}",
                    f"project{n % 12}",
                    f"dept{n % 6}",
                    state,
                    0,
                    None,
                    KINDS[state],
                    done - run_time,
                    done,
                    run_time,
                    rng.uniform(500, 30000),
                    run_time * 0.9,
                    1000,
                )
            )
        fields = [field for field in StatRun._meta.sorted_fields]
        StatRun.insert_many(page, fields=fields).execute()
    RenderRow.insert_many(
        [
            {"id": n + 1, "name": f"render{n:03d}", "capacity": 4000, "max_tasks": 4}
            for n in range(200)
        ]
    ).execute()


def requests() -> list[tuple[str, dict]]:
    """Every statistics endpoint, each grouping of the grouped ones."""
    asked = [("over-time", {"by": by}) for by in statistics.GROUPS]
    asked += [("breakdown", {"by": by}) for by in statistics.GROUPS]
    return [*asked, ("slowest", {"limit": 100}), ("utilisation", {})]


def measure(url: str, folder: Path, repeats: int, now: float) -> dict[str, list[float]]:
    """Milliseconds of each request by range, on a server opening the store at url."""
    farm = LocalFarm(folder)
    farm.start_server("--db", url, timeout=120)
    times: dict[str, list[float]] = {}
    try:
        for name, span in RANGES.items():
            for _ in range(repeats):
                for what, query in requests():
                    start = time.perf_counter()
                    farm.client.stats(what, start=now - span, end=now, **query)
                    elapsed = (time.perf_counter() - start) * 1000
                    times.setdefault(f"{name}: {what} {query.get('by', '')}".strip(), []).append(
                        elapsed
                    )
    finally:
        farm.stop()
    return times


def run(url: str, label: str, rows: int, days: int, repeats: int) -> None:
    now = time.time()
    db = open_database(url)
    started = time.perf_counter()
    with db.atomic():
        fill(rows, days, now)
    print(f"{label}: {rows:,} rows filled in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    with db.atomic():
        stat_sums.resum_all()
    print(f"{label}: summed by period in {time.perf_counter() - started:.1f} s")
    db.close()
    with tempfile.TemporaryDirectory(prefix="corral-bench-") as folder:
        times = measure(url, Path(folder), repeats, now)
    worst = 0.0
    for key, values in times.items():
        worst = max(worst, max(values))
        print(f"{label}: {key}: median {median(values):.1f} ms, slowest {max(values):.1f} ms")
    print(f"{label}: slowest answer of all: {worst:.1f} ms ({'<' if worst < 300 else '>='} 300)")
    every = [value for values in times.values() for value in values]
    record(
        "stats_queries",
        f"{label}, {rows:,} runs: a stats answer",
        every,
        "ms",
        "< 300 ms",
        worst < 300,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL at 127.0.0.1:5432")
    args = parser.parse_args()
    if not args.postgres:
        with tempfile.TemporaryDirectory(prefix="corral-stats-") as folder:
            url = f"sqlite:///{Path(folder) / 'corral.db'}"
            run(url, "SQLite", args.rows, args.days, args.repeats)
        return
    with scratch_database() as url:
        run(url, "PostgreSQL", args.rows, args.days, args.repeats)


if __name__ == "__main__":
    main()
