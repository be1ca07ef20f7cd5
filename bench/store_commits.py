"""Durable result commits per second, on SQLite and PostgreSQL.

In this process: the store opened with app.server.persistence.open_database (SQLite in a
temporary folder; PostgreSQL in a temporary database created on --postgres and dropped
afterwards, skipped with a message when the server does not answer) and the farm's journal
(app.server.persistence.Journal: one writer thread, group commit). Each result is written as the
farm writes it (app/server/persistence/records.py `finish_run`: a gzip output file in an
OutputStore, then the run's row upsert), and counts once its future resolves (its batch
committed). Two modes:

- concurrent: --records results queued from as many coroutines at once, each awaiting its own
  future (as the farm's `result` handlers do): commits per second through group commit;
- one at a time: --sequential results, each awaited before the next is written: the latency of
  one commit, and its inverse, commits per second with no batching.

SQLite runs as the server runs it (WAL, synchronous=NORMAL: a commit survives a crash of the
process, and the last commits may be lost on power failure); PostgreSQL with its own settings
(by default synchronous_commit=on: every commit is flushed to disk).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
from pathlib import Path

from app.server.persistence import Journal, OutputStore, open_database, records
from app.server.persistence.schema import RunRow
from bench.postgres import ADMIN_URL, scratch_database
from bench.report import machine, percentile, rates, record, spread


def outcome(n: int) -> dict:
    now = time.time()
    return {
        "state": "DON",
        "exit_code": 0,
        "signal": None,
        "error": None,
        "time_start": now - 1.0,
        "time_done": now,
        "peak_rss_mb": 812.5,
        "cpu_seconds": 14.2,
        "warnings": 0,
        "files": f'["/out/shot.{n:04d}.exr"]',
    }


def result(job: int, n: int, outputs: OutputStore) -> list:
    key = (job, 0, n, 1)
    text = f"Fra:{n} Mem:812.50M | Rendering 1 / 1 samples\nSaved: '/out/shot.{n:04d}.exr'\n"
    return records.finish_run(key, f"render{n % 100:03d}", outcome(n), outputs, text)


async def concurrent(journal: Journal, outputs: OutputStore, job: int, count: int) -> dict:
    async def one(n: int) -> float:
        t0 = time.perf_counter()
        await journal.write(result(job, n, outputs))
        return time.perf_counter() - t0

    batches = journal.batches
    t0 = time.perf_counter()
    latencies = await asyncio.gather(*(one(n) for n in range(count)))
    wall = time.perf_counter() - t0
    return {
        "rate": count / wall,
        "p50_ms": percentile(latencies, 50) * 1000,
        "batch": count / max(1, journal.batches - batches),
    }


async def one_at_a_time(journal: Journal, outputs: OutputStore, job: int, count: int) -> dict:
    latencies = []
    t0 = time.perf_counter()
    for n in range(count):
        t1 = time.perf_counter()
        await journal.write(result(job, n, outputs))
        latencies.append(time.perf_counter() - t1)
    wall = time.perf_counter() - t0
    return {
        "rate": count / wall,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
    }


async def measure(url: str, folder: Path, records_: int, sequential: int, repeats: int) -> dict:
    db = open_database(url)
    journal = Journal(db, asyncio.get_running_loop())
    outputs = OutputStore(folder / "outputs")
    figures = {"concurrent": [], "sequential": []}
    try:
        await concurrent(journal, outputs, 1, min(200, records_))  # warm-up
        for repeat in range(repeats):
            job = 10 + 2 * repeat  # fresh keys: every result is a new row, as on a farm
            figures["concurrent"].append(await concurrent(journal, outputs, job, records_))
            figures["sequential"].append(await one_at_a_time(journal, outputs, job + 1, sequential))
        await journal.flush()
        expected = 1 + repeats * 2
        jobs = RunRow.select(RunRow.job_id).distinct().count()
        if jobs != expected:
            raise RuntimeError(f"rows of {jobs} jobs in the store, expected {expected}")
    finally:
        journal.close()
        db.close()
    return figures


def report(store: str, figures: dict, records_: int, sequential: int) -> None:
    conc, seq = figures["concurrent"], figures["sequential"]
    print(f"-- {store}")
    print(f"concurrent ({records_:,} results), commits/s:  {rates([r['rate'] for r in conc])}")
    print(f"  results per committed batch:            {spread([r['batch'] for r in conc])}")
    print(f"  queued→committed p50, ms:               {spread([r['p50_ms'] for r in conc])}")
    print(f"one at a time ({sequential:,} results), commits/s: {rates([r['rate'] for r in seq])}")
    print(f"  per-commit latency p50, ms:             {spread([r['p50_ms'] for r in seq])}")
    print(f"  per-commit latency p99, ms:             {spread([r['p99_ms'] for r in seq])}")
    name = f"store_commits ({store})"
    record(name, "result commits/s, concurrent", [r["rate"] for r in conc], "commits/s")
    record(name, "result commits/s, one at a time", [r["rate"] for r in seq], "commits/s")
    record(name, "per-commit latency p50, one at a time", [r["p50_ms"] for r in seq], "ms")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=20_000, help="results, concurrent mode")
    parser.add_argument("--sequential", type=int, default=1000, help="results, one at a time")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--postgres",
        default=ADMIN_URL,
        help="an existing database's URL, on the server to benchmark; '' skips PostgreSQL",
    )
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(f"{args.repeats} repeats; each result: a gzip output file, then its run row")
    with tempfile.TemporaryDirectory(prefix="corral-bench-") as folder:
        url = f"sqlite:///{Path(folder) / 'corral.db'}"
        figures = asyncio.run(
            measure(url, Path(folder), args.records, args.sequential, args.repeats)
        )
        report("SQLite, WAL", figures, args.records, args.sequential)
    if not args.postgres:
        return
    with contextlib.ExitStack() as stack:
        try:
            pg_url = stack.enter_context(scratch_database(args.postgres))
        except Exception as error:  # psycopg2 missing, server down, no rights: say so, go on
            print(f"-- PostgreSQL: skipped ({args.postgres} not usable: {str(error).strip()})")
            return
        with tempfile.TemporaryDirectory(prefix="corral-bench-") as folder:
            figures = asyncio.run(
                measure(pg_url, Path(folder), args.records, args.sequential, args.repeats)
            )
            report("PostgreSQL", figures, args.records, args.sequential)


if __name__ == "__main__":
    main()
