"""The cost of a `/metrics` scrape on a large farm, and that it does not grow with tasks.

A task life cycle (no server, no I/O) holds JOBS jobs of BLOCKS blocks and RENDERS online
renders; FarmMetrics.text() is timed with a few tasks a block and with many: the gauges read
per-block counts and per-render runs, so both take the same time.

    python -m bench.metrics_scrape --jobs 2000 --blocks 5 --renders 1000
"""

from __future__ import annotations

import argparse
import gc
import time

from app.core.jobs import Job
from app.core.jobspec import parse_job
from app.core.lifecycle import TaskLifecycle
from app.core.renders import Render
from app.core.users import User
from app.server.metrics import FarmMetrics
from bench.report import machine, record, spread


class _Quiet:
    """Changes that go nowhere: the scrape never reports any."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


def farm(jobs: int, blocks: int, tasks: int, renders: int) -> TaskLifecycle:
    lifecycle = TaskLifecycle(_Quiet(), clock=time.time)
    user = User(name="bench")
    for job_id in range(1, jobs + 1):
        block = {"numeric": True, "frame_first": 1, "frame_last": tasks, "command": "true"}
        spec = parse_job(
            {
                "name": f"job{job_id}",
                "user_name": "bench",
                "blocks": [{**block, "name": f"b{k}"} for k in range(blocks)],
            }
        )
        lifecycle.jobs[job_id] = Job(
            id=job_id, spec=spec, time_created=0.0, user=user, order=job_id
        )
    for n in range(renders):
        render = Render(id=n + 1, name=f"r{n}", online=True)
        lifecycle.renders[render.name] = render
        lifecycle.online[render.id] = render
    return lifecycle


def scrape_seconds(metrics: FarmMetrics, repeats: int) -> list[float]:
    gc.collect()  # not the building of the farm's garbage, collected in a scrape
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        metrics.text()
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--blocks", type=int, default=5)
    parser.add_argument("--renders", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(machine())
    for tasks in (10, 1000):
        lifecycle = farm(args.jobs, args.blocks, tasks, args.renders)
        ms = [s * 1000 for s in scrape_seconds(FarmMetrics(lifecycle), args.repeats)]
        size = f"{args.jobs} jobs x {args.blocks} blocks x {tasks} tasks, {args.renders} renders"
        print(f"scrape, {size}: {spread(ms)} ms")
        record("metrics_scrape", f"one /metrics scrape, {size}", ms, "ms")


if __name__ == "__main__":
    main()
