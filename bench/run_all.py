"""`make bench`: run every benchmark in turn, then print one table of their headline figures.

Each benchmark runs in its own process and prints its own figures; the headline figures it
records (bench/report.py `record`) are collected through the file named by
CORRAL_BENCH_RESULTS and printed as one Markdown table, also written to bench/results/latest.md
with the machine, the date and the commit.

    python -m bench.run_all                 # every benchmark at full size (tens of minutes)
    python -m bench.run_all --quick         # every benchmark at a tiny size: does it run?
    python -m bench.run_all --only ws_echo,store_commits
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.report import RESULTS_ENV, machine, markdown

RESULTS = Path(__file__).parent / "results"

# module → (arguments at full size, arguments with --quick)
BENCHMARKS: dict[str, tuple[list[str], list[str]]] = {
    "bench.submit_million": ([], ["--repeats", "1"]),
    "bench.true_tasks": ([], ["--tasks", "100", "--repeats", "1"]),
    "bench.dispatch": (
        ["--renders", "100,1000,5000"],
        [
            "--renders",
            "50",
            "--tasks",
            "500",
            "--probes",
            "5",
            "--repeats",
            "1",
            "--tasks-per-render",
            "2",
        ],
    ),
    "bench.saturation": (
        [],
        ["--renders", "50", "--tasks", "500", "--repeats", "1"],
    ),
    "bench.soak": (
        [],
        ["--renders", "50", "--monitors", "3", "--minutes", "0.1", "--task-seconds", "0.1-0.3"],
    ),
    "bench.dependencies": ([], ["--blocks", "5", "--tasks", "100", "--repeats", "1"]),
    "bench.render_idle": ([], ["--seconds", "3"]),
    "bench.discovery": ([], ["--repeats", "1"]),
    "bench.resource_sample": ([], ["--samples", "5"]),
    "bench.parser_throughput": ([], ["--megabytes", "5", "--repeats", "1"]),
    "bench.ws_echo": ([], ["--connections", "20", "--seconds", "1", "--repeats", "1"]),
    "bench.heartbeat_load": (
        [],
        [
            "--renders",
            "100",
            "--period",
            "1",
            "--window",
            "2",
            "--repeats",
            "1",
            "--settle",
            "1",
            "--check",
            "5",
        ],
    ),
    "bench.store_commits": ([], ["--records", "300", "--sequential", "30", "--repeats", "1"]),
    "bench.stats_queries": ([], ["--rows", "2000", "--repeats", "1"]),
    "bench.stats_writes": ([], ["--runs", "100", "--ticks", "3"]),
    "bench.retention_pass": ([], ["--rows", "20000", "--aged", "2000"]),
    "bench.monitor_tasks": ([], ["--repeats", "1"]),
    "bench.monitor_jobs": ([], ["--seconds", "3"]),
    "bench.slowloris": ([], ["--connections", "50", "--open-files", "256", "--seconds", "1"]),
    "bench.metrics_scrape": ([], ["--jobs", "50", "--renders", "20", "--repeats", "1"]),
}


def commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=Path(__file__).parent,
            check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes: check they run")
    parser.add_argument("--only", default="", help="comma-separated names, e.g. ws_echo")
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.md")
    args = parser.parse_args()
    names = [f"bench.{n.removeprefix('bench.')}" for n in args.only.split(",") if n]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    failed: list[str] = []
    started = time.strftime("%Y-%m-%d %H:%M")
    with tempfile.TemporaryDirectory(prefix="corral-bench-") as folder:
        results = Path(folder) / "rows.jsonl"
        env = {**os.environ, RESULTS_ENV: str(results)}
        for module, (full, quick) in BENCHMARKS.items():
            if names and module not in names:
                continue
            extra = quick if args.quick else full
            print(f"== {module} {' '.join(extra)}", flush=True)
            if subprocess.call([sys.executable, "-m", module, *extra], env=env) != 0:
                failed.append(module)
        rows = (
            [json.loads(line) for line in results.read_text().splitlines()]
            if (results.exists())
            else []
        )
    header = (
        f"Machine: {machine()}. Commit {commit()}, started {started}"
        f"{' (--quick: tiny sizes, not measurements)' if args.quick else ''}."
    )
    table = markdown(rows)
    print(f"\n{header}\n\n{table}")
    if failed:
        print(f"\nFAILED: {', '.join(failed)}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    footer = f"\n\nFailed: {', '.join(failed)}\n" if failed else "\n"
    args.output.write_text(f"# Benchmark results\n\n{header}\n\n{table}{footer}")
    print(f"written to {args.output}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
