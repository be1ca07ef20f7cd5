"""Dependencies at scale: 100 blocks x 1,000 tasks chained by tasks_depend_mask.

Block k's task n waits for block k-1's task n. Tasks are started and finished one at a time
in the order the solver picks them, as on a farm whose renders finish instantly. Measured: the
time per scheduling decision (Solver.pick) and per finished task (the dependency push that
releases its dependants), and the setup time of the job. Pure core code: no server, no I/O.
"""

from __future__ import annotations

import argparse
import time

from app.core import states
from app.core.dependencies import Dependencies
from app.core.jobs import Job
from app.core.jobspec import parse_job
from app.core.pools import PoolTree
from app.core.renders import Render
from app.core.rules import FarmView
from app.core.solver import Solver
from app.core.tickets import TicketLedger
from app.core.users import User
from bench.report import machine, record, spread


def chained_job(blocks: int, tasks: int) -> Job:
    spec = parse_job(
        {
            "name": "chain",
            "user_name": "bench",
            "blocks": [
                {
                    "name": f"b{k}",
                    "numeric": True,
                    "frame_first": 1,
                    "frame_last": tasks,
                    "command": "true",
                    **({"tasks_depend_mask": f"b{k - 1}"} if k else {}),
                }
                for k in range(blocks)
            ],
        }
    )
    return Job(id=1, spec=spec, time_created=0.0, user=User(name="bench"), order=1)


def run(blocks: int, tasks: int) -> dict:
    started = time.perf_counter()
    job = chained_job(blocks, tasks)
    dependencies = Dependencies({1: job})
    dependencies.job_added(job)
    setup = time.perf_counter() - started
    solver = Solver()
    solver.refresh(job)
    render = Render(id=1, name="r1", max_tasks=1, capacity=1000, online=True)
    view = FarmView(pools=PoolTree(), tickets=TicketLedger(), now=0.0)
    pick_time = finish_time = 0.0
    done = 0
    while True:
        t0 = time.perf_counter()
        picked = solver.pick(render, view)
        t1 = time.perf_counter()
        pick_time += t1 - t0
        if picked is None:
            break
        _, block, n = picked
        block.tasks.start(n, 1, 0.0)
        block.tasks.finish(n, states.DON, 0.0)
        dependencies.tasks_changed(block, [n])
        solver.refresh(job)
        finish_time += time.perf_counter() - t1
        done += 1
    assert done == blocks * tasks, f"only {done} tasks ran"
    return {
        "setup_s": setup,
        "pick_us": pick_time / done * 1e6,
        "finish_us": finish_time / done * 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--blocks", type=int, default=100)
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    results = [run(args.blocks, args.tasks) for _ in range(args.repeats)]
    print(f"machine: {machine()}")
    print(f"{args.blocks} blocks x {args.tasks} tasks, each block waiting task by task")
    print(f"job setup (parse + dependency gates), s: {spread([r['setup_s'] for r in results])}")
    print(f"per scheduling decision, us:           {spread([r['pick_us'] for r in results])}")
    print(f"per finished task (push + requeue), us: {spread([r['finish_us'] for r in results])}")
    bench = f"dependencies ({args.blocks} x {args.tasks:,})"
    record(bench, "job setup", [r["setup_s"] * 1000 for r in results], "ms")
    record(bench, "per scheduling decision", [r["pick_us"] for r in results], "us")
    record(bench, "per finished task", [r["finish_us"] for r in results], "us")


if __name__ == "__main__":
    main()
