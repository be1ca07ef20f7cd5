"""Compare the farm's per-task cost of another revision with this working tree, in alternating
runs: on a machine whose speed wanders from minute to minute, the only fair comparison.

Each run is bench/true_tasks.py's farm measurement (N `true` tasks on 4 local renders), of the
revision (checked out in a temporary git worktree) and of this tree in turn, the order swapped
every other run so that neither always goes first.

    python -m bench.ab f1ca94a --runs 6
    python -m bench.ab f1ca94a --runs 6 --rest 1000   # and REST round trips (bench/rest_latency)
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from statistics import median

from bench.rest_latency import rest_latency
from bench.true_tasks import farm_rate

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("revision", help="a git revision to compare with the working tree")
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--renders", type=int, default=4)
    parser.add_argument("--rest", type=int, default=0, help="also N REST round trips a run")
    parser.add_argument("--repo", type=Path, default=ROOT, help="where the revision is (this repo)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # the worktree is removed all the same
    git = ["git", "-C", str(args.repo)]
    subprocess.run([*git, "worktree", "prune"], check=True)  # what a killed run left registered
    with tempfile.TemporaryDirectory(prefix="corral-ab-") as folder:
        other = Path(folder) / "checkout"
        subprocess.run(
            [*git, "worktree", "add", "--detach", str(other), args.revision],
            check=True,
            capture_output=True,
        )
        try:
            sides = [(args.revision, other), ("working tree", None)]
            legs: dict[str, list] = {name: [] for name, _ in sides}
            rests: dict[str, list] = {name: [] for name, _ in sides}
            for run in range(1, args.runs + 1):
                for name, code in sides if run % 2 else sides[::-1]:
                    leg = farm_rate(args.tasks, args.renders, code)
                    legs[name].append(leg)
                    print(f"run {run}, {name}: {leg.rate:,.0f} tasks/s, {leg.cpu_text()}")
                    if args.rest:
                        read, action = rest_latency(args.rest, code)
                        rests[name].append((read, action))
                        print(
                            f"run {run}, {name}: REST p50 {read:.3f} ms GET, {action:.3f} ms action"
                        )
        finally:
            subprocess.run([*git, "worktree", "remove", "--force", str(other)], check=False)
    for name, runs in legs.items():
        rate = median(leg.rate for leg in runs)
        cpu = median(leg.cpu_total for leg in runs) * 1000
        print(f"{name}: median {rate:,.0f} tasks/s, {cpu:.2f} ms CPU a task ({len(runs)} runs)")
        if rests[name]:
            read = median(r for r, _ in rests[name])
            action = median(a for _, a in rests[name])
            print(f"{name}: REST p50 median: GET a job {read:.3f} ms, a job action {action:.3f} ms")


if __name__ == "__main__":
    main()
