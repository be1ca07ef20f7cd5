"""The job and task verbs: ``corral jobs``, ``corral job ACTION``, ``corral task ACTION``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from app.api import CorralError
from app.cli import parsing, watch
from app.cli.actions import act_on_selection, client, edit, report_refused
from app.cli.output import (
    format_duration,
    format_record,
    format_time,
    print_answer,
    print_json,
    print_list,
    table,
)
from app.cli.parsing import settings_dict
from app.cli.why import why_fixes
from app.core.jobs import JOB_STATES
from app.protocol import JOB_ACTIONS, TASK_ACTIONS, TASKS_PAGE_MAX, failed_tasks

_JOB_ACTIONS_TEXT = {  # action: (what the jobs are after it, help)
    "pause": ("paused", "pause jobs: no new tasks start, running ones finish"),
    "start": ("started", "start paused jobs"),
    "stop": ("stopped", "stop running tasks and pause the jobs"),
    "restart": ("restarted", "restart all tasks of the jobs"),
    "restart-errors": ("errors restarted", "restart the tasks that failed"),
    "reset-error-hosts": ("error hosts reset", "forget where tasks failed (avoided hosts)"),
    "delete": ("deleted", "delete jobs (running tasks are stopped)"),
}
_MOVES = ("up", "down", "top", "bottom")


def add_verbs(verbs: Any, common: argparse.ArgumentParser) -> None:
    p = verbs.add_parser("jobs", parents=[common], help="list jobs (all, or those chosen)")
    p.add_argument("--user", metavar="NAME", help="only NAME's jobs")
    p.add_argument(
        "--state",
        type=str.upper,
        choices=JOB_STATES,
        metavar="CODE",
        help="only jobs whose state has CODE: " + ", ".join(JOB_STATES),
    )
    p.add_argument(
        "--name",
        type=parsing.regex,
        metavar="REGEX",
        help="only jobs whose name contains a match of REGEX",
    )
    p.set_defaults(func=cmd_jobs)

    p = verbs.add_parser("job", parents=[common], help="show, change or act on jobs")
    job_verbs = p.add_subparsers(dest="job_verb", metavar="ACTION", required=True)
    q = job_verbs.add_parser("show", parents=[common], help="show jobs and their blocks")
    q.add_argument("ids", nargs="+", type=int, metavar="ID")
    q.set_defaults(func=cmd_job_show)
    for action in JOB_ACTIONS:
        q = job_verbs.add_parser(action, parents=[common], help=_JOB_ACTIONS_TEXT[action][1])
        q.add_argument("ids", nargs="*", type=int, metavar="ID")
        parsing.add_mask(q, "job")
        q.set_defaults(func=cmd_job_action, action=action, usage_parser=q)
    q = job_verbs.add_parser(
        "set", parents=[common], help="change a job's (or a block's) settings: priority=120 ..."
    )
    q.add_argument("id", type=int, metavar="ID")
    q.add_argument("--block", type=parsing.block_number, metavar="N", help="change block N instead")
    parsing.add_settings(q)
    q.set_defaults(func=cmd_job_set, usage_parser=q)
    q = job_verbs.add_parser("move", parents=[common], help="move a job in its user's queue")
    q.add_argument("id", type=int, metavar="ID")
    q.add_argument("to", choices=_MOVES, help="where: " + ", ".join(_MOVES))
    q.set_defaults(func=cmd_job_move)
    q = job_verbs.add_parser(
        "why", parents=[common], help="why a job runs or not, render by render"
    )
    q.add_argument("id", type=int, metavar="ID")
    q.set_defaults(func=cmd_job_why)
    watch.add_job_watch(job_verbs, common)

    p = verbs.add_parser("task", parents=[common], help="show tasks, their output, act on them")
    task_verbs = p.add_subparsers(dest="task_verb", metavar="ACTION", required=True)
    q = task_verbs.add_parser("show", parents=[common], help="show a task and its runs")
    _add_task_key(q)
    q.set_defaults(func=cmd_task_show)
    q = task_verbs.add_parser(
        "list",
        parents=[common],
        help="list the tasks of a block: state, progress, render, memory, CPU",
        description="List the tasks of a block (all of them, or --limit from --offset), each "
        "with its state, progress, render, starts, errors, and the peak memory (MB), CPU time "
        "(s) and duration of its latest run.",
    )
    q.add_argument("job", type=int, metavar="JOB")
    q.add_argument("block", type=parsing.block_number, metavar="BLOCK")
    q.add_argument("--offset", type=parsing.task_number, default=0, metavar="N", help="from task N")
    q.add_argument("--limit", type=parsing.positive_int, metavar="N", help="at most N tasks")
    q.set_defaults(func=cmd_task_list)
    q = task_verbs.add_parser("log", parents=[common], help="print the output of a task run")
    _add_task_key(q)
    q.add_argument(
        "--run", type=parsing.positive_int, metavar="N", help="run number (default: latest)"
    )
    q.set_defaults(func=cmd_task_log)
    q = task_verbs.add_parser(
        "do",
        parents=[common],
        help="skip, restart, ... tasks of a block",
        description="Apply ACTION to tasks of a block (all of them when no TASK is given). "
        "ACTION is one of: " + ", ".join(TASK_ACTIONS) + ".",
    )
    q.add_argument("action", choices=TASK_ACTIONS, metavar="ACTION")
    q.add_argument("job", type=int, metavar="JOB")
    q.add_argument("block", type=parsing.block_number, metavar="BLOCK")
    q.add_argument("tasks", nargs="*", type=parsing.task_number, metavar="TASK")
    q.set_defaults(func=cmd_task_do)


def _add_task_key(p: argparse.ArgumentParser) -> None:
    p.add_argument("job", type=int, metavar="JOB")
    p.add_argument("block", type=int, metavar="BLOCK")
    p.add_argument("task", type=int, metavar="TASK")


# -- jobs --------------------------------------------------------------------------------------


def _counts(item: dict) -> str:
    return f"{item.get('tasks_done', 0)}/{item.get('tasks_total', 0)}"


_PROGRESS_COLUMNS = (  # of a job or a block
    ("DONE/TOTAL", _counts),
    ("RUN", lambda item: item.get("tasks_running", 0)),
    ("ERR", failed_tasks),
)
_JOB_COLUMNS = (
    ("ID", "id"),
    ("NAME", "name"),
    ("USER", "user_name"),
    ("STATE", "state"),
    ("PRI", "priority"),
    *_PROGRESS_COLUMNS,
)
_BLOCK_COLUMNS = (
    ("BLOCK", "num"),
    ("NAME", "name"),
    ("SERVICE", "service"),
    ("STATE", "state"),
    *_PROGRESS_COLUMNS,
)


def cmd_jobs(args: argparse.Namespace) -> int:
    jobs_client = client(args)
    jobs = jobs_client.jobs(user=args.user, state=args.state, name=args.name)
    code = print_list(args, jobs, _JOB_COLUMNS, "No jobs.")
    if not args.json:
        for job in jobs:
            if "AVD" in str(job.get("state", "")).split():
                print(_stuck_hint(jobs_client, job["id"]))
    return code


def _stuck_hint(jobs_client: Any, job_id: int) -> str:
    """One line on a job stuck on avoided renders: the explainer's first reason."""
    hint = f"job {job_id} is stuck"
    try:
        first = (jobs_client.explain(job_id).get("renders") or [{}])[0]
    except CorralError:
        first = {}
    if first.get("reason"):
        hint += f" ({first.get('render')}: {first['reason']})"
    return (
        f"{hint}: see 'corral job why {job_id}'; 'corral job reset-error-hosts {job_id}'"
        " tries those renders again"
    )


