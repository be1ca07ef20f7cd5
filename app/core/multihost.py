"""Multihost tasks (Afanasy's block flag 4): one task runs on several renders at once.

A multihost task first reserves renders. The render that picks it holds it for its master;
renders with room join it as its hosts (the names that fill `@AF_HOSTS@`), before any other
work, until it has `multihost_max` hosts, or until `multihost_max_wait` seconds have passed
with at least `multihost_min` (with a max_wait of 0: as soon as it has min). A reservation that
has fewer than min hosts by then is given up: its renders are freed and the task is ready
again. With `multihost_master_on_slave` the master's render is the first host.

Once reserved, every host but the master's render runs `multihost_service` (when the block has
one) as a run of its own, and `multihost_service_wait` seconds later the master's render runs
the task's command. The task ends with the master's run; the hosts' runs are stopped then. A
host lost, or whose service ends first, fails the task.

A mixin of TaskLifecycle (app/core/lifecycle.py); `self` is the life cycle. Reservations hold
their renders under the key of run RESERVED until they start. The open reservations are few;
a render's fill looks at them before asking the solver, so the cost stays independent of the
number of tasks.
"""

from __future__ import annotations

import heapq
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.core import rules, states
from app.core.assignments import assignment, service_assignment
from app.core.jobs import Block
from app.core.renders import Render
from app.core.rules import FarmView
from app.core.solver import task_reason
from app.protocol import RunKey

if TYPE_CHECKING:
    from app.core.lifecycle import TaskLifecycle

log = logging.getLogger("corral.multihost")

RESERVED = -1  # the run number of a reservation's holds: no run has started yet
TaskId = tuple[int, int, int]  # job, block, task


@dataclass(eq=False)
class Gathering:
    """A multihost task's renders: reserved, then running."""

    block: Block
    n: int
    since: float  # when the reservation began
    renders: list[Render]  # renders[0] runs the master
    master_key: RunKey | None = None  # set once the task starts
    master_at: float = 0.0  # when the master's command starts (after the service wait)
    held: dict[int, RunKey] = field(default_factory=dict)  # render id -> key of its hold

    @property
    def task_id(self) -> TaskId:
        return (self.block.job.id, self.block.num, self.n)

    @property
    def hosts(self) -> list[Render]:
        """The renders whose names fill @AF_HOSTS@."""
        spec = self.block.spec
        return self.renders if spec.multihost_master_on_slave else self.renders[1:]

    def complete(self, timed_out: bool) -> bool:
        """Enough hosts to start: max, or min once the wait is over (or is 0)."""
        spec, count = self.block.spec, len(self.hosts)
        if count >= spec.multihost_max:
            return True
        return count >= spec.multihost_min and (timed_out or spec.multihost_max_wait == 0)


