"""Run 2,000 `true` tasks on 4 local renders and report tasks per second.

The baseline is the physical limit of this machine: the same 2,000 commands run through a
shell by a plain pool of 4 local workers. Between the two, the protocol floor
(bench/protocol_floor.py): a bare WebSocket farm with one message each way per task and nothing
else, the least any farm written like Corral can do. The three take turns in each repeat, so
that the machine's ups and downs touch them alike.
Targets: >= 200 tasks/s; pool / farm < 1.3.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from statistics import median

from app.api import numeric_job
from bench.local_farm import LocalFarm
from bench.protocol_floor import floor_rate
from bench.report import CpuMeter, Leg, machine, record, spread


def farm_rate(tasks: int, renders: int, code: Path | None = None) -> Leg:
    """The farm's tasks per second and CPU per task (server, renders with their tasks); `code`:
    another checkout of Corral to measure."""
    with tempfile.TemporaryDirectory(prefix="corral-bench-") as folder:
        farm = LocalFarm(folder, code)
        farm.start_server()
        try:
            for i in range(renders):
                farm.start_render(f"bench{i}", 1)
            while len(farm.online_renders()) < renders:
                time.sleep(0.05)
            renders = [render.pid for render in farm.renders.values()]
            cpu = CpuMeter({"server": [farm.server.pid], "renders": renders})
            job_id = farm.client.submit(numeric_job("true", "true", 1, tasks))
            while (job := farm.client.job(job_id))["state"] != "DON":
                time.sleep(0.1)
            # the server's own times: from the first start to the last result, as for the floor
            rate = tasks / (job["time_done"] - job["time_started"])
            return Leg(rate, cpu.per_task(tasks))
        finally:
            farm.stop()


def pool_rate(tasks: int, workers: int) -> Leg:
    cpu = CpuMeter({"pool": [os.getpid()]})
    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(
            pool.map(lambda _: subprocess.run(["/bin/sh", "-c", "true"], check=True), range(tasks))
        )
    rate = tasks / (time.perf_counter() - start)
    return Leg(rate, cpu.per_task(tasks))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--renders", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    legs: dict[str, list[Leg]] = {"farm": [], "floor": [], "pool": []}
    for _ in range(args.repeats):
        legs["farm"].append(farm_rate(args.tasks, args.renders))
        legs["floor"].append(floor_rate(args.tasks, args.renders))
        legs["pool"].append(pool_rate(args.tasks, args.renders))
    farm, floor, pool = ([leg.rate for leg in legs[name]] for name in ("farm", "floor", "pool"))
    print(f"machine: {machine()}")
    print(f"farm, {args.renders} renders, tasks/s:   {spread(farm)}")
    print(f"protocol floor, {args.renders} renders, tasks/s: {spread(floor)}")
    print(f"local pool, {args.renders} workers, tasks/s: {spread(pool)}")
    for name, runs in legs.items():
        print(f"{name}: {median_leg(runs).cpu_text()}")
    ratio = median(pool) / median(farm)
    floor_ratio = median(pool) / median(floor)
    print(f"overhead ratio (pool / farm):   {ratio:.2f}")
    print(f"floor ratio (pool / floor):     {floor_ratio:.2f}")
    print(f"target (>= 200 tasks/s): {'met' if median(farm) >= 200 else 'MISSED'}")
    bench = f"true_tasks ({args.tasks:,} on {args.renders} renders)"
    record(bench, "farm throughput", farm, "tasks/s", ">= 200 tasks/s", median(farm) >= 200)
    record(bench, "protocol floor (bare WebSocket farm)", floor, "tasks/s")
    record(bench, "local process pool (baseline)", pool, "tasks/s")
    record(bench, "overhead ratio (pool / farm)", ratio, "x", "< 1.3", ratio < 1.3)
    record(bench, "floor ratio (pool / protocol floor)", floor_ratio, "x")
    for name, runs in legs.items():
        for part in runs[0].cpu:
            values = [leg.cpu[part] * 1000 for leg in runs]
            record(bench, f"CPU per task: {name}, {part}", values, "ms")


def median_leg(runs: list[Leg]) -> Leg:
    """The run with the median rate."""
    return sorted(runs, key=lambda leg: leg.rate)[len(runs) // 2]


if __name__ == "__main__":
    main()