def _setting(value: Any) -> Any:
    """A job setting's value: dicts and lists as JSON (``{"/gpu/": 10}``)."""
    return json.dumps(value) if isinstance(value, (dict, list)) else value


def format_job(job: dict) -> str:
    user = job.get("user_name") or "-"
    if job.get("host_name"):
        user = f"{user}@{job['host_name']}"
    retry = job.get("tasks_error_ready", 0)
    tasks = (
        f"{_counts(job)} done, {job.get('tasks_running', 0)} running, "
        f"{job.get('tasks_error', 0)} error, {job.get('tasks_skipped', 0)} skipped, "
        f"{job.get('tasks_ready', 0)} ready" + (f" ({retry} to retry)" if retry else "")
    )
    error_hosts = _error_hosts(job.get("blocks") or [])
    record = format_record(
        f"Job {job.get('id')}: {job.get('name')}",
        [
            ("state", job.get("state")),
            ("user", user),
            ("priority", job.get("priority")),
            *((key, _setting(value)) for key, value in (job.get("settings") or {}).items()),
            ("tasks", tasks),
            *([("error hosts", error_hosts)] if error_hosts else []),
            ("created", format_time(job.get("time_created"))),
            ("started", format_time(job.get("time_started"))),
            ("done", format_time(job.get("time_done"))),
        ],
    )
    return f"{record}\n\n{table(job.get('blocks') or [], _BLOCK_COLUMNS)}"