class MultihostTasks:
    """The reservations and running groups of multihost tasks, by task."""

    gatherings: dict[TaskId, Gathering]  # set by TaskLifecycle.__init__

    # -- reserving ---------------------------------------------------------------------------

    def _reserve(self: TaskLifecycle, render: Render, block: Block, n: int) -> None:
        """A render picked a multihost task: it holds it for the master; others may join."""
        block.tasks.set(n, states.RUN)  # its run starts once it has its hosts
        gathering = Gathering(block, n, self.clock(), [])
        self.gatherings[gathering.task_id] = gathering
        self._add_host(gathering, render)
        self._save_tasks(block.job, block.num, [n])
        self.solver.refresh(block.job)
        if gathering.complete(timed_out=False):
            self._launch(gathering)

    def _join(self: TaskLifecycle, render: Render, view: FarmView) -> bool:
        """Let a render join an open reservation that may use it; False if none may."""
        for gathering in list(self.gatherings.values()):
            if gathering.master_key is not None or render in gathering.renders:
                continue
            block = gathering.block
            job = block.job
            if (
                rules.render_reason(render)
                or (job.user is not None and rules.user_reason(job.user, render))
                or rules.job_host_reason(job, render, view)
                or rules.host_reason(block, render, view)
                or task_reason(block, gathering.n, render, view)
            ):
                continue
            self._add_host(gathering, render)
            if gathering.complete(timed_out=False):
                self._launch(gathering)
            return True
        return False

    def _add_host(self: TaskLifecycle, gathering: Gathering, render: Render) -> None:
        key = (*gathering.task_id, RESERVED)
        gathering.renders.append(render)
        gathering.held[render.id] = key
        self._hold(render, key, gathering.block, gathering.block.spec.capacity)

    def _give_up(self: TaskLifecycle, gathering: Gathering) -> None:
        """Too few hosts in time: free the renders; the task is ready again."""
        block, n = gathering.block, gathering.n
        del self.gatherings[gathering.task_id]
        self._free(gathering)
        log.info(
            "multihost task %s/%s/%s: %d of %d hosts after %d s, freed",
            *gathering.task_id,
            len(gathering.hosts),
            block.spec.multihost_min,
            block.spec.multihost_max_wait,
        )
        block.tasks.set(n, states.RDY)
        self._save_tasks(block.job, block.num, [n])
        self.refresh(block.job)

    def _free(self: TaskLifecycle, gathering: Gathering) -> None:
        for render in gathering.renders:
            key = gathering.held.pop(render.id, None)
            if key is not None:
                self._release(render, key)

    # -- running -----------------------------------------------------------------------------

    def _launch(self: TaskLifecycle, gathering: Gathering) -> None:
        """Start the hosts' service runs, then the master's run (its command after the wait)."""
        block, n, now = gathering.block, gathering.n, self.clock()
        job, spec, table = block.job, block.spec, block.tasks
        self._free(gathering)
        names = [render.name for render in gathering.hosts]
        master, *others = gathering.renders
        for render in others if spec.multihost_service else ():
            run = table.start(n, render.id, now)
            key = (job.id, block.num, n, run)
            self._hold(render, key, block, spec.capacity)
            gathering.held[render.id] = key
            self.changes.run_started(key, render, now)
            if render.online:  # else its run is lost with it, and fails the task
                self.changes.assign(render, service_assignment(job, block, n, run, names))
            self.changes.show_render(render)
        run = table.start(n, master.id, now)
        gathering.master_key = key = (job.id, block.num, n, run)
        self._hold(master, key, block, spec.capacity)
        for render in others if not spec.multihost_service else ():
            self._hold(render, key, block, spec.capacity)  # reserved for the master's use
            gathering.held[render.id] = key
        block.progress[n] = (0, None, now)
        if not job.time_started:
            job.time_started = now
            self.changes.job_changed(job)
        self._save_tasks(job, block.num, [n])
        self.changes.run_started(key, master, now)
        gathering.master_at = now + (spec.multihost_service_wait if spec.multihost_service else 0)
        log.info("multihost task %s/%s/%s starts on %s", *gathering.task_id, " ".join(names))
        if gathering.master_at <= now:
            self._start_master(gathering)
        master.last_task_change = now
        self.changes.show_render(master)
        self.solver.refresh(job)

    def _start_master(self: TaskLifecycle, gathering: Gathering) -> None:
        block, key = gathering.block, gathering.master_key
        assert key is not None
        gathering.master_at = 0.0
        names = [render.name for render in gathering.hosts]
        master = gathering.renders[0]
        if block.spec.task_max_run_time > 0:
            heapq.heappush(self.deadlines, (self.clock() + block.spec.task_max_run_time, key))
        if master.online:  # else its run is lost with it
            self.changes.assign(master, assignment(block.job, block, gathering.n, key[3], 1, names))

    def _end_hosts(self: TaskLifecycle, gathering: Gathering) -> None:
        """The task ended or was stopped: stop the hosts' service runs (their slots free when
        they report) and free the slots held for the master."""
        del self.gatherings[gathering.task_id]
        if gathering.master_key is None:
            self._free(gathering)
            return
        for render in gathering.renders[1:]:
            key = gathering.held.pop(render.id, None)
            if key is None:
                continue
            if key == gathering.master_key:
                self._release(render, key)
            else:
                self.changes.stop(render.id, key)

    def _host_failed(self: TaskLifecycle, gathering: Gathering, render: Render, why: str) -> None:
        """A host's service ended, or the host was lost, while the master runs: the task
        fails."""
        block, n = gathering.block, gathering.n
        master = gathering.renders[0]
        gathering.held.pop(render.id, None)
        self.fail_run(block, n, master, f"multihost host {render.name} {why}")

    def multihost_ended(self: TaskLifecycle, render: Render, key: RunKey) -> None:
        """A run of a multihost task ended on a render: the master's ends the hosts' runs; a
        host's service run that ends first fails the task (and is recorded as an error)."""
        gathering = self.gatherings.get(key[:3])
        if gathering is None or gathering.master_key is None:
            return
        if key == gathering.master_key and render is gathering.renders[0]:
            self._end_hosts(gathering)
        elif key != gathering.master_key and gathering.held.get(render.id) == key:
            self.run_errors[key] = "multihost service ended before the master"
            self._host_failed(gathering, render, "ended its service before the master")

    def multihost_lost(self: TaskLifecycle, render: Render, key: RunKey) -> bool:
        """A render lost a run of a multihost task: a host of a reservation leaves it, a host
        of a running task fails it. True when handled here (not the master's run)."""
        gathering = self.gatherings.get(key[:3])
        if gathering is None or gathering.held.get(render.id) != key:
            return False
        if gathering.master_key is None:  # still reserving: it goes on without this render
            gathering.held.pop(render.id)
            gathering.renders.remove(render)
            self._release(render, key)
            if not gathering.renders:
                self._give_up(gathering)
            return True
        if render is gathering.renders[0]:
            return False  # the master's run: lost as any run
        self._release(render, key)
        self._host_failed(gathering, render, "was lost")
        if key != gathering.master_key:  # its service run
            self.changes.run_lost(key, self.clock(), False, render)
        return True

    def multihost_stopped(self: TaskLifecycle, block: Block, n: int) -> bool:
        """A multihost task is stopped: its reservation is freed (True: no run to stop), or its
        hosts' runs are stopped with it (False: the master's run is stopped as any run)."""
        gathering = self.gatherings.get((block.job.id, block.num, n))
        if gathering is None:
            return False
        reserving = gathering.master_key is None
        self._end_hosts(gathering)
        return reserving

    def multihost_tick(self: TaskLifecycle, now: float) -> None:
        """Reservations whose wait is over start or are given up; masters whose service wait
        is over start."""
        for gathering in list(self.gatherings.values()):
            wait = gathering.block.spec.multihost_max_wait
            if gathering.master_key is None:
                if wait > 0 and now >= gathering.since + wait:
                    if gathering.complete(timed_out=True):
                        self._launch(gathering)
                    else:
                        self._give_up(gathering)
            elif gathering.master_at and now >= gathering.master_at:
                self._start_master(gathering)
