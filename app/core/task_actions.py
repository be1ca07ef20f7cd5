"""Job and task actions a person applies (JOB_ACTIONS, TASK_ACTIONS of app/protocol.py).

A mixin of TaskLifecycle (app/core/lifecycle.py); `self` is the life cycle. The callers check
that the job, block, tasks and action exist.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.core import states
from app.core.errors import SpecError
from app.core.jobs import Block, Job

if TYPE_CHECKING:
    from app.core.lifecycle import TaskLifecycle

# task action (but try-next, reset-error-hosts) -> (states it applies to, the new state);
# running tasks are stopped first
_UNFINISHED = states.READY | {states.RUN, states.WRC, states.ERR, states.WDP, states.SUS}
TASK_CHANGES = {
    "skip": (_UNFINISHED, states.SKP),
    "suspend": (_UNFINISHED - {states.SUS}, states.SUS),
    "continue": (frozenset({states.SUS}), states.RDY),
    "done": (_UNFINISHED, states.DON),
    "restart": (frozenset(range(states.COUNT)) - {states.RDY}, states.RDY),
    "restart-running": (states.ACTIVE, states.RDY),
    "restart-errors": (frozenset({states.ERR}), states.RDY),
    "restart-done": (frozenset({states.DON}), states.RDY),
    "restart-skipped": (frozenset({states.SKP}), states.RDY),
}


class TaskActions:
    """What job and task actions change."""

    def act_on_job(self: TaskLifecycle, job: Job, action: str) -> None:
        """Apply pause, start, stop, restart, restart-errors, reset-error-hosts or delete;
        ValueError for any other action."""
        if action == "delete":
            self.delete_job(job)
            return
        if action == "reset-error-hosts":
            self.reset_error_hosts(job)
            return
        if action in ("pause", "stop"):
            job.offline = True
        elif action == "start":
            job.offline = False
        elif action not in ("restart", "restart-errors"):
            raise ValueError(f"unknown job action {action!r}")
        if action in ("stop", "restart"):
            self.stop_running(job)
        if action == "restart":
            for block in job.blocks:
                block.tasks.reset()
                block.error_hosts.clear()
                block.task_error_hosts.clear()
                self.changes.block_reset(job, block.num)
            job.time_started = job.time_done = 0.0
            for other in self.dependencies.job_added(job):
                self.refresh(other)
        elif action == "restart-errors":
            for block in job.blocks:
                moved = block.tasks.move(states.ERR, states.RDY)
                self._save_tasks(job, block.num, moved)
            if job.time_done and not job.done:
                job.time_done = 0.0
        self.changes.job_changed(job)
        self.refresh(job)

    def delete_job(self: TaskLifecycle, job: Job) -> None:
        """A job leaves the farm; its running tasks are stopped."""
        self.stop_running(job)
        job.count_tasks(None)
        del self.jobs[job.id]
        self.solver.remove(job)
        self.changes.job_deleted(job)
        for other in self.dependencies.job_removed(job):
            self.refresh(other)

    def reset_error_hosts(self: TaskLifecycle, job: Job) -> None:
        """Forget the hosts a job's blocks and tasks avoid for their errors."""
        for block in job.blocks:
            block.error_hosts.clear()
            block.task_error_hosts.clear()
        self.fill_all()

    def act_on_tasks(
        self: TaskLifecycle, block: Block, action: str, tasks: list[int] | None
    ) -> int:
        """Apply a task action to some tasks (numbers within the block), or all (tasks None);
        returns how many changed."""
        if action == "try-next":
            return self._try_next(block, tasks)
        if action == "reset-error-hosts":
            return self._reset_task_error_hosts(block, tasks)
        table = block.tasks
        applies, new = TASK_CHANGES[action]
        if tasks is None:  # every task: found per state with C-speed scans
            tasks = sorted(n for state in applies for n in table.numbers_in(state))
        else:
            tasks = dict.fromkeys(tasks)
        changed = []
        for n in tasks:
            old = table.state(n)
            if old not in applies:
                continue
            if old in states.ACTIVE:
                self.stop_task(block, n)
            table.set(n, new)
            table.reset_errors(n)
            changed.append(n)
        self.dependencies.regate(block, changed)
        self._propagate_tasks(block, changed)
        self.job_progress(block.job)
        return len(changed)

    def _reset_task_error_hosts(self: TaskLifecycle, block: Block, tasks: list[int] | None) -> int:
        """Forget the hosts where these tasks failed (errors_task_same_host avoids them)."""
        kept = block.task_error_hosts
        numbers = sorted(kept) if tasks is None else [n for n in dict.fromkeys(tasks) if n in kept]
        for n in numbers:
            del kept[n]
        self._save_tasks(block.job, block.num, numbers)
        self.fill_all()
        return len(numbers)

    def _try_next(self: TaskLifecycle, block: Block, tasks: list[int] | None) -> int:
        """Mark ready tasks to be started before the others of their block."""
        if tasks is None:
            raise SpecError("tasks", "try-next needs the task numbers")
        marked = [n for n in tasks if block.tasks.state(n) in states.READY]
        block.try_next.update(marked)
        self.fill_all()
        return len(marked)
