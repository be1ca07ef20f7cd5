"""Sequential REST round trips on a real server: p50 of reading a job and of a job action.

What one request of a person or a script costs, its authentication included. bench/ab.py runs it
for a revision and this tree in turn (`--rest N`).

    python -m bench.rest_latency --requests 1000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from statistics import median

from app.api import numeric_job
from bench.local_farm import LocalFarm


def rest_latency(requests: int, code: Path | None = None) -> tuple[float, float]:
    """Milliseconds, p50, of GET /jobs/{id} and of POST /jobs/{id}/pause, taken in turn
    `requests` times each; `code`: another checkout of Corral to measure."""
    with tempfile.TemporaryDirectory(prefix="corral-bench-") as folder:
        farm = LocalFarm(folder, code)
        farm.start_server()
        try:
            job_id = farm.client.submit(numeric_job("rest", "true", 1, 1, paused=True))
            reads, actions = [], []
            for _ in range(requests):
                start = time.perf_counter()
                farm.client.job(job_id)
                reads.append(time.perf_counter() - start)
                start = time.perf_counter()
                farm.client.job_action(job_id, "pause")
                actions.append(time.perf_counter() - start)
            return median(reads) * 1000, median(actions) * 1000
        finally:
            farm.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    read, action = rest_latency(args.requests)
    print(f"GET a job p50 {read:.3f} ms, POST a job action p50 {action:.3f} ms")


if __name__ == "__main__":
    main()
