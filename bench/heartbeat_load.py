"""Heartbeat load: the server's CPU while N idle renders heartbeat with their resources.

A real server process (bench/local_farm.py) and N simulated renders (bench/simfarm.py: a real
WebSocket per render speaking the render protocol) in one or more load-generator processes,
each render sending a heartbeat every --period seconds with a realistic `resources` object
(~1.2 KB of JSON: the CPU split, load, memory, swap, disk, network, a GPU and a few custom
meters, as app/render/resources.py reports them). No jobs: this is the idle farm's cost.

Per farm size in --renders, on a fresh server: connect and register every render, wait
--settle seconds, then --repeats consecutive windows of --window seconds. Per window:

- server CPU: user + system time of the server process over wall time (% of one core);
- heartbeats/s sent by the generators, and received: the server's resource history of
  --check renders (GET /api/v1/renders/{name}/resources?since=...), scaled to N;
- each generator's own CPU (% of one core) and its event loop's worst lateness: a generator
  near a full core, or late by a good part of the period, cannot keep the offered load and
  says so (the figures of that size are then a lower bound).

Target: 5,000 renders at a 5 s heartbeat under 30 % of one core.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import multiprocessing
import random
import statistics
import tempfile
import time
import urllib.request

import psutil

from bench.local_farm import LocalFarm
from bench.report import machine, record, spread

TARGET_RENDERS = 5000
TARGET_PERIOD = 5.0
TARGET_PERCENT = 30.0
PER_GENERATOR = 5000  # renders per load-generator process by default
SATURATED_CPU = 0.85  # a generator above this share of a core may not keep up


def resources(seed: int = 0) -> dict:
    """A heartbeat's resources as a 16-core Linux render with one GPU reports them."""
    rng = random.Random(seed)
    user = round(rng.uniform(0, 90), 1)
    system = round(rng.uniform(0, 8), 1)
    return {
        "cpu_count": 16,
        "cpu_mhz": 3400,
        "cpu_user": user,
        "cpu_nice": 0.0,
        "cpu_system": system,
        "cpu_idle": round(100 - user - system - 0.3, 1),
        "cpu_iowait": 0.2,
        "cpu_irq": 0.0,
        "cpu_softirq": 0.1,
        "cpu_loadavg1": 7.42,
        "cpu_loadavg5": 6.9,
        "cpu_loadavg15": 5.12,
        "mem_total_mb": 65536,
        "mem_free_mb": 40211,
        "mem_available_mb": 40211,
        "mem_unused_mb": 20177,
        "mem_cached_mb": 19876,
        "mem_buffers_mb": 312,
        "swap_total_mb": 8192,
        "swap_used_mb": 12,
        "hdd_path": "/var/tmp",
        "hdd_total_gb": 931.5,
        "hdd_free_gb": 412.77,
        "hdd_rd_kbsec": 1534.2,
        "hdd_wr_kbsec": 88.0,
        "hdd_busy": 3.1,
        "net_recv_kbsec": 20488.5,
        "net_send_kbsec": 312.4,
        "logged_in_users": ["artist"],
        "gpu": {
            "name": "NVIDIA RTX A5000",
            "util": 97.0,
            "mem_total_mb": 24564.0,
            "mem_used_mb": 18022.0,
            "mem_free_mb": 6542.0,
            "temp": 71.0,
            "count": 2,
        },
        "gpu_mem_free_mb": 6542.0,
        "custom": {
            "disk_io.value": 1.6,
            "disk_io.max": 100.0,
            "disk_io.label": "disk 1.6 MB/s",
            "disk_io.colour": "#40a060",
            "disk_io.tooltip": "all disks: read 1.53 MB/s, write 0.09 MB/s",
            "licences.value": 3,
            "licences.max": 8,
            "licences.label": "arnold 3/8",
            "scratch.value": 44.3,
            "scratch.label": "scratch 44 %",
        },
    }