def _error_hosts(blocks: list[dict]) -> str:
    """Where tasks failed, per host: its errors, and whether the block avoids it now."""
    hosts = []
    for block in blocks:
        where = f"block {block.get('num')} " if len(blocks) > 1 else ""
        for host in block.get("error_hosts") or []:
            avoided = ", avoided" if host.get("avoided") else ""
            hosts.append(f"{where}{host.get('host')} ({host.get('errors')} errors{avoided})")
    return ", ".join(hosts)


def cmd_job_show(args: argparse.Namespace) -> int:
    jobs_client = client(args)
    jobs, failed = [], False
    for job_id in args.ids:
        try:
            jobs.append(jobs_client.job(job_id))
        except CorralError as exc:
            report_refused(exc)
            failed = True
    if args.json:
        if jobs:
            print_json(jobs[0] if len(args.ids) == 1 else jobs)
    elif jobs:
        print("\n\n".join(format_job(j) for j in jobs))
    return 1 if failed else 0


def cmd_job_action(args: argparse.Namespace) -> int:
    jobs_client = client(args)
    action = args.action

    def act(job_id: int) -> Any:
        if action == "delete":
            return jobs_client.delete_job(job_id)
        return jobs_client.job_action(job_id, action)

    def act_by_mask(mask: str) -> list:
        return jobs_client.jobs_action(action, mask=mask).get("jobs") or []

    done = _JOB_ACTIONS_TEXT[action][0]
    return act_on_selection(args, args.ids, act, act_by_mask, "Job", done)


def cmd_job_set(args: argparse.Namespace) -> int:
    job = edit(client(args).edit_job, args.id, settings_dict(args.settings), args.block)
    return print_answer(args, job, format_job)


def cmd_job_move(args: argparse.Namespace) -> int:
    answer = client(args).move_job(args.id, args.to)
    if args.json:
        print_json({"id": args.id, **(answer if isinstance(answer, dict) else {"ok": True})})
    else:
        where = f"to the {args.to}" if args.to in ("top", "bottom") else args.to
        print(f"Job {args.id} moved {where}")
    return 0


def format_explain(answer: dict) -> str:
    """The explainer's answer: the job's state, then one line per online render; when it runs
    nothing, the fix of each reason on ``fix:`` lines."""
    head = (
        f"Job {answer.get('job')}: {answer.get('state') or '-'}, {answer.get('running', 0)} running"
    )
    renders = answer.get("renders") or []
    body = (
        "\n\n" + table(renders, (("RENDER", "render"), ("REASON", "reason")))
        if renders
        else "\nNo online renders."
    )
    return head + body + "".join(f"\nfix: {fix}" for fix in why_fixes(answer))


