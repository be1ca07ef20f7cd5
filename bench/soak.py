"""Soak: a large farm at a short heartbeat, monitors watching, short tasks flowing for minutes.

A real server process (bench/local_farm.py, `--heartbeat PERIOD`) and, in this process:

- N simulated renders (bench/simfarm.py), each heartbeating every PERIOD with a realistic
  `resources` object (bench/heartbeat_load.py) and running one task at a time for a random
  --task-seconds;
- M monitors: WebSockets on GET /api/v1/events, reading every message the server pushes;
- a feeder keeping at least N ready tasks queued (a job of N tasks whenever fewer wait) and
  deleting finished jobs, so the farm's size stays the same for the whole run;
- a REST probe: GET /api/v1/health every 0.2 s; and the server's RSS every 5 s.

After every render and monitor has connected, it runs for --minutes and reports:

- errors: `error` messages to renders or monitors, dropped render or monitor sockets, failed
  REST calls (the target is none);
- scheduling latency: a render's result → its next `assign` (ready tasks always wait, so this
  is the server's reaction, not queueing for work); result→ack (the result committed);
- REST health round trip; server CPU; tasks/s;
- server RSS: the largest sample of the first and of the last window (a minute, or a third
  of a shorter run). The resource history keeps up to 800 samples a render (about 13 minutes
  at a 1 s heartbeat), so it grows by design during a 10-minute run; its estimated share is
  printed beside the growth;
- this process's CPU and its loop's worst lateness: a load generator near a full core cannot
  offer the load, and says so.

    python -m bench.soak                          # 2,000 renders, 50 monitors, 10 minutes
    python -m bench.soak --renders 100 --monitors 5 --minutes 0.2
"""

from __future__ import annotations

import argparse
import asyncio
import marshal
import random
import tempfile
import threading
import time
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from functools import partial

import aiohttp
import psutil

from app.api import numeric_job
from app.server.resource_history import DEFAULT_MAX_SAMPLES
from bench.dispatch import Server
from bench.heartbeat_load import resources
from bench.local_farm import LocalFarm
from bench.report import machine, percentile, record
from bench.simfarm import SimFarm

HEALTH_EVERY = 0.2  # seconds between REST probes
RSS_EVERY = 5.0  # seconds between RSS samples
FEED_EVERY = 0.5  # seconds between the feeder's looks at the queue
QUEUE_SECONDS = 5.0  # the feeder keeps this many seconds of work queued
SATURATED_CPU = 0.85  # this process above this share of a core may not offer the load


@dataclass
class Watch:
    """What the monitors, the REST probe and the sampler saw."""

    monitor_messages: int = 0
    monitor_bytes: int = 0
    monitor_errors: list[str] = field(default_factory=list)
    monitors_dropped: int = 0
    health: list[float] = field(default_factory=list)  # seconds per GET /health
    rest_failures: list[str] = field(default_factory=list)
    rss: list[tuple[float, float]] = field(default_factory=list)  # (seconds in, MB)
    lag: float = 0.0  # worst lateness of this process's loop, s
    stopping: bool = False


async def monitor(session: aiohttp.ClientSession, url: str, watch: Watch) -> None:
    """One monitor: read every event until the run ends."""
    async with session.ws_connect(url + "/api/v1/events", max_msg_size=0) as ws:
        async for frame in ws:
            if frame.type != aiohttp.WSMsgType.TEXT:
                break
            watch.monitor_messages += 1
            watch.monitor_bytes += len(frame.data)
            if frame.data.startswith('{"type":"error"'):
                watch.monitor_errors.append(frame.data[:200])
    if not watch.stopping:
        watch.monitors_dropped += 1


async def feed(server: Server, sim: SimFarm, queued: int) -> None:
    """Keep at least `queued` tasks waiting (a job of that many whenever fewer wait); delete
    jobs once done."""
    submitted, jobs = 0, deque()
    while True:
        if submitted - len(sim.assign_times) < queued:
            job = numeric_job(f"soak-{submitted}", "true", 1, queued, user_name="soak")
            jobs.append(await server.submit(job))
            submitted += queued
        while len(jobs) > 2:
            async with server.http.get(f"{server.api}/jobs/{jobs[0]}") as answer:
                answer.raise_for_status()
                if (await answer.json())["state"] != "DON":
                    break
            async with server.http.delete(f"{server.api}/jobs/{jobs.popleft()}") as answer:
                answer.raise_for_status()
        await asyncio.sleep(FEED_EVERY)


