"""Monitor benchmark: 5,000 jobs in the jobs view with 100 job updates per second.

Synthetic job summaries (the shape of app/core/jobs.py Job.summary, with blocks) go through the
same slot the live events use: `client.jobs_changed` is emitted with a batch of changed jobs
every PUSH_PERIOD (as the server's event hub coalesces them), on the qasync loop, with the jobs
view shown (offscreen) and sorted by progress, so re-sorts and repaints are part of the cost.

Figures: the time of one update (the emit, i.e. every connected slot) as median and p99, and the
event loop's latency: a 5 ms QTimer probe, its largest gap over the run minus 5 ms. Target: the
UI thread never blocks more than 50 ms.

    .venv/bin/python -m bench.monitor_jobs [--jobs 5000] [--rate 100] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import qasync  # noqa: E402
from PyQt6.QtCore import QTimer  # noqa: E402
from PyQt6.QtWidgets import QApplication  # noqa: E402

from bench.report import machine, percentile, record, spread  # noqa: E402

PUSH_PERIOD = 0.25  # the server's event hub pushes changed jobs this often
PROBE_MS = 5
TARGET_MS = 50.0
USERS = ("ann", "bob", "cho", "dev", "eve", "fay")


def block_summary(num: int, total: int, done: int, running: int) -> dict:
    return {
        "num": num,
        "name": f"block{num}",
        "service": "generic",
        "numeric": True,
        "capacity": 1000,
        "state": "RUN" if running else "RDY",
        "waiting": "",
        "error_hosts": [],
        **counters(total, done, running),
    }


def counters(total: int, done: int, running: int, errors: int = 0) -> dict:
    return {
        "tasks_total": total,
        "tasks_ready": total - done - running - errors,
        "tasks_running": running,
        "tasks_done": done,
        "tasks_error": errors,
        "tasks_skipped": 0,
        "tasks_waiting_reconnect": 0,
        "tasks_waiting_depends": 0,
        "tasks_suspended": 0,
    }


def job_summary(job_id: int, rng: random.Random, now: float) -> dict:
    total = rng.choice((10, 50, 100, 250, 1000))
    done = rng.randrange(total)
    running = min(total - done, rng.randrange(8))
    return {
        "id": job_id,
        "name": f"shot{job_id:05d}_render",
        "user_name": rng.choice(USERS),
        "host_name": "ws01",
        "priority": rng.randrange(50, 150),
        "state": "RUN" if running else "RDY",
        "offline": False,
        "max_running_tasks": -1,
        "annotation": "",
        "waiting": "",
        "order": job_id,
        "time_created": now - 3600 + job_id * 0.5,
        "time_started": now - 60,
        "time_done": None,
        **counters(total, done, running),
        "blocks": [block_summary(0, total, done, running), block_summary(1, 10, 0, 0)],
    }


def advance(job: dict, rng: random.Random) -> dict:
    """The job a little later: a few more tasks done."""
    total, done = job["tasks_total"], min(job["tasks_total"], job["tasks_done"] + rng.randint(1, 3))
    running = min(total - done, rng.randrange(8))
    state = "DON" if done == total else "RUN"
    block = {**job["blocks"][0], **counters(total, done, running), "state": state}
    return {
        **job,
        **counters(total, done, running),
        "state": state,
        "blocks": [block, job["blocks"][1]],
    }


def make_view(client):
    from app.ui.jobs_view import JobsView

    return JobsView(client)


async def run(jobs_count: int, rate: int, seconds: float) -> dict:
    from app.ui.app import quiet_collector
    from app.ui.client import FarmClient
    from app.ui.jobs_model import PROGRESS

    rng = random.Random(7)
    client = FarmClient("http://127.0.0.1:9")  # never started: the signals are fed by hand
    view = make_view(client)
    view.resize(1400, 900)
    view.show()
    now = time.time()
    jobs = [job_summary(i + 1, rng, now) for i in range(jobs_count)]
    started = time.perf_counter()
    client.jobs_changed.emit(jobs)
    load = time.perf_counter() - started
    view.model.sort(PROGRESS)
    collector = quiet_collector()  # the monitor's garbage collector policy (app/ui/app.py)
    await asyncio.sleep(1.0)  # the first paint and sort of the whole list are not the steady state

    gaps: list[float] = []
    last = time.perf_counter()

    def probe() -> None:
        nonlocal last
        tick = time.perf_counter()
        gaps.append(tick - last)
        last = tick

    timer = QTimer(interval=PROBE_MS)
    timer.timeout.connect(probe)
    timer.start()
    per_batch = max(1, round(rate * PUSH_PERIOD))
    updates: list[float] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        batch = []
        for index in rng.sample(range(jobs_count), per_batch):
            jobs[index] = advance(jobs[index], rng)
            batch.append(jobs[index])
        started = time.perf_counter()
        client.jobs_changed.emit(batch)
        updates.append(time.perf_counter() - started)
        await asyncio.sleep(PUSH_PERIOD)
    timer.stop()
    collector.stop()
    view.close()
    worst = (max(gaps[1:]) - PROBE_MS / 1000) * 1000
    return {
        "load_s": load,
        "updates_ms": [u * 1000 for u in updates],
        "worst_gap_ms": worst,
        "gaps": len(gaps),
        "per_batch": per_batch,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--rate", type=int, default=100, help="job updates per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        result = runner.run(run(args.jobs, args.rate, args.seconds))
    updates = result["updates_ms"]
    print(
        f"monitor_jobs: {args.jobs} jobs, {args.rate} updates/s ({result['per_batch']} jobs "
        f"every {PUSH_PERIOD} s) for {args.seconds:.0f} s; {machine()}"
    )
    print(f"  first load of {args.jobs} jobs: {result['load_s'] * 1000:.0f} ms")
    print(f"  model update (ms): {spread(updates)}, p99 {percentile(updates, 99):.3g}")
    worst = result["worst_gap_ms"]
    print(
        f"  event loop latency, worst ({result['gaps']} probes of {PROBE_MS} ms): "
        f"{worst:.1f} ms (target < {TARGET_MS:.0f} ms)"
    )
    record(
        "monitor_jobs", f"model update median, {args.jobs} jobs", statistics.median(updates), "ms"
    )
    record("monitor_jobs", "model update p99", percentile(updates, 99), "ms")
    record(
        "monitor_jobs",
        f"event loop worst latency at {args.rate} updates/s",
        worst,
        "ms",
        f"< {TARGET_MS:.0f} ms",
        worst < TARGET_MS,
    )


if __name__ == "__main__":
    main()
