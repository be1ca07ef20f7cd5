"""`make bench`: run every benchmark in turn and print their figures."""

from __future__ import annotations

import subprocess
import sys

BENCHMARKS = [
    "bench.submit_million",
    "bench.true_tasks",
    "bench.dispatch",
    "bench.dependencies",
    "bench.render_idle",
]


def main() -> int:
    failed = 0
    for module in BENCHMARKS:
        print(f"== {module}", flush=True)
        failed |= subprocess.call([sys.executable, "-m", module]) != 0
    return failed


if __name__ == "__main__":
    raise SystemExit(main())
