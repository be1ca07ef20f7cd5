"""The verbs that follow the farm live: ``corral job watch ID`` (progress per block, an ETA from
the measured times of finished tasks, the job's outcome as exit status) and ``corral renders
--watch``. On a terminal they draw with rich; otherwise they print a line when something
changes."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

from app.api import Client, CorralError
from app.cli import parsing
from app.cli.actions import client
from app.cli.output import format_duration, rich_table, table, terminal
from app.cli.why import waiting_text
from app.protocol import failed_tasks

WATCH_EVERY = 1.0  # seconds between two looks at the job (or the renders), by default
SAMPLE = 200  # tasks per block whose times the ETA is measured from, at most
SAMPLE_EVERY = 5.0  # seconds between two samples of a block's task times
EXIT_DONE, EXIT_FAILED = 0, 1
WATCH_EPILOG = (
    "Exit status: 0 when the job is done without failed tasks; 1 when it ends with failed "
    "tasks (every task done, skipped or out of retries), is deleted, or the server cannot be "
    "reached; 130 when interrupted (Ctrl-C)."
)


def add_job_watch(job_verbs: Any, common: argparse.ArgumentParser) -> None:
    q = job_verbs.add_parser(
        "watch",
        parents=[common],
        help="follow a job live until it ends; exit status 0 done, 1 failed",
        description="Follow a job live: a progress bar per block with its ETA (from the "
        "measured times of its finished tasks), until the job ends. With --json, a line of "
        "JSON per change (the job's, then each block's).",
        epilog=WATCH_EPILOG,
    )
    q.add_argument("id", type=int, metavar="ID")
    q.add_argument(
        "--every",
        type=parsing.seconds,
        default=WATCH_EVERY,
        metavar="SECONDS",
        help=f"look again every SECONDS (default: {WATCH_EVERY:g})",
    )
    q.set_defaults(func=cmd_job_watch)


def outcome(job: dict) -> int | None:
    """The exit status a job ends with: EXIT_DONE, EXIT_FAILED, or None while it goes on."""
    total = job.get("tasks_total", 0)
    done, skipped = job.get("tasks_done", 0), job.get("tasks_skipped", 0)
    if done + skipped == total:
        return EXIT_DONE if not job.get("tasks_error") else EXIT_FAILED
    if job.get("tasks_error", 0) and done + skipped + job["tasks_error"] == total:
        return EXIT_FAILED
    return None


class TaskTimes:
    """The measured run times of a block's finished tasks (a sample of at most SAMPLE tasks
    around where the block has got to, taken again every SAMPLE_EVERY seconds)."""

    def __init__(self, jobs_client: Client, job_id: int, clock: Callable[[], float]):
        self.client, self.job_id, self.clock = jobs_client, job_id, clock
        self.seconds: dict[tuple[int, int], float] = {}  # (block, task): run time
        self.sampled: dict[int, float] = {}  # block: when

    def mean(self, block: dict) -> float | None:
        """The mean run time of the block's finished tasks measured so far (None: none yet)."""
        num = block["num"]
        if block.get("tasks_done") and self.clock() - self.sampled.get(num, -SAMPLE_EVERY) >= (
            SAMPLE_EVERY
        ):
            self.sampled[num] = self.clock()
            offset = max(0, block["tasks_done"] - SAMPLE // 2)
            page = self.client.tasks(self.job_id, num, offset, SAMPLE)
            for task in page["tasks"]:
                start, end = task.get("time_start"), task.get("time_done")
                if task.get("state") == "DON" and start and end and end >= start:
                    self.seconds[(num, task["num"])] = end - start
        times = [s for (b, _), s in self.seconds.items() if b == num]
        return sum(times) / len(times) if times else None


class Waiting:
    """Why the watched job runs nothing (waiting_text of the explainer's answer), asked again
    every SAMPLE_EVERY seconds at most while it runs nothing."""

    def __init__(self, jobs_client: Client, job_id: int, clock: Callable[[], float]):
        self.client, self.job_id, self.clock = jobs_client, job_id, clock
        self.asked, self.text = -SAMPLE_EVERY, None

    def of(self, job: dict) -> str | None:
        if job.get("tasks_running") or outcome(job) is not None:
            self.asked, self.text = -SAMPLE_EVERY, None
        elif self.clock() - self.asked >= SAMPLE_EVERY:
            self.asked = self.clock()
            self.text = waiting_text(self.client.explain(self.job_id))
        return self.text


def eta(block: dict, mean: float | None) -> float | None:
    """Seconds until the block is done: its tasks left, run mean seconds each, as many at once
    as run now. None when nothing is measured yet, nothing runs or nothing is left."""
    left = block.get("tasks_total", 0) - block.get("tasks_done", 0) - block.get("tasks_skipped", 0)
    running = block.get("tasks_running", 0)
    if mean is None or not running or left <= 0:
        return None
    return mean * left / running


def block_status(block: dict, seconds: float | None) -> str:
    done = block.get("tasks_done", 0) + block.get("tasks_skipped", 0)
    text = f"{done}/{block.get('tasks_total', 0)} done, {block.get('tasks_running', 0)} running"
    failed = failed_tasks(block)
    if failed:
        text += f", {failed} failed"
    if seconds is not None:
        text += f", ETA {format_duration(0, seconds)}"
    return text


def end_text(job: dict, code: int) -> str:
    if code == EXIT_DONE:
        return f"Job {job['id']} done"
    return (
        f"Job {job['id']} ended with {job.get('tasks_error', 0)} failed tasks: "
        f"see 'corral job show {job['id']}', then 'corral job restart-errors {job['id']}'"
    )


def cmd_job_watch(args: argparse.Namespace) -> int:
    jobs_client = client(args)
    times = TaskTimes(jobs_client, args.id, time.monotonic)
    waiting = Waiting(jobs_client, args.id, time.monotonic)
    console = None if args.json else terminal()
    if console is None:
        return _watch_plain(args, jobs_client, times, waiting)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(
        *columns, TextColumn("{task.fields[status]}"), console=console, auto_refresh=False
    ) as progress:
        bars: dict[int, Any] = {}
        told = None
        while True:
            job = _look(jobs_client, args.id)
            for block in job.get("blocks") or []:
                status = block_status(block, eta(block, times.mean(block)))
                done = block.get("tasks_done", 0) + block.get("tasks_skipped", 0)
                if block["num"] not in bars:
                    name = f"{block['num']} {block.get('name')}"
                    bars[block["num"]] = progress.add_task(name, total=None, status="")
                progress.update(
                    bars[block["num"]],
                    completed=done,
                    total=block.get("tasks_total", 0),
                    status=status,
                )
            progress.refresh()
            why = waiting.of(job)
            if why is not None and why != told:
                progress.console.print(why, style="yellow")
            told = why
            code = outcome(job)
            if code is not None:
                break
            time.sleep(args.every)
    console.print(end_text(job, code), style="green" if code == EXIT_DONE else "bold red")
    return code


def _watch_plain(
    args: argparse.Namespace, jobs_client: Client, times: TaskTimes, waiting: Waiting
) -> int:
    """Lines (or JSON objects) when the job, a block or why it waits changes."""
    shown: dict[Any, str] = {}

    def show(key: Any, text: str, item: dict) -> None:
        if shown.get(key) != text:
            shown[key] = text
            print(json.dumps(item) if args.json else text, flush=True)

    while True:
        job = _look(jobs_client, args.id)
        show("job", f"Job {job['id']}: {job.get('name')}, {job.get('state')}", _job_line(job))
        for block in job.get("blocks") or []:
            seconds = eta(block, times.mean(block))
            text = f"  block {block['num']} {block.get('name')}: {block_status(block, seconds)}"
            show(block["num"], text, {**_block_line(block), "eta": seconds})
        why = waiting.of(job)
        if why is not None:
            show("waiting", f"  {why}", {"job": job["id"], "waiting": why})
        code = outcome(job)
        if code is not None:
            if not args.json:
                print(end_text(job, code), flush=True)
            return code
        time.sleep(args.every)


_SUMMARY_KEYS = ("tasks_total", "tasks_done", "tasks_running", "tasks_skipped", "tasks_error")


def _job_line(job: dict) -> dict:
    return {"job": job["id"], "state": job.get("state"), **{k: job.get(k) for k in _SUMMARY_KEYS}}


def _block_line(block: dict) -> dict:
    return {"block": block["num"], **{k: block.get(k) for k in ("state", *_SUMMARY_KEYS)}}


def _look(jobs_client: Client, job_id: int) -> dict:
    try:
        return jobs_client.job(job_id)
    except CorralError as exc:
        if exc.status == 404:
            raise CorralError(
                f"job {job_id}: no such job (deleted, or never submitted): "
                "'corral jobs' lists the jobs",
                status=404,
            ) from None
        raise


# -- corral renders --watch ---------------------------------------------------------------------


def watch_renders(args: argparse.Namespace, columns: Any) -> int:
    """The renders table, drawn again every --every seconds until interrupted (Ctrl-C: exit
    status 130). Plain: printed again when it changes, a blank line between; --json: a line of
    JSON per change."""
    renders_client = client(args)
    console = None if args.json else terminal()
    if console is not None:
        from rich.live import Live

        with Live(console=console, auto_refresh=False) as live:
            while True:
                live.update(rich_table(renders_client.renders(), columns), refresh=True)
                time.sleep(args.every)
    last = None
    while True:
        renders = renders_client.renders()
        text = json.dumps(renders) if args.json else table(renders, columns)
        if text != last:
            print(("\n" if last is not None else "") + text, flush=True)
            last = text
        time.sleep(args.every)