def cmd_job_why(args: argparse.Namespace) -> int:
    return print_answer(args, client(args).explain(args.id), format_explain)


# -- tasks -------------------------------------------------------------------------------------

_RUN_COLUMNS = (
    ("RUN", "run"),
    ("RENDER", "render"),
    ("STATE", "state"),
    ("EXIT", "exit_code"),
    ("SIGNAL", "signal"),
    ("STARTED", lambda run: format_time(run.get("time_start"))),
    ("TIME", lambda run: format_duration(run.get("time_start"), run.get("time_done"))),
    ("ERROR", "error"),
)


_TASK_COLUMNS = (
    ("TASK", "num"),
    ("NAME", "name"),
    ("STATE", "state"),
    ("%", "percent"),
    ("RENDER", "render"),
    ("STARTS", "starts"),
    ("ERR", "errors"),
    ("MEM_MB", "peak_rss_mb"),
    ("CPU_S", "cpu_seconds"),
    ("TIME", lambda task: format_duration(task.get("time_start"), task.get("time_done"))),
)


def cmd_task_list(args: argparse.Namespace) -> int:
    tasks_client, tasks = client(args), []
    while args.limit is None or len(tasks) < args.limit:
        want = (
            TASKS_PAGE_MAX if args.limit is None else min(TASKS_PAGE_MAX, args.limit - len(tasks))
        )
        page = tasks_client.tasks(args.job, args.block, args.offset + len(tasks), want)
        tasks.extend(page["tasks"])
        if not page["tasks"] or args.offset + len(tasks) >= page["total"]:
            break
    return print_list(args, tasks, _TASK_COLUMNS, "No tasks.")


def format_task(job_id: int, block: int, task: dict) -> str:
    frames = None
    if task.get("frame_start") is not None:
        start, end = task.get("frame_start"), task.get("frame_end")
        frames = start if end in (None, start) else f"{start}-{end}"
    env = "".join(f"\n  {k}={v}" for k, v in sorted((task.get("environment") or {}).items()))
    out = format_record(
        f"Task {job_id}/{block}/{task.get('num')}: {task.get('name')}",
        [
            ("state", task.get("state")),
            ("frames", frames),
            ("command", task.get("command")),
            ("directory", task.get("working_directory")),
            ("render", task.get("render")),
            ("starts", task.get("starts")),
            ("errors", task.get("errors")),
            ("started", format_time(task.get("time_start"))),
            ("done", format_time(task.get("time_done"))),
        ],
        "\nenvironment" + env if env else "",
    )
    runs = task.get("runs") or []
    if runs:
        out += "\n\n" + table(runs, _RUN_COLUMNS)
    return out


def cmd_task_show(args: argparse.Namespace) -> int:
    task = client(args).task(args.job, args.block, args.task)
    return print_answer(args, task, lambda t: format_task(args.job, args.block, t))


def cmd_task_log(args: argparse.Namespace) -> int:
    tasks_client = client(args)
    run = args.run
    if run is None:
        task = tasks_client.task(args.job, args.block, args.task)
        runs = [r.get("run") for r in task.get("runs") or [] if isinstance(r.get("run"), int)]
        if not runs:
            raise CorralError(f"task {args.job}/{args.block}/{args.task} has not run yet")
        run = max(runs)
    text = tasks_client.task_output(args.job, args.block, args.task, run)
    if args.json:
        print_json(
            {"job": args.job, "block": args.block, "task": args.task, "run": run, "output": text}
        )
        return 0
    sys.stdout.write(text)
    if text and not text.endswith("\n"):
        sys.stdout.write("\n")
    return 0


def cmd_task_do(args: argparse.Namespace) -> int:
    tasks = args.tasks or None  # no task numbers: every task of the block
    answer = client(args).task_actions(args.job, args.block, args.action, tasks)
    if args.json:
        print_json(answer)
    else:
        count = int(answer.get("count", 0))
        print(f"{count} task{'' if count == 1 else 's'} changed")
    return 0
