"""Dispatch with simulated renders: how fast the server hands out tasks, and how soon.

A real server process and N simulated renders (bench/simfarm.py: real WebSockets, the real
render protocol, tasks that finish at once) in this process. Per repeat, on a fresh server:

1. submit→first-start: with every render idle, a 1-task job; from just before the POST to the
   moment its `assign` reaches a render; `--probes` times → p50, p99.
2. dispatch rate: one numeric job of `--tasks` tasks; task starts per second from its first to
   its last `assign`, and tasks per second from the POST until the job is DONE.
3. finish→next-start: on each render, from sending a result to receiving its next `assign`,
   during (2) → p50, p99; and result→ack (the result committed), which bounds "until DONE".
   With instant tasks every render is always waiting, so this is queueing (Little's law: N
   renders / starts per second), not the server's latency.
4. finish→next-start under a realistic load: tasks that take --task-seconds (uniform between
   two bounds, default 0.5-1.5 s: with 1,000 renders about 1,000 tasks/s offered), a job of
   --tasks-per-render tasks per render; the gap from a result to the next `assign` on the
   same render is then the server's own reaction time → p50, p99.

Targets (this benchmark's brief): >= 1,000 task starts/s with 1,000 renders; submit→first-start
p50 < 20 ms and p99 < 100 ms; finish→next-start p50 < 5 ms under a realistic load.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from functools import partial

import aiohttp
import psutil

from app.api import numeric_job
from bench.local_farm import LocalFarm
from bench.report import machine, percentile, rates, record, spread
from bench.simfarm import SimFarm


class Server:
    """The REST calls this benchmark makes, on the benchmark's event loop."""

    def __init__(self, http: aiohttp.ClientSession, url: str) -> None:
        self.http = http
        self.api = url + "/api/v1"

    async def submit(self, job: dict) -> int:
        async with self.http.post(self.api + "/jobs", json=job) as answer:
            answer.raise_for_status()
            return (await answer.json())["id"]

    async def wait_done(self, job_id: int, every: float = 0.02) -> float:
        """perf_counter when the job was first seen DONE."""
        while True:
            async with self.http.get(f"{self.api}/jobs/{job_id}") as answer:
                if (await answer.json())["state"] == "DON":
                    return time.perf_counter()
            await asyncio.sleep(every)


async def submit_latency(server: Server, sim: SimFarm, probes: int) -> dict:
    """submit→first-start of 1-task jobs, one at a time, every render idle."""
    latency, post = [], []
    for i in range(probes):
        job = numeric_job(f"probe-{i}", "true", 1, 1, user_name="bench")
        t0 = time.perf_counter()
        job_id = await server.submit(job)
        post.append(time.perf_counter() - t0)
        started = partial(sim.first_assign_after, t0, job_id)
        await sim.wait(started)
        latency.append(started() - t0)
        await server.wait_done(job_id)
        await sim.wait(lambda: sim.acked == sim.results)
    return {"latency": latency, "post": post}


async def dispatch_rate(server: Server, sim: SimFarm, tasks: int, server_pid: int) -> dict:
    """One job of `tasks` instant tasks: starts per second, finish→next-start, CPU used."""
    sim.reset()
    server_cpu = psutil.Process(server_pid)
    cpu0, own0 = sum(server_cpu.cpu_times()[:2]), time.process_time()
    t0 = time.perf_counter()
    job_id = await server.submit(numeric_job("dispatch", "true", 1, tasks, user_name="bench"))
    await sim.wait(lambda: sim.acked >= tasks, timeout=max(120, tasks / 50))
    done = await server.wait_done(job_id)
    wall = time.perf_counter() - t0
    server_seconds = sum(server_cpu.cpu_times()[:2]) - cpu0
    starts = [t for t, job in zip(sim.assign_times, sim.assign_jobs, strict=True) if job == job_id]
    return {
        "starts_per_s": (len(starts) - 1) / (starts[-1] - starts[0]),
        "done_per_s": tasks / (done - t0),
        "finish_to_next": sim.finish_to_next,
        "ack": sim.ack_latencies,
        "server_cpu": server_seconds / wall,
        "server_ms_per_task": server_seconds * 1000 / tasks,
        "sim_cpu": (time.process_time() - own0) / wall,
        "errors": len(sim.errors),
    }


