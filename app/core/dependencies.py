"""Dependencies between jobs, blocks and tasks, re-evaluated by push, never by polling.

A job waits while another unfinished job matches its depend_mask (same user) or
depend_mask_global (any user). A block waits while another unfinished block of its job matches
its depend_mask. A task of a block with tasks_depend_mask waits (WDP) until the tasks of the
matching blocks that cover its frames are finished. Changes are pushed from what changed: a
finished task re-checks only the tasks that depend on it (found by frame arithmetic), a
finished block only the blocks of its job, a finished job only the jobs that wait.
"""

from __future__ import annotations

from app.core import states
from app.core.jobs import Block, Job
from app.core.masks import name_regex
from app.core.task_deps import (
    dependents_of,
    frame_shift,
    running_frame,
    satisfied,
    sub_task_ready,
    task_frame_span,
    waited_tasks,
)

FINISHED_CODES = bytes(sorted(states.FINISHED))
_WAITABLE = frozenset({states.RDY, states.WDP})  # states a dependency may switch between


def _full_match(mask: str, name: str) -> bool:
    return bool(mask) and name_regex(mask, "depend_mask").fullmatch(name) is not None


class Dependencies:
    """Which jobs, blocks and tasks wait, kept current as the farm changes."""

    def __init__(self, jobs: dict[int, Job]) -> None:
        self.jobs = jobs
        self.waiting_jobs: dict[int, Job] = {}  # jobs with a depend mask
        # per block: the blocks of its job that wait on it, by depend_mask and tasks_depend_mask
        self._dependants: dict[Block, tuple[list[Block], list[Block]]] = {}

    # -- jobs ----------------------------------------------------------------------------------

    def job_added(self, job: Job) -> list[Job]:
        """A new, restored or restarted job: its own waits (task WDP states are derived, not
        stored). Returns the other jobs whose waiting changed (a new job may make them wait)."""
        if job.spec.depend_mask or job.spec.depend_mask_global:
            self.waiting_jobs[job.id] = job
        else:
            self.waiting_jobs.pop(job.id, None)
        job.waiting = self._job_wait(job)
        for block in job.blocks:
            others = [b for b in job.blocks if b is not block]
            self._dependants[block] = (
                [b for b in others if _full_match(b.spec.depend_mask, block.spec.name)],
                [b for b in others if _full_match(b.spec.tasks_depend_mask, block.spec.name)],
            )
        for block in job.blocks:
            block.waiting = self._block_wait(block)
            if block.spec.tasks_depend_mask:
                self._gate_all(block)
            else:  # no mask (any more): nothing to wait for
                for n in block.tasks.numbers_in(states.WDP):
                    block.tasks.set(n, states.RDY)
        return self.job_changed(job)

    def job_removed(self, job: Job) -> list[Job]:
        self.waiting_jobs.pop(job.id, None)
        for block in job.blocks:
            self._dependants.pop(block, None)
        return self.job_changed(job)

    def job_changed(self, job: Job) -> list[Job]:
        """A job finished, restarted or left: the jobs whose waiting changed."""
        changed = []
        for other in self.waiting_jobs.values():
            if other is job:
                continue
            waiting = self._job_wait(other)
            if waiting != other.waiting:
                other.waiting = waiting
                changed.append(other)
        return changed

    def _job_wait(self, job: Job) -> str:
        own, world = job.spec.depend_mask, job.spec.depend_mask_global
        if not own and not world:
            return ""
        for other in self.jobs.values():
            if other is job or other.done:
                continue
            if _full_match(world, other.name) or (
                other.user_name == job.user_name and _full_match(own, other.name)
            ):
                return f"waits for job {other.id} '{other.name}' (depend mask)"
        return ""

    # -- blocks and tasks ----------------------------------------------------------------------

    def tasks_changed(self, block: Block, numbers: list[int]) -> list[tuple[Block, list[int]]]:
        """Tasks of a block changed state: the dependent tasks that moved between RDY and WDP.

        Blocks of the same job whose waiting changed are updated in place.
        """
        by_block, by_task = self._dependants.get(block, ((), ()))
        for other in by_block:
            other.waiting = self._block_wait(other)
        moved = []
        for other in by_task:
            candidates = set()
            for n in numbers:
                candidates.update(dependents_of(other.spec, block.spec, n))
            moved.append((other, self.regate(other, sorted(candidates))))
        return [(b, tasks) for b, tasks in moved if tasks]

    def _block_wait(self, block: Block) -> str:
        mask = block.spec.depend_mask
        if not mask:
            return ""
        for other in block.job.blocks:
            unfinished = other.tasks.finished < other.tasks.size
            if other is not block and unfinished and _full_match(mask, other.spec.name):
                return f"waits for block {other.num} '{other.spec.name}' (depend_mask)"
        return ""

    def _sources(self, block: Block) -> list[Block]:
        mask = block.spec.tasks_depend_mask
        return [b for b in block.job.blocks if b is not block and _full_match(mask, b.spec.name)]

    def _gate_all(self, block: Block) -> list[int]:
        """Put every ready task whose sources are unfinished into WDP (on submit or restore)."""
        sources = self._sources(block)
        if all(source.tasks.finished == 0 for source in sources) and sources:
            ready = block.tasks.numbers_in(states.RDY)
            for n in ready:
                block.tasks.set(n, states.WDP)
            return ready
        return self.regate(block, range(block.tasks.size))

    def regate(self, block: Block, numbers) -> list[int]:
        """Move the given tasks between RDY and WDP as their sources say; returns the moved."""
        sources = self._sources(block)
        moved = []
        table = block.tasks
        for n in numbers:
            state = table.state(n)
            if state not in _WAITABLE:
                continue
            wanted = states.RDY if self._task_free(block, n, sources) else states.WDP
            if wanted != state:
                table.set(n, wanted)
                moved.append(n)
        return moved

    @staticmethod
    def _task_free(block: Block, n: int, sources: list[Block]) -> bool:
        end = task_frame_span(block.spec, n)[1]
        for source in sources:
            covering = waited_tasks(block.spec, n, source.spec)
            if satisfied(source.tasks.states, covering, FINISHED_CODES):
                continue
            if not source.spec.depend_sub_task:
                return False
            if not _rendered_past(source, covering, end + frame_shift(source.spec, block.spec)):
                return False
        return True

    def progress_changed(self, block: Block, n: int) -> list[tuple[Block, list[int]]]:
        """A running task reported a new frame: with depend_sub_task, dependants may start."""
        if not block.spec.depend_sub_task:
            return []
        moved = []
        for other in self._dependants.get(block, ((), ()))[1]:
            moved.append((other, self.regate(other, dependents_of(other.spec, block.spec, n))))
        return [(b, tasks) for b, tasks in moved if tasks]


def _rendered_past(source: Block, covering: range, end: int) -> bool:
    """depend_sub_task: every unfinished covering task runs and has rendered past frame end."""
    for t in covering:
        state = source.tasks.state(t)
        if state in states.FINISHED:
            continue
        offset = source.progress.get(t, (0, None))[1]
        if state != states.RUN or offset is None:
            return False
        if not sub_task_ready(source.spec, t, running_frame(source.spec, t, offset), end):
            return False
    return True