def probe(url: str, watch: Watch, stop: threading.Event) -> None:
    """GET /health every HEALTH_EVERY seconds, from a thread of its own: the round trip does
    not include this process's busy event loop."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    while not stop.wait(HEALTH_EVERY):
        t0 = time.perf_counter()
        try:
            with opener.open(url + "/api/v1/health", timeout=30) as answer:
                answer.read()
            watch.health.append(time.perf_counter() - t0)
        except OSError as error:
            watch.rest_failures.append(repr(error))


async def sample_rss(pid: int, t0: float, watch: Watch) -> None:
    server = psutil.Process(pid)
    while True:
        watch.rss.append((time.perf_counter() - t0, server.memory_info().rss / 2**20))
        await asyncio.sleep(RSS_EVERY)


async def watch_lag(watch: Watch) -> None:
    while True:
        t0 = time.perf_counter()
        await asyncio.sleep(0.05)
        watch.lag = max(watch.lag, time.perf_counter() - t0 - 0.05)


async def measure(farm: LocalFarm, args: argparse.Namespace) -> dict:
    seconds = partial(random.uniform, *args.seconds)
    sim = SimFarm(
        farm.url,
        args.renders,
        task_seconds=seconds,
        heartbeat_period=args.period,
        resources=resources(),
        farm_secret=farm.farm_secret,
    )
    watch = Watch()
    stop = threading.Event()
    background: list[asyncio.Task] = []
    async with aiohttp.ClientSession(headers=farm.auth_header) as http:
        try:
            t0 = time.perf_counter()
            await sim.start()
            print(f"   {args.renders} renders registered in {time.perf_counter() - t0:.1f} s")
            server = Server(http, farm.url)
            watchers = [monitor(http, farm.url, watch) for _ in range(args.monitors)]
            background += [asyncio.create_task(w) for w in watchers]
            sim.reset()
            # renders plus the tasks they finish in QUEUE_SECONDS: no render waits for work
            queued = args.renders + round(QUEUE_SECONDS * args.renders / min(args.seconds))
            server_process = psutil.Process(farm.server.pid)
            cpu0, own0 = sum(server_process.cpu_times()[:2]), time.process_time()
            start = time.perf_counter()
            background += [
                asyncio.create_task(feed(server, sim, queued)),
                asyncio.create_task(sample_rss(farm.server.pid, start, watch)),
                asyncio.create_task(watch_lag(watch)),
            ]
            prober = threading.Thread(target=probe, args=(farm.url, watch, stop), daemon=True)
            prober.start()
            duration = args.minutes * 60
            while time.perf_counter() - start < duration:
                await asyncio.sleep(min(10.0, duration))
                failed = [task for task in background if task.done()]
                if failed:
                    failed[0].result()  # a crashed helper ends the run with its error
                print(f"   {time.perf_counter() - start:.0f} s: {sim.acked:,} results acknowledged")
            wall = time.perf_counter() - start
            server_cpu = (sum(server_process.cpu_times()[:2]) - cpu0) / wall
            own_cpu = (time.process_time() - own0) / wall
            finished = sim.acked
        finally:
            watch.stopping = True
            stop.set()
            for task in background:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)
            await sim.stop()
    return {
        "wall": wall,
        "tasks_per_s": finished / wall,
        "scheduling": sim.finish_to_next,
        "ack": sim.ack_latencies,
        "server_cpu": server_cpu,
        "own_cpu": own_cpu,
        "server_errors": sim.errors,
        "disconnects": sim.disconnects,
        "watch": watch,
    }


def history_mb(renders: int, period: float, seconds: float) -> float:
    """Estimated resource history held after `seconds` (see app/server/resource_history.py)."""
    sample = len(marshal.dumps(list(resources().values()))) + 120  # tuple, time, deque slot
    return renders * min(seconds / period, DEFAULT_MAX_SAMPLES) * sample / 2**20


def report(args: argparse.Namespace, result: dict) -> bool:
    watch: Watch = result["watch"]
    ms = [1000 * percentile(result["scheduling"], q) for q in (50, 99, 100)]
    ack = [1000 * percentile(result["ack"], q) for q in (50, 99, 100)]
    health = [1000 * percentile(watch.health, q) for q in (50, 99, 100)]
    wall = result["wall"]
    window = min(60.0, wall / 3)
    first = max(mb for t, mb in watch.rss if t <= window)
    last = max(mb for t, mb in watch.rss if t >= wall - window)
    history = history_mb(args.renders, args.period, wall) - history_mb(
        args.renders, args.period, window
    )
    errors = {
        "error messages to renders": len(result["server_errors"]),
        "render sockets dropped": result["disconnects"],
        "error messages to monitors": len(watch.monitor_errors),
        "monitor sockets dropped": watch.monitors_dropped,
        "failed REST calls": len(watch.rest_failures),
    }
    total = sum(errors.values())
    print(f"-- {args.renders} renders, {args.monitors} monitors, {wall / 60:.1f} minutes")
    counts = ", ".join(f"{name} {count}" for name, count in errors.items())
    print(f"errors:                             {total} ({counts})")
    for text in (result["server_errors"] + watch.monitor_errors + watch.rest_failures)[:5]:
        print(f"   {text}")
    print(f"tasks/s:                            {result['tasks_per_s']:,.0f}")
    print("scheduling (result→next assign), ms: p50 {:.3g}, p99 {:.3g}, max {:.3g}".format(*ms))
    print("result→ack, ms:                     p50 {:.3g}, p99 {:.3g}, max {:.3g}".format(*ack))
    print("REST health, ms:                    p50 {:.3g}, p99 {:.3g}, max {:.3g}".format(*health))
    print(
        f"server RSS, MB:                     first {window:.0f} s max {first:.0f}, "
        f"last {window:.0f} s max {last:.0f} (+{last - first:.0f}; resource history "
        f"~+{history:.0f} by design)"
    )
    print(
        f"server RSS every {RSS_EVERY:g} s, MB:      "
        + " ".join(f"{mb:.0f}" for _, mb in watch.rss)
    )
    print(f"server CPU, cores:                  {result['server_cpu']:.2f}")
    print(
        f"monitor events:                     {watch.monitor_messages / wall / args.monitors:.1f} "
        f"messages/s and {watch.monitor_bytes / wall / args.monitors / 1024:.0f} KB/s a monitor"
    )
    print(f"load generator CPU, cores:          {result['own_cpu']:.2f}")
    print(f"load generator loop lateness, worst: {watch.lag * 1000:.0f} ms")
    if result["own_cpu"] > SATURATED_CPU or watch.lag > args.period:
        print("WARNING: the load generator is saturated: the server figures are a lower bound")
    size = f"{args.renders:,} renders, {args.monitors} monitors, {args.period:g} s heartbeat"
    bench = f"soak ({wall / 60:.2g} min)"
    record(bench, f"errors, {size}", total, "errors", "0", total == 0)
    record(bench, f"scheduling latency p99, {size}", ms[1], "ms")
    record(bench, f"result→ack p99, {size}", ack[1], "ms")
    record(bench, f"REST health p99, {size}", health[1], "ms")
    record(bench, f"server RSS growth, first to last window, {size}", last - first, "MB")
    return total == 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--renders", type=int, default=2000)
    parser.add_argument("--monitors", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--period", type=float, default=1.0, help="heartbeat period, s")
    parser.add_argument("--task-seconds", default="5-15", help="task length, s: LOW-HIGH")
    args = parser.parse_args()
    low, _, high = args.task_seconds.partition("-")
    args.seconds = (float(low), float(high or low))
    print(f"machine: {machine()}")
    print(
        f"{args.renders} renders at a {args.period:g} s heartbeat, {args.monitors} monitors, "
        f"tasks of {args.task_seconds} s, {args.minutes:g} minutes"
    )
    with tempfile.TemporaryDirectory(prefix="corral-bench-") as folder:
        farm = LocalFarm(folder)
        farm.start_server("--heartbeat", str(args.period))
        try:
            result = asyncio.run(measure(farm, args))
        finally:
            farm.stop()
    return 0 if report(args, result) else 1


if __name__ == "__main__":
    raise SystemExit(main())
