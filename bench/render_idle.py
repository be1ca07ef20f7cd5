"""What an idle render client costs its host: memory and CPU with no tasks.

A real server and one real render process (no tasks) on loopback. After the render has
registered and settled, the render process is watched for --seconds (default 60): its CPU time
(user + system, its children's included: nvidia-smi where there is one) over the wall time, and
its RSS and USS sampled every second. The heartbeats it sent in that window, each with its
resources, are counted from the server's history.
Targets: < 60 MB RSS, < 1 % of one core.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import urllib.request

import psutil

from bench.local_farm import LocalFarm
from bench.report import cpu_seconds, machine, record

RSS_TARGET_MB = 60.0
CPU_TARGET_PERCENT = 1.0
SETTLE = 3.0  # seconds after registration before measuring (imports, first heartbeat)


def heartbeats_since(farm: LocalFarm, name: str, since: float) -> int:
    url = f"{farm.url}/api/v1/renders/{name}/resources?since={since}"
    request = urllib.request.Request(url, headers=farm.auth_header)
    with urllib.request.urlopen(request, timeout=30) as answer:
        return len(json.load(answer)["samples"])


def measure(seconds: float, heartbeat: float | None) -> dict:
    with tempfile.TemporaryDirectory(prefix="corral-bench-") as folder:
        farm = LocalFarm(folder)
        farm.start_server(*(["--heartbeat", str(heartbeat)] if heartbeat else []))
        try:
            render = farm.start_render("idle")
            while not farm.online_renders():
                time.sleep(0.05)
            time.sleep(SETTLE)
            process = psutil.Process(render.pid)
            rss, uss = [], []
            start_wall, start_cpu, start_epoch = (
                time.monotonic(),
                cpu_seconds([process.pid]),
                time.time(),
            )
            end = start_wall + seconds
            while (now := time.monotonic()) < end:
                memory = process.memory_full_info()
                rss.append(memory.rss / 2**20)
                uss.append(getattr(memory, "uss", memory.rss) / 2**20)
                time.sleep(min(1.0, end - now))
            wall = time.monotonic() - start_wall
            cpu = cpu_seconds([process.pid]) - start_cpu
            beats = heartbeats_since(farm, "idle", start_epoch)
            period = farm.client.pools()["effective"]["/"]["heartbeat_period"]
        finally:
            farm.stop()
    return {
        "seconds": wall,
        "cpu_percent": 100.0 * cpu / wall,
        "cpu_seconds": cpu,
        "rss_mb_max": max(rss),
        "rss_mb_last": rss[-1],
        "uss_mb_max": max(uss),
        "heartbeats": beats,
        "heartbeat_period": period,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0, help="measuring window")
    parser.add_argument(
        "--heartbeat", type=float, default=None, help="heartbeat period (default: the server's)"
    )
    args = parser.parse_args()
    figures = measure(args.seconds, args.heartbeat)
    print(f"machine: {machine()}")
    print(
        f"window: {figures['seconds']:.1f} s, {figures['heartbeats']} heartbeats with "
        f"resources (period {figures['heartbeat_period']} s)"
    )
    print(
        f"render CPU: {figures['cpu_percent']:.3f} % of one core ({figures['cpu_seconds']:.3f} s)"
    )
    print(
        f"render RSS: {figures['rss_mb_max']:.1f} MB max, {figures['rss_mb_last']:.1f} MB at "
        f"the end; USS {figures['uss_mb_max']:.1f} MB max"
    )
    rss_ok = figures["rss_mb_max"] < RSS_TARGET_MB
    cpu_ok = figures["cpu_percent"] < CPU_TARGET_PERCENT
    print(f"target RSS < {RSS_TARGET_MB:.0f} MB: {'met' if rss_ok else 'MISSED'}")
    print(f"target CPU < {CPU_TARGET_PERCENT:.0f} % of one core: {'met' if cpu_ok else 'MISSED'}")
    bench = f"render_idle ({figures['heartbeat_period']:g} s heartbeat)"
    record(
        bench,
        "render CPU",
        figures["cpu_percent"],
        "% of one core",
        f"< {CPU_TARGET_PERCENT:.0f} %",
        cpu_ok,
    )
    record(
        bench, "render RSS, max", figures["rss_mb_max"], "MB", f"< {RSS_TARGET_MB:.0f} MB", rss_ok
    )
    record(bench, "render USS, max", figures["uss_mb_max"], "MB")


if __name__ == "__main__":
    main()