async def realistic(server: Server, sim: SimFarm, tasks: int, seconds: tuple, pid: int) -> dict:
    """A job of tasks that take `seconds` (uniform between the bounds): finish→next-start."""
    sim.reset()
    sim.task_seconds = partial(random.uniform, *seconds)
    server_cpu = psutil.Process(pid)
    cpu0, t0 = sum(server_cpu.cpu_times()[:2]), time.perf_counter()
    job_id = await server.submit(numeric_job("realistic", "true", 1, tasks, user_name="bench"))
    timeout = max(120, 3 * tasks * max(seconds) / len(sim.renders))
    await sim.wait(lambda: sim.acked >= tasks, timeout=timeout)
    await server.wait_done(job_id)
    wall = time.perf_counter() - t0
    return {
        "real_finish_to_next": sim.finish_to_next,
        "real_starts_per_s": tasks / wall,
        "real_server_cpu": (sum(server_cpu.cpu_times()[:2]) - cpu0) / wall,
    }


async def measure(
    farm: LocalFarm,
    renders: int,
    tasks: int,
    probes: int,
    real_tasks: int,
    seconds: tuple | None,
) -> dict:
    sim = SimFarm(farm.url, renders, farm_secret=farm.farm_secret)
    server_pid = farm.server.pid
    try:
        await sim.start()
        async with aiohttp.ClientSession(headers=farm.auth_header) as http:
            server = Server(http, farm.url)
            latency = await submit_latency(server, sim, probes)
            rate = await dispatch_rate(server, sim, tasks, server_pid)
            real = {}
            if seconds and real_tasks:
                real = await realistic(server, sim, real_tasks * renders, seconds, server_pid)
    finally:
        await sim.stop()
    return {**latency, **rate, **real}


def run(
    renders: int, tasks: int, probes: int, real_tasks: int = 0, seconds: tuple | None = None
) -> dict:
    """One repeat on a fresh server: the figures of one farm size."""
    with tempfile.TemporaryDirectory(prefix="corral-bench-") as folder:
        farm = LocalFarm(folder)
        farm.start_server()
        try:
            return asyncio.run(measure(farm, renders, tasks, probes, real_tasks, seconds))
        finally:
            farm.stop()