def generator(url: str, secret: str, first: int, count: int, period: float, conn) -> None:
    """A load-generator process: `count` simulated renders, named hb<first>.. onwards.

    Answers every message from the parent with (heartbeats sent, own CPU seconds, perf_counter,
    worst event-loop lateness since the previous message, disconnects); None stops it."""
    from bench.simfarm import SimFarm

    async def main() -> None:
        sim = SimFarm(
            url, count, heartbeat_period=period, resources=resources(first), farm_secret=secret
        )
        sent = [0]
        for i, render in enumerate(sim.renders):
            render.name = f"hb{first + i:05d}"
            send = render._send

            async def counted(message: dict, send=send) -> None:
                if message["type"] == "heartbeat":
                    sent[0] += 1
                await send(message)

            render._send = counted
        lag = [0.0]

        async def watch() -> None:  # how late the loop wakes a 50 ms sleep
            while True:
                t0 = time.perf_counter()
                await asyncio.sleep(0.05)
                lag[0] = max(lag[0], time.perf_counter() - t0 - 0.05)

        watcher = asyncio.create_task(watch())
        loop = asyncio.get_running_loop()
        try:
            await sim.start()
            conn.send(("registered", count))
            while await loop.run_in_executor(None, conn.recv) is not None:
                conn.send(
                    (sent[0], time.process_time(), time.perf_counter(), lag[0], sim.disconnects)
                )
                lag[0] = 0.0
        finally:
            watcher.cancel()
            await sim.stop()

    try:
        asyncio.run(main())
    except Exception as error:  # the parent waits for an answer: give it the error
        conn.send(("error", repr(error)))
        raise


def received(farm: LocalFarm, names: list[str], since: float, until: float) -> int:
    """Heartbeats with resources the server recorded for these renders in (since, until]."""
    total = 0
    for name in names:
        url = f"{farm.url}/api/v1/renders/{name}/resources?since={since}"
        request = urllib.request.Request(url, headers=farm.auth_header)
        with urllib.request.urlopen(request, timeout=60) as answer:
            total += sum(1 for s in json.load(answer)["samples"] if s["time"] <= until)
    return total


def ask(pipes: list) -> list[tuple]:
    for pipe in pipes:
        pipe.send("mark")
    answers = [pipe.recv() for pipe in pipes]
    for answer in answers:
        if answer[0] == "error":
            raise RuntimeError(f"load generator failed: {answer[1]}")
    return answers


