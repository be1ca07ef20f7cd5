"""Choosing the next task for a free render slot, and explaining why work does not start.

Each user keeps a queue of the jobs that may have work to start. A decision walks users by
fair share (Afanasy's need = 1.1^priority / (running + 1); ties go to the user served least
recently), each user's jobs in their order, and each job's blocks, and stops at the first task
that every rule allows on this render. Its cost depends on the numbers of runnable users, jobs
and blocks, never on task counts.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterator

from app.core import rules, states
from app.core.jobs import Block, Job
from app.core.renders import Render
from app.core.rules import FarmView
from app.core.users import User

CANDIDATES_PER_BLOCK = 64  # ready tasks tried per block when some avoid this render


class JobQueue:
    """Jobs that may have work to start, kept in solving order."""

    def __init__(self) -> None:
        self._keys: list[tuple] = []
        self._jobs: dict[tuple, Job] = {}
        self._key_of: dict[int, tuple] = {}

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, job: Job) -> bool:
        return job.id in self._key_of

    def __iter__(self) -> Iterator[Job]:
        jobs = self._jobs
        return (jobs[key] for key in list(self._keys))

    def refresh(self, job: Job) -> None:
        """Put the job in, move it, or take it out, as its state now says."""
        key = self._key_of.get(job.id)
        wanted = (-job.priority, job.order, job.id) if job.can_start_more() else None
        if key == wanted:
            return
        self.remove(job)
        if wanted is not None:
            bisect.insort(self._keys, wanted)
            self._jobs[wanted] = job
            self._key_of[job.id] = wanted

    def remove(self, job: Job) -> None:
        key = self._key_of.pop(job.id, None)
        if key is not None:
            self._keys.pop(bisect.bisect_left(self._keys, key))
            del self._jobs[key]


class Solver:
    """The per-user job queues and the decision walk over them."""

    def __init__(self) -> None:
        self.queues: dict[str, JobQueue] = {}
        self.users: dict[str, User] = {}
        self._turn = itertools.count(1)

    def refresh(self, job: Job) -> bool:
        """Re-queue a job after a change; True when it was not queued before and now is."""
        queue = self.queues.get(job.user_name)
        if queue is None:
            queue = self.queues[job.user_name] = JobQueue()
            self.users[job.user_name] = job.user
        was_queued = job in queue
        queue.refresh(job)
        return job in queue and not was_queued

    def remove(self, job: Job) -> None:
        queue = self.queues.get(job.user_name)
        if queue is not None:
            queue.remove(job)

    def queued(self, job: Job) -> bool:
        queue = self.queues.get(job.user_name)
        return queue is not None and job in queue

    def pick(self, render: Render, view: FarmView) -> tuple[Job, Block, int] | None:
        """The first task, in solving order, that may start on this render now."""
        if rules.render_reason(render):
            return None
        for user in self._users_in_order():
            if rules.user_reason(user, render):
                continue
            for job in self._jobs_in_order(user):
                if rules.job_reason(job, render, view):
                    continue
                for block in _blocks_in_order(job):
                    if rules.block_reason(block, render, view):
                        continue
                    task = _task_for(block, render, view)
                    if task is not None:
                        user.last_solved = next(self._turn)
                        return job, block, task
        return None

    def _users_in_order(self) -> list[User]:
        users = [self.users[name] for name, queue in self.queues.items() if len(queue)]
        users.sort(key=lambda user: (-user.need(), user.last_solved))
        return users

    def _jobs_in_order(self, user: User) -> list[Job] | JobQueue:
        queue = self.queues[user.name]
        if user.solve_method != "priority":
            return queue
        return sorted(queue, key=lambda job: -(1.1**job.priority) / (job.running + 1))


def task_reason(block: Block, n: int, render: Render, view: FarmView) -> str | None:
    """Why task n of the block may not run on this render (its own avoid list), or None."""
    hosts = block.task_error_hosts.get(n)
    if hosts is None:
        return None
    limit = block.error_setting("errors_task_same_host")
    if hosts.avoids(render.name, limit, view.now, block.error_setting("errors_forgive_time")):
        return f"task {n} avoids {render.name} after errors there (errors_task_same_host)"
    return None


CAN_RUN_HERE = "can run here"  # the explainer's answer for a render the job may start on


def explain(job: Job, renders: list[Render], view: FarmView) -> dict:
    """Why this job is or is not running: its own state, then per render the first rule."""
    per_render = []
    for render in renders:
        reason = rules.render_reason(render)
        if reason is None and job.user is not None:
            reason = rules.user_reason(job.user, render)
        reason = reason or rules.job_reason(job, render, view)
        if reason is None:
            blocks = [rules.block_reason(block, render, view) for block in job.blocks]
            if all(blocks):
                pairs = zip(job.blocks, blocks, strict=True)
                reason = "; ".join(f"block {b.num}: {r}" for b, r in pairs)
        per_render.append({"render": render.name, "reason": reason or CAN_RUN_HERE})
    return {
        "job": job.id,
        "running": job.running,
        "state": job.summary(False, view.now, {render.name for render in renders})["state"],
        "renders": per_render,
    }


def _blocks_in_order(job: Job) -> list[Block]:
    """The job's blocks, those with tasks to try next first (Afanasy tries them job-wide)."""
    blocks = job.blocks
    if not any(block.try_next for block in blocks):
        return blocks
    return sorted(blocks, key=lambda block: not block.try_next)


def _task_for(block: Block, render: Render, view: FarmView) -> int | None:
    """The first ready task of the block that may run on this render: tasks marked to try
    next first, then in pick order; a preview (ppa) stops at the end of the preview frames."""
    tasks = block.tasks
    if block.job.spec.maintenance:  # one task per render, named after it
        n = block.task_named(render.name)
        return n if n is not None and tasks.state(n) in states.READY else None
    for n in list(block.try_next):
        if tasks.state(n) not in states.READY:
            block.try_next.discard(n)
        elif task_reason(block, n, render, view) is None:
            block.try_next.discard(n)
            return n
    preview = block.preview_only()
    if not block.task_error_hosts and not preview:
        return tasks.next_ready()
    for n in itertools.islice(tasks.ready_numbers(), CANDIDATES_PER_BLOCK):
        if preview and not tasks.order.is_early(n):
            return None
        if task_reason(block, n, render, view) is None:
            return n
    return None
