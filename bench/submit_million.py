"""Submit a paused 1,000,000-task numeric job: accept time, server RSS growth, query latency;
and the round trip of submitting a small job, 300 in a row (under one user's default jobs per
minute, app/core/quotas.py).

Target: accepted in < 2 s with < 100 MB RSS growth on a 2-core machine.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import psutil

from app.api import numeric_job
from bench.local_farm import LocalFarm
from bench.report import machine, record, spread


def timed(call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def run(repeats: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="corral-bench-") as folder:
        farm = LocalFarm(folder)
        farm.start_server()
        try:
            server = psutil.Process(farm.server.pid)
            client = farm.client
            client.submit(numeric_job("warm-up", "true", 1, 10, paused=True))
            accept, growth = [], []
            for i in range(repeats):
                job = numeric_job(f"million-{i}", "render -f @####@", 1, 1_000_000, paused=True)
                before = server.memory_info().rss
                seconds = timed(lambda job=job: client.submit(job))
                accept.append(seconds)
                growth.append((server.memory_info().rss - before) / 2**20)
            job_id = client.jobs()[-1]["id"]
            job_list = [timed(client.jobs) * 1000 for _ in range(20)]
            last_page = [
                timed(lambda: client.tasks(job_id, 0, 999_900, 100)) * 1000 for _ in range(20)
            ]
            small_jobs = [numeric_job(f"small-{i}", "true", 1, 10, paused=True) for i in range(300)]
            small = [timed(lambda job=job: client.submit(job)) * 1000 for job in small_jobs]
        finally:
            farm.stop()
    return {
        "accept_s": accept,
        "rss_mb": growth,
        "jobs_ms": job_list,
        "page_ms": last_page,
        "small_ms": small,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    figures = run(args.repeats)
    print(f"machine: {machine()}")
    print(f"1M-task job accepted in s:       {spread(figures['accept_s'])}")
    print(f"server RSS growth per job, MB:   {spread(figures['rss_mb'])}")
    print(f"job list latency, ms:            {spread(figures['jobs_ms'])}")
    print(f"last task page (100) latency, ms: {spread(figures['page_ms'])}")
    print(f"small job (10 tasks) submit, ms:  {spread(figures['small_ms'])}")
    ok = statistics.median(figures["accept_s"]) < 2 and statistics.median(figures["rss_mb"]) < 100
    print(f"target (< 2 s, < 100 MB): {'met' if ok else 'MISSED'}")
    bench = "submit_million"
    accept = figures["accept_s"]
    record(bench, "1M-task job accepted", accept, "s", "< 2 s", statistics.median(accept) < 2)
    growth = figures["rss_mb"]
    record(
        bench,
        "server RSS growth per job",
        growth,
        "MB",
        "< 100 MB",
        statistics.median(growth) < 100,
    )
    record(bench, "job list latency", figures["jobs_ms"], "ms")
    record(bench, "last task page (100) latency", figures["page_ms"], "ms")
    record(bench, "small job (10 tasks) submit", figures["small_ms"], "ms")


if __name__ == "__main__":
    main()
