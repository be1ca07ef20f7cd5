"""Saturation: instant tasks on 1,000+ simulated renders, how long a result waits for its ack.

A real server process and N simulated renders (bench/simfarm.py) that finish every task the
moment it is assigned, so the server's event loop is always busy. Per repeat, on a fresh server,
one numeric job of --tasks instant tasks (bench/dispatch.py's dispatch_rate): result→ack (a
render sending a result → its `ack`, i.e. the result committed and the acknowledgement sent)
p50, p99 and max, task starts/s and the server's CPU.

    python -m bench.saturation --renders 1000,2000 --tasks 40000

With --code DIR, the server is another checkout's (compare code in alternating runs); each
--server-arg is passed to `corral server` (e.g. --server-arg=--journal-backlog=500). The
server's CPU time per task is printed beside its share of a core: on a shared machine it is
the figure that compares.

With --profile FILE, py-spy (when installed) records the server during the first repeat's job
of the first farm size into FILE (an SVG flame graph, or speedscope JSON for a .json name).

Target: result→ack p99 < 1 s with 1,000 renders.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import aiohttp

from bench.dispatch import Server, dispatch_rate
from bench.local_farm import LocalFarm
from bench.report import machine, percentile, rates, record, spread
from bench.simfarm import SimFarm

TARGET_RENDERS = 1000
TARGET_P99 = 1.0  # seconds


def py_spy() -> str | None:
    """py-spy beside this Python (a venv's bin), else on PATH."""
    return shutil.which("py-spy", path=f"{Path(sys.executable).parent}{os.pathsep}{os.defpath}")


async def measure(farm: LocalFarm, renders: int, tasks: int, profile: str | None) -> dict:
    sim = SimFarm(farm.url, renders, farm_secret=farm.farm_secret)
    spy = None
    try:
        await sim.start()
        if profile:
            spy = subprocess.Popen(
                [py_spy(), "record", "--pid", str(farm.server.pid), "--output", profile]
                + (["--format", "speedscope"] if profile.endswith(".json") else [])
                + ["--rate", "200", "--nonblocking"],
                stdout=subprocess.DEVNULL,
            )
        async with aiohttp.ClientSession(headers=farm.auth_header) as http:
            return await dispatch_rate(Server(http, farm.url), sim, tasks, farm.server.pid)
    finally:
        if spy is not None:
            spy.send_signal(2)  # SIGINT: py-spy writes its file and exits
            spy.wait(60)
        await sim.stop()


def run(
    renders: int,
    tasks: int,
    profile: str | None = None,
    code: Path | None = None,
    server_args: tuple[str, ...] = (),
) -> dict:
    """One repeat on a fresh server (of the checkout `code`, by default this one)."""
    with tempfile.TemporaryDirectory(prefix="corral-bench-") as folder:
        farm = LocalFarm(folder, code)
        farm.start_server(*server_args)
        try:
            return asyncio.run(measure(farm, renders, tasks, profile))
        finally:
            farm.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--renders", default="1000,2000", help="farm sizes")
    parser.add_argument("--tasks", type=int, default=40_000, help="instant tasks in the job")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--profile", default="", help="py-spy output file (first run only)")
    parser.add_argument(
        "--code", type=Path, help="a checkout of Corral whose server to run instead of this one"
    )
    parser.add_argument(
        "--server-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="an argument for `corral server` (repeat for more), e.g. --server-arg=--heartbeat=2",
    )
    args = parser.parse_args()
    if args.profile and py_spy() is None:
        parser.error("--profile needs py-spy (pip install py-spy)")
    print(f"machine: {machine()}")
    print(f"{args.tasks:,} instant tasks, {args.repeats} repeats")
    profile = args.profile or None
    for renders in [int(n) for n in args.renders.split(",")]:
        runs = []
        for _ in range(args.repeats):
            runs.append(run(renders, args.tasks, profile, args.code, tuple(args.server_arg)))
            profile = None
        p50 = [percentile(r["ack"], 50) for r in runs]
        p99 = [percentile(r["ack"], 99) for r in runs]
        worst = [max(r["ack"]) for r in runs]
        print(f"-- {renders} simulated renders")
        print(f"task starts/s:                      {rates([r['starts_per_s'] for r in runs])}")
        print(f"result→ack p50, s:                  {spread(p50)}")
        print(f"result→ack p99, s:                  {spread(p99)}")
        print(f"result→ack max, s:                  {spread(worst)}")
        print(f"server CPU, cores:                  {spread([r['server_cpu'] for r in runs])}")
        cost = [r["server_ms_per_task"] for r in runs]
        print(f"server CPU per task, ms:            {spread(cost)}")
        print(f"load generator CPU, cores:          {spread([r['sim_cpu'] for r in runs])}")
        print(f"error messages from the server:     {sum(r['errors'] for r in runs)}")
        bench = "saturation (instant tasks)"
        target, met = "", None
        if renders == TARGET_RENDERS:
            target, met = f"< {TARGET_P99:g} s", statistics.median(p99) < TARGET_P99
            print(
                f"target: {renders} renders, result→ack p99 {target}: {'met' if met else 'MISSED'}"
            )
        record(bench, f"result→ack p99, {renders:,} renders", p99, "s", target, met)
        record(bench, f"result→ack p50, {renders:,} renders", p50, "s")
        record(
            bench,
            f"task starts/s, {renders:,} renders",
            [r["starts_per_s"] for r in runs],
            "starts/s",
        )


if __name__ == "__main__":
    main()