def report(renders: int, runs: list[dict]) -> list[str]:
    def ms(values: list[float], q: float) -> list[float]:
        return [percentile(v, q) * 1000 for v in values]

    latency = [r["latency"] for r in runs]
    post = [r["post"] for r in runs]
    gap = [r["finish_to_next"] for r in runs]
    starts = [r["starts_per_s"] for r in runs]
    p50, p99 = ms(latency, 50), ms(latency, 99)
    print(f"-- {renders} simulated renders")
    print(f"task starts/s (first→last assign):  {rates(starts)}")
    print(f"tasks/s (submit→DONE):              {rates([r['done_per_s'] for r in runs])}")
    print(f"submit→first-start p50, ms:         {spread(p50)}")
    print(f"submit→first-start p99, ms:         {spread(p99)}")
    print(f"POST /jobs→201 p50, ms:             {spread(ms(post, 50))}")
    print(f"finish→next-start p50, ms:          {spread(ms(gap, 50))}")
    print(f"finish→next-start p99, ms:          {spread(ms(gap, 99))}")
    ack = [r["ack"] for r in runs]
    print(f"result→ack (committed) p50, s:      {spread([percentile(v, 50) for v in ack])}")
    print(f"result→ack (committed) p99, s:      {spread([percentile(v, 99) for v in ack])}")
    print(f"server CPU during dispatch, cores:  {spread([r['server_cpu'] for r in runs])}")
    print(f"load generator CPU, cores:          {spread([r['sim_cpu'] for r in runs])}")
    print(f"error messages from the server:     {sum(r['errors'] for r in runs)}")
    bench = "dispatch"
    verdicts = []
    met = statistics.median(starts) >= 1000 if renders >= 1000 else None
    if met is not None:
        verdicts.append(f"{renders} renders: >= 1,000 starts/s {'met' if met else 'MISSED'}")
    record(
        bench,
        f"task starts/s, {renders:,} renders",
        starts,
        "starts/s",
        ">= 1,000 with 1,000 renders" if met is not None else "",
        met,
    )
    record(
        bench,
        f"tasks/s submit→DONE, {renders:,} renders",
        [r["done_per_s"] for r in runs],
        "tasks/s",
    )
    met = statistics.median(p50) < 20 and statistics.median(p99) < 100
    verdicts.append(
        f"{renders} renders: submit→start p50 < 20 ms, p99 < 100 ms {'met' if met else 'MISSED'}"
    )
    record(
        bench,
        f"submit→first-start p50, {renders:,} renders",
        p50,
        "ms",
        "< 20 ms",
        statistics.median(p50) < 20,
    )
    record(
        bench,
        f"submit→first-start p99, {renders:,} renders",
        p99,
        "ms",
        "< 100 ms",
        statistics.median(p99) < 100,
    )
    record(
        bench,
        f"finish→next-start p50, instant tasks (queueing), {renders:,} renders",
        ms(gap, 50),
        "ms",
    )
    record(
        bench, f"result→ack p50, {renders:,} renders", [percentile(v, 50) * 1000 for v in ack], "ms"
    )
    record(
        bench,
        f"server CPU during dispatch, {renders:,} renders",
        [r["server_cpu"] for r in runs],
        "cores",
    )
    real = [r["real_finish_to_next"] for r in runs if r.get("real_finish_to_next")]
    if real:
        r50, r99 = ms(real, 50), ms(real, 99)
        offered = [r["real_starts_per_s"] for r in runs if "real_starts_per_s" in r]
        print(f"-- {renders} renders, tasks of {seconds_text(runs)}")
        print(f"tasks/s offered and run:            {rates(offered)}")
        print(f"finish→next-start p50, ms:          {spread(r50)}")
        print(f"finish→next-start p99, ms:          {spread(r99)}")
        cpu = [r["real_server_cpu"] for r in runs if "real_server_cpu" in r]
        print(f"server CPU, cores:                  {spread(cpu)}")
        met = statistics.median(r50) < 5
        verdicts.append(
            f"{renders} renders, realistic load: finish→next-start p50 < 5 ms "
            f"{'met' if met else 'MISSED'}"
        )
        label = f"finish→next-start p50, tasks of {seconds_text(runs)}, {renders:,} renders"
        record(bench, label, r50, "ms", "< 5 ms", met)
        record(bench, label.replace("p50", "p99"), r99, "ms")
        record(
            bench,
            f"tasks/s, tasks of {seconds_text(runs)}, {renders:,} renders",
            offered,
            "tasks/s",
        )
    return verdicts


def seconds_text(runs: list[dict]) -> str:
    return runs[0].get("seconds_text", "")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--renders", default="100,1000", help="farm sizes (default: 100,1000)")
    parser.add_argument("--tasks", type=int, default=20_000, help="tasks of the dispatch job")
    parser.add_argument("--probes", type=int, default=50, help="1-task jobs for the latency")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--task-seconds", default="0.5-1.5", help="realistic load: task s, LOW-HIGH ('' skips)"
    )
    parser.add_argument(
        "--tasks-per-render", type=int, default=5, help="realistic load: the job's tasks per render"
    )
    args = parser.parse_args()
    sizes = [int(n) for n in args.renders.split(",")]
    seconds = None
    if args.task_seconds:
        low, _, high = args.task_seconds.partition("-")
        seconds = (float(low), float(high or low))
    print(f"machine: {machine()}")
    print(f"{args.tasks} instant tasks, {args.probes} latency probes, {args.repeats} repeats")
    verdicts = []
    for renders in sizes:
        runs = [
            run(renders, args.tasks, args.probes, args.tasks_per_render, seconds)
            for _ in range(args.repeats)
        ]
        for r in runs:
            r["seconds_text"] = f"{args.task_seconds} s"
        verdicts += report(renders, runs)
    for verdict in verdicts:
        print(f"target: {verdict}")


if __name__ == "__main__":
    main()