def measure(
    renders: int,
    period: float,
    generators: int,
    settle: float,
    window: float,
    repeats: int,
    check: int,
) -> list[dict]:
    """One farm size on a fresh server: `repeats` windows of `window` seconds."""
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="corral-bench-") as folder:
        farm = LocalFarm(folder)
        # zombie time well above the period: a late generator must not get its renders dropped
        farm.start_server("--heartbeat", str(period))
        procs, pipes = [], []
        try:
            share = math.ceil(renders / generators)
            for g in range(generators):
                first, count = g * share, min(share, renders - g * share)
                ours, theirs = context.Pipe()
                proc = context.Process(
                    target=generator,
                    args=(farm.url, farm.farm_secret, first, count, period, theirs),
                    daemon=True,
                )
                proc.start()
                procs.append(proc)
                pipes.append(ours)
            t0 = time.perf_counter()
            for pipe in pipes:
                answer = pipe.recv()
                if answer[0] == "error":
                    raise RuntimeError(f"load generator failed: {answer[1]}")
            print(f"   {renders} renders registered in {time.perf_counter() - t0:.1f} s")
            time.sleep(settle)
            server = psutil.Process(farm.server.pid)
            names = [
                f"hb{n:05d}" for n in random.Random(1).sample(range(renders), min(check, renders))
            ]
            windows = []
            before = ask(pipes)
            cpu0, wall0, epoch0 = sum(server.cpu_times()[:2]), time.perf_counter(), time.time()
            for _ in range(repeats):
                time.sleep(window)
                cpu1, wall1, epoch1 = sum(server.cpu_times()[:2]), time.perf_counter(), time.time()
                after = ask(pipes)
                wall = wall1 - wall0
                got = received(farm, names, epoch0, epoch1)
                pairs = list(zip(after, before, strict=True))
                windows.append(
                    {
                        "server_cpu_percent": 100 * (cpu1 - cpu0) / wall,
                        "sent_per_s": sum(a[0] - b[0] for a, b in pairs) / wall,
                        "received_per_s": got / len(names) * renders / (epoch1 - epoch0),
                        "generator_cpu": [(a[1] - b[1]) / (a[2] - b[2]) for a, b in pairs],
                        "generator_lag_s": max(a[3] for a in after),
                        "disconnects": sum(a[4] for a in after),
                        "server_rss_mb": server.memory_info().rss / 2**20,
                    }
                )
                before = ask(pipes)  # the history queries are not part of the next window
                cpu0, wall0, epoch0 = sum(server.cpu_times()[:2]), time.perf_counter(), time.time()
        finally:
            for pipe in pipes:
                with contextlib.suppress(OSError):
                    pipe.send(None)
            for proc in procs:
                proc.join(60)
                if proc.is_alive():
                    proc.terminate()
            farm.stop()
    return windows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--renders", default="1000,5000,10000", help="farm sizes")
    parser.add_argument("--period", type=float, default=5.0, help="heartbeat period, s")
    parser.add_argument("--window", type=float, default=30.0, help="measuring window, s")
    parser.add_argument("--repeats", type=int, default=3, help="windows per farm size")
    parser.add_argument("--settle", type=float, default=None, help="s (default: 2 periods)")
    parser.add_argument(
        "--generators",
        type=int,
        default=0,
        help=f"load-generator processes (default: one per {PER_GENERATOR:,} renders)",
    )
    parser.add_argument(
        "--check", type=int, default=20, help="renders whose history counts the received beats"
    )
    args = parser.parse_args()
    settle = 2 * args.period if args.settle is None else args.settle
    size = len(json.dumps(resources(), separators=(",", ":")))
    print(f"machine: {machine()}")
    print(
        f"heartbeat every {args.period:g} s with {size} bytes of resources; {args.repeats} "
        f"windows of {args.window:g} s after {settle:g} s settling"
    )
    for renders in [int(n) for n in args.renders.split(",")]:
        generators = args.generators or math.ceil(renders / PER_GENERATOR)
        print(f"-- {renders} renders, {generators} load generator(s)")
        windows = measure(
            renders, args.period, generators, settle, args.window, args.repeats, args.check
        )
        cpu = [w["server_cpu_percent"] for w in windows]
        sent = [w["sent_per_s"] for w in windows]
        got = [w["received_per_s"] for w in windows]
        own = [max(w["generator_cpu"]) for w in windows]
        lag = max(w["generator_lag_s"] for w in windows)
        print(f"server CPU, % of one core:         {spread(cpu)}")
        print(
            f"server CPU per 1,000 beats/s, %:   "
            f"{spread([c / s * 1000 for c, s in zip(cpu, sent, strict=True)])}"
        )
        print(f"heartbeats/s sent (offered {renders / args.period:,.0f}): {spread(sent)}")
        print(f"heartbeats/s received (from {args.check} histories): {spread(got)}")
        print(f"server RSS, MB:                    {spread([w['server_rss_mb'] for w in windows])}")
        print(f"busiest generator CPU, cores:      {spread(own)}")
        print(f"generator loop lateness, worst:    {lag * 1000:.0f} ms")
        print(f"renders disconnected:              {max(w['disconnects'] for w in windows)}")
        saturated = statistics.median(own) > SATURATED_CPU or lag > args.period / 2
        saturated |= statistics.median(sent) < 0.9 * renders / args.period
        if saturated:
            print(
                "WARNING: a load generator is saturated (CPU, lateness or beats short "
                "of the offered load): the server figures are a lower bound"
            )
        bench = f"heartbeat_load ({args.period:g} s period)"
        target, met = "", None
        if renders == TARGET_RENDERS and args.period == TARGET_PERIOD:
            target = f"< {TARGET_PERCENT:.0f} % of one core"
            met = statistics.median(cpu) < TARGET_PERCENT
            print(
                f"target: {renders} renders at a {args.period:g} s heartbeat {target}: "
                f"{'met' if met else 'MISSED'}"
            )
        record(bench, f"server CPU, {renders:,} renders", cpu, "% of one core", target, met)
        record(bench, f"heartbeats/s received, {renders:,} renders", got, "beats/s")
        record(
            bench,
            f"busiest generator CPU, {renders:,} renders" + (" (SATURATED)" if saturated else ""),
            own,
            "cores",
        )


if __name__ == "__main__":
    main()
