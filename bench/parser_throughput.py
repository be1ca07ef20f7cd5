"""How fast a parser reads log text: the fixture logs of every parser (tests/fixtures/logs:
recorded and written-in-format output of every renderer, successes and failures) repeated to
--megabytes, fed as a render feeds its parser (app/parsers/stream.py: UTF-8 decoding, 64 KiB
batches). Target: the generic parser reads at least 50 MB of log text a second of its CPU time
(the median over the repeats; wall time is printed too, and on a shared machine it is lower by
the share of a core the benchmark got).

    python -m bench.parser_throughput [--megabytes 50] [--repeats 5] [--parsers generic,arnold]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import time
from pathlib import Path

from app.parsers import get_parser
from app.parsers.stream import parse_output
from bench.report import machine, record, spread

TARGET_MB_S = 50.0
LOGS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "logs"


def corpus(megabytes: float) -> bytes:
    """The fixture logs, each ending with a newline, repeated to about `megabytes` MB."""
    logs = [path.read_bytes() for path in sorted(LOGS.glob("*/*.log"))]
    text = b"".join(log if log.endswith(b"\n") else log + b"\n" for log in logs)
    return text * max(1, round(megabytes * 1e6 / len(text)))


def rate(name: str, data: bytes) -> tuple[float, float]:
    """(MB/s of wall time, MB/s of this process's CPU time) for one pass of a parser."""
    parser = get_parser(name)(1, 100)
    wall, cpu = time.perf_counter(), time.process_time()
    parse_output(parser, io.BytesIO(data))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return len(data) / 1e6 / wall, len(data) / 1e6 / cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=50.0)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--parsers", default="generic", help="comma-separated parser names")
    args = parser.parse_args()
    data = corpus(args.megabytes)
    lines = data.count(b"\n")
    print(machine())
    print(f"log text: {len(data) / 1e6:.1f} MB, {lines:,} lines")
    for name in args.parsers.split(","):
        walls, cpus = [], []
        for _ in range(args.repeats):
            wall, cpu = rate(name, data)
            walls.append(wall)
            cpus.append(cpu)
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        print(f"{name}, MB/s (wall): {spread(walls)}")
        print(f"{name}, MB/s (CPU):  {spread(cpus)}   load average {load}")
        target = f">= {TARGET_MB_S:.0f}" if name == "generic" else ""
        met = statistics.median(cpus) >= TARGET_MB_S if name == "generic" else None
        record("parser_throughput", f"{name} parser, CPU", cpus, "MB/s", target, met)
        record("parser_throughput", f"{name} parser, wall", walls, "MB/s")


if __name__ == "__main__":
    main()
