"""What a retention pass costs the journal's thread on a large store, rows found by key as
retention.py does now and as a row value IN a list (as before: SQLite scans the table for it).

In this process, on a real store (SQLite in a temporary folder, or PostgreSQL at
127.0.0.1:5432): --rows finished runs in run_row (oldest first, as a farm writes them), of which
the 2 x --aged oldest have aged past `runs_days`. The first --aged go in batches found the old
way, the next --aged the way retention.py finds them, each batch one transaction as the
journal runs it (`remove_batch` of the runs' `Kept`: their outputs, then their rows). Prints
the milliseconds a batch (median, min..max), each way's pass and the load average.

    python -m bench.retention_pass [--postgres] [--rows 1000000] [--aged 20000]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
import time
from pathlib import Path
from statistics import median

from peewee import Tuple

from app.server.persistence import open_database, retention
from app.server.persistence.outputs import OutputStore
from app.server.persistence.retention import BATCH, KEPT, remove_batch
from bench.postgres import scratch_database
from bench.report import record

START = 1_700_000_000.0
RUNS = next(kept for kept in KEPT if kept.setting == "runs_days")
FILL = """
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {last})
INSERT INTO run_row (job_id, block, task, run, render, state, exit_code, signal, error,
    time_start, time_done, output_size, peak_rss_mb, cpu_seconds, warnings, files, thumbnail)
SELECT i / 1000, 0, i - i / 1000 * 1000, 1, 'render' || (i / 1000), 'DON', 0, NULL, NULL,
    {start} + i - 60, {start} + i, 100, NULL, NULL, 0, '[]', {false} FROM n
"""


@contextlib.contextmanager
def as_before():
    """Rows found as a row value IN a list of keys, as retention.py did before."""
    kept = retention._among
    retention._among = lambda model, keys: Tuple(*model._meta.get_primary_keys()).in_(keys)
    try:
        yield
    finally:
        retention._among = kept


def fill(db, rows: int) -> None:
    false = "0" if db.param == "?" else "false"
    with db.atomic():
        db.execute_sql(FILL.format(last=rows - 1, start=START, false=false))


def measure(url: str, rows: int, aged: int, outputs: OutputStore) -> dict[str, list[float]]:
    """Milliseconds of wall time a batch, each way."""
    db = open_database(url)
    found: dict[str, list[float]] = {"row value IN": [], "keys by index": []}
    try:
        fill(db, rows)
        for number, (way, context) in enumerate(
            [("row value IN", as_before()), ("keys by index", contextlib.nullcontext())]
        ):
            before = START + (number + 1) * aged
            with context:
                while True:
                    count: list[int] = []
                    wall = time.perf_counter()
                    with db.atomic():
                        remove_batch(RUNS, before, outputs, BATCH, count)()
                    found[way].append((time.perf_counter() - wall) * 1000)
                    if count[0] < BATCH:
                        break
    finally:
        db.close()
    return found


def report(label: str, found: dict[str, list[float]], rows: int) -> None:
    for way, wall in found.items():
        print(
            f"{label}, {rows:,} runs, {way}: {median(wall):.1f} ms a batch of {BATCH}"
            f" ({min(wall):.1f}..{max(wall):.1f}), the pass {sum(wall) / 1000:.2f} s"
        )
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    record(
        "retention_pass", f"{label}: a batch of {BATCH} runs removed", found["keys by index"], "ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="runs in the store")
    parser.add_argument("--aged", type=int, default=20_000, help="aged runs removed each way")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL at 127.0.0.1:5432")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="corral-retention-") as folder:
        outputs = OutputStore(Path(folder) / "outputs")
        if not args.postgres:
            url = f"sqlite:///{Path(folder) / 'corral.db'}"
            report("SQLite", measure(url, args.rows, args.aged, outputs), args.rows)
            return
        with scratch_database() as url:
            report("PostgreSQL", measure(url, args.rows, args.aged, outputs), args.rows)


if __name__ == "__main__":
    main()
