"""Choosing the next task for a free render slot.

Jobs that can start work wait in a JobQueue in solving order (priority, then submission). A
decision walks that queue and each job's blocks and stops at the first task that fits the
render, so its cost depends on the number of runnable jobs and blocks, never on task counts.
"""

from __future__ import annotations

import bisect

from app.core.jobs import Block, Job
from app.core.renders import Render


class JobQueue:
    """Jobs that may have work to start, kept in solving order."""

    def __init__(self) -> None:
        self._keys: list[tuple[int, int]] = []
        self._jobs: dict[tuple[int, int], Job] = {}
        self._key_of: dict[int, tuple[int, int]] = {}

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, job: Job) -> bool:
        return job.id in self._key_of

    def __iter__(self):
        jobs = self._jobs
        return (jobs[key] for key in list(self._keys))

    def refresh(self, job: Job) -> None:
        """Put the job in, move it, or take it out, as its state now says."""
        key = self._key_of.get(job.id)
        wanted = job.order_key() if job.can_start_more() else None
        if key == wanted:
            return
        if key is not None:
            self._keys.pop(bisect.bisect_left(self._keys, key))
            del self._jobs[key], self._key_of[job.id]
        if wanted is not None:
            bisect.insort(self._keys, wanted)
            self._jobs[wanted] = job
            self._key_of[job.id] = wanted

    def remove(self, job: Job) -> None:
        key = self._key_of.pop(job.id, None)
        if key is not None:
            self._keys.pop(bisect.bisect_left(self._keys, key))
            del self._jobs[key]


def block_fits(block: Block, render: Render) -> bool:
    """The block has a task to start and its limits allow one more on this render."""
    spec = block.spec
    if not block.can_start_more() or not render.fits(spec.capacity):
        return False
    per_host = spec.max_running_tasks_per_host
    return per_host < 0 or _block_runs_on(block, render) < per_host


def pick_task(render: Render, queue: JobQueue) -> tuple[Job, Block, int] | None:
    """The first task, in solving order, that may start on this render now."""
    if render.free_slots <= 0:
        return None
    for job in queue:
        per_host = job.spec.max_running_tasks_per_host
        if per_host >= 0 and render.job_tasks.get(job.id, 0) >= per_host:
            continue
        if not job.can_start_more():
            continue
        for block in job.blocks:
            if block_fits(block, render):
                task = block.tasks.next_ready()
                if task is not None:
                    return job, block, task
    return None


def _block_runs_on(block: Block, render: Render) -> int:
    job_id, num = block.job.id, block.num
    if render.job_tasks.get(job_id, 0) == 0:
        return 0
    return sum(1 for key in render.runs if key[0] == job_id and key[1] == num)
