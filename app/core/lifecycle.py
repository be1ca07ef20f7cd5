"""The task life cycle: what starts, ends, retries, is adopted or lost, and what that changes.

TaskLifecycle holds the farm's state (jobs, renders, users, pools, tickets, the solver and the
dependencies) and makes every decision that moves a task. It does no I/O: each effect (a store
write, an event for monitors, a message to a render) goes through `Changes`, which the server
implements. The clock is injected, so a test drives it with a fake one.
"""

from __future__ import annotations

import heapq
import itertools
import logging
from collections.abc import Callable
from typing import Protocol

from app.core import states
from app.core.assignments import assignment
from app.core.dependencies import Dependencies
from app.core.jobs import Block, Job
from app.core.multihost import Gathering, MultihostTasks, TaskId
from app.core.pools import PoolTree
from app.core.renders import OnlineNames, Render
from app.core.rules import FarmView, capacity_coefficient
from app.core.solver import Solver
from app.core.task_actions import TaskActions
from app.core.tickets import TicketLedger
from app.core.timeouts import Timeouts
from app.core.users import User
from app.protocol import (
    RUN_DONE,
    RUN_ERROR,
    RUN_SKIPPED,
    RUN_STOPPED,
    STOPPED,
    RunKey,
    is_fatal,
    run_error,
)

log = logging.getLogger("corral.lifecycle")


class Changes(Protocol):
    """The effects of the life cycle's decisions; the server stores and sends them.

    Every method but the `show_` ones stores its change (and tells monitors); `show_` ones only
    tell monitors.
    """

    def tasks_changed(self, job: Job, block_num: int, numbers: list[int]) -> None:
        """Some tasks of a block changed state (numbers is never empty)."""

    def show_progress(self, job: Job, block_num: int, n: int) -> None:
        """A running task's progress (percent or frame) changed."""

    def job_changed(self, job: Job) -> None:
        """A job's times, offline flag or order changed."""

    def job_deleted(self, job: Job) -> None: ...

    def block_reset(self, job: Job, block_num: int) -> None:
        """Every task of a block is ready again, without errors."""

    def user_changed(self, user: User) -> None: ...

    def show_render(self, render: Render) -> None:
        """A render's runs (and so its capacity in use) or its health (`sick`) changed. Runs are
        stored with their tasks; health is not stored (it starts over with the server)."""

    def render_silent(self, render: Render) -> None:
        """A render sent nothing for its zombie_time and is offline now: close its connection."""

    def render_deleted(self, render: Render) -> None:
        """An offline render left the farm (its runs were lost first)."""

    def run_started(self, key: RunKey, render: Render, now: float) -> None:
        """A new run on a render (assigned, or reported by a render after a restart)."""

    def run_adopted(self, key: RunKey) -> None:
        """A render that reconnected still runs a run the farm knows."""

    def run_lost(
        self, key: RunKey, now: float, current: bool, render: Render | None = None
    ) -> None:
        """A run left its render without a result (lost with it, or its render deleted); when
        it was its task's current run, or a multihost host's service run (render: that host),
        its record ends as lost at now."""

    def run_ended(
        self, key: RunKey, render: Render, run_state: str, error: str | None, report: dict
    ) -> None:
        """A render's result was counted: record the run's state (a RUN_STATES name of
        app/protocol.py), its error and the report's figures."""

    def run_late(
        self, key: RunKey, render: Render, run_state: str, error: str | None, report: dict
    ) -> None:
        """A result its task no longer waits for (a copy of a counted one, or the result of a
        run lost and started again): record it as run_ended does, unless the run already has
        a result."""

    def assign(self, render: Render, task: dict) -> None:
        """Send a render a task to start (the `assign.task` object)."""

    def stop(self, render_id: int, key: RunKey) -> None:
        """Order a render (if connected) to stop a run."""


class TaskLifecycle(TaskActions, Timeouts, MultihostTasks):
    """Jobs, renders, the solving queue, and the rules that move tasks between them."""

    def __init__(self, changes: Changes, clock: Callable[[], float]) -> None:
        self.changes = changes
        self.clock = clock
        self.jobs: dict[int, Job] = {}
        self.users: dict[str, User] = {}
        self.solver = Solver()
        self.pools = PoolTree()
        self.tickets = TicketLedger()
        self.run_tickets: dict[RunKey, tuple[dict[str, int], str]] = {}  # held licences
        self.deadlines: list[tuple[float, RunKey]] = []  # task_max_run_time, soonest first
        self.wakeups: list[float] = []  # times when waiting work may start (time_wait, forgive)
        self.run_errors: dict[RunKey, str] = {}  # runs stopped as failures, until their result
        self.gatherings: dict[TaskId, Gathering] = {}  # multihost tasks' renders (multihost.py)
        self.job_order = itertools.count(1)
        self.dependencies = Dependencies(self.jobs)
        self.renders: dict[str, Render] = {}
        self.render_names: dict[int, str] = {}
        # connected renders by id; render_connected and render_disconnected alone change it,
        # together with Render.online (the server keeps one link per render in it)
        self.online: dict[int, Render] = {}
        self.lost_since: dict[int, float] = {}  # disconnected renders whose runs may come back
        self.hold_until = 0.0  # after a restart: start nothing new until renders are back
        self.expected_renders: set[str] = set()

    # -- jobs and users ------------------------------------------------------------------------

    def user(self, name: str) -> User:
        """The user of that name, created on first use."""
        user = self.users.get(name)
        if user is None:
            user = self.users[name] = User(name=name, time_register=self.clock())
            self.changes.user_changed(user)
        return user

    def job_added(self, job: Job) -> None:
        """A job enters the farm (submitted, restored or edited): its tasks in its user's queue
        (blocks appended since included), its waits, its queue place."""
        job.count_tasks(job.user)
        if job.spec.time_wait > self.clock():
            heapq.heappush(self.wakeups, job.spec.time_wait)
        for other in self.dependencies.job_added(job):
            self.refresh(other)
        self.refresh(job)

    def job_progress(self, job: Job) -> None:
        """After tasks changed: the job's done time, its dependants, its place in the queue."""
        done = job.done
        if done != bool(job.time_done):
            job.time_done = self.clock() if done else 0.0
            self.changes.job_changed(job)
            for other in self.dependencies.job_changed(job):
                self.refresh(other)
        self.refresh(job)

    def refresh(self, job: Job) -> None:
        """Re-queue a job after a change; when it gains work, offer it to every free render."""
        if self.solver.refresh(job):
            self.fill_all()

    def block_of(self, key: RunKey) -> Block | None:
        """The block of a run's task, or None when the job, block or task is gone."""
        job_id, block_num, n, _ = key
        job = self.jobs.get(job_id)
        if job is None or not 0 <= block_num < len(job.blocks):
            return None
        block = job.blocks[block_num]
        return block if 0 <= n < block.tasks.size else None

    def _propagate_tasks(self, block: Block, numbers: list[int]) -> None:
        """Report changed tasks, and push the change to the tasks and blocks that depend on them."""
        self._save_tasks(block.job, block.num, numbers)
        for other, moved in self.dependencies.tasks_changed(block, numbers):
            self._save_tasks(other.job, other.num, moved)

    def _save_tasks(self, job: Job, block_num: int, numbers: list[int]) -> None:
        if numbers:
            self.changes.tasks_changed(job, block_num, numbers)

    # -- dispatch ------------------------------------------------------------------------------

    def job_summary(self, job: Job, with_blocks: bool = True) -> dict:
        """A job's JSON as of now: WTM while its time_wait is ahead, AVD while it avoids every
        online render after errors there."""
        return job.summary(with_blocks, self.clock(), OnlineNames(self.renders, self.online))

    def job_state(self, job: Job) -> list[str]:
        """The codes of a job's state as its summary gives them now (job_summary)."""
        return job.state_codes(self.clock(), OnlineNames(self.renders, self.online))

    def view(self) -> FarmView:
        return FarmView(pools=self.pools, tickets=self.tickets, now=self.clock())

    def fill(self, render: Render) -> None:
        """Start tasks on a render until it is full or nothing fits."""
        if self.hold_until or not render.online:
            return
        view = self.view()
        while True:
            if self.gatherings and self._join(render, view):
                continue
            picked = self.solver.pick(render, view)
            if picked is None:
                return
            job, block, n = picked
            if block.spec.multihost:
                self._reserve(render, block, n)
            else:
                self._start(render, job, block, n)

    def fill_all(self) -> None:
        """Offer work to every render with a free slot, most ready first (Afanasy's order:
        higher pool and render priority, fewer running tasks, more free capacity)."""
        free = [render for render in self.online.values() if render.free_slots > 0]
        free.sort(key=self._readiness)
        for render in free:
            self.fill(render)

    def _readiness(self, render: Render) -> tuple:
        spare = render.capacity - render.capacity_used
        return (*self._priority(render), len(render.runs), -spare, render.name)

    def _priority(self, render: Render) -> tuple[int, int]:
        """Higher pool priority first, then higher render priority."""
        return (-self.pools.effective(render.pool).priority, -render.priority)

    def _start(self, render: Render, job: Job, block: Block, n: int) -> None:
        now = self.clock()
        run = block.tasks.start(n, render.id, now)
        key = (job.id, block.num, n, run)
        coefficient = capacity_coefficient(block, render)
        self._hold(render, key, block, block.spec.capacity * coefficient)
        block.progress[n] = (0, None, now)
        if not job.time_started:
            job.time_started = now
            self.changes.job_changed(job)
        self.changes.tasks_changed(job, block.num, [n])
        self.changes.run_started(key, render, now)
        if block.spec.task_max_run_time > 0:
            heapq.heappush(self.deadlines, (now + block.spec.task_max_run_time, key))
        self.changes.assign(render, assignment(job, block, n, run, coefficient))
        render.last_task_change = now
        self.changes.show_render(render)
        self.solver.refresh(job)

    def _hold(self, render: Render, key: RunKey, block: Block, capacity: int) -> None:
        """A render takes a run: its capacity, its user's share, its licences."""
        if key in render.runs:
            return
        render.hold(key, capacity, block.job.user_name)
        user = block.job.user
        user.running_tasks += 1
        user.running_capacity += capacity
        if block.spec.tickets:
            self.tickets.acquire(block.spec.tickets, render.name, render.pool)
            self.run_tickets[key] = (block.spec.tickets, render.pool)

    def _release(self, render: Render, key: RunKey) -> bool:
        """The inverse of _hold; False if the render did not hold the run."""
        capacity = render.runs.get(key)
        if capacity is None:
            return False
        user = self.users.get(render.run_users.get(key, ""))
        render.release(key)
        if user is not None:
            user.running_tasks -= 1
            user.running_capacity -= capacity
        held = self.run_tickets.pop(key, None)
        if held is not None:
            self.tickets.release(held[0], render.name, held[1])
        block = self.block_of(key)
        _, _, n, run = key
        if block is not None and block.tasks.detail(n)[0] == run:  # its task's latest start
            block.progress.pop(n, None)
        render.last_task_change = self.clock()
        self.changes.show_render(render)
        return True

    def progress(self, render: Render, key: RunKey, percent: int, frame: int | None) -> None:
        """A running task's parser reported progress (percent, frame offset in the task): it
        dates task_progress_change_timeout, and a new frame may free depend_sub_task tasks."""
        block = self.block_of(key)
        if block is None or key not in render.runs:
            return
        _, _, n, _ = key
        now = self.clock()
        old = block.progress.get(n, (0, None, now))
        changed = (percent, frame) != old[:2]
        block.progress[n] = (percent, frame, now if changed else old[2])
        if changed:
            self.changes.show_progress(block.job, block.num, n)
        if changed and frame != old[1]:
            for other, moved in self.dependencies.progress_changed(block, n):
                self._save_tasks(other.job, other.num, moved)
                self.refresh(other.job)

    # -- a run ends ----------------------------------------------------------------------------

    def end_run(self, render: Render, key: RunKey, report: dict) -> None:
        """A render reports a finished run: move its task, record the run (run_ended), and
        offer the freed slot. A result its task no longer waits for moves nothing (run_late);
        a run of a deleted job changes nothing."""
        held = self._release(render, key)
        if self.gatherings:
            self.multihost_ended(render, key)
        block = self.block_of(key)
        if block is None:
            return
        _, _, n, run = key
        table = block.tasks
        current = (
            table.state(n) in states.ACTIVE
            and table.detail(n)[0] == run
            and table.render[n] == render.id  # the run is this render's, not another's
        )
        run_state, error = _judged(report, block.spec.task_min_run_time)
        if not held and not current:  # counted already, or lost and started again
            self.changes.run_late(key, render, run_state, error, report)
            return
        if not current:  # stopped by an order; a timeout counted its error then
            failure = self.run_errors.pop(key, None)
            run_state, error = (RUN_ERROR, failure) if failure else (RUN_STOPPED, report["error"])
        elif run_state == RUN_STOPPED:  # interrupted on the render (it shut down): no failure
            table.set(n, states.RDY)
            self._save_tasks(block.job, block.num, [n])
            self.refresh(block.job)
        else:
            failure = error if run_state == RUN_ERROR else None
            skipped = run_state == RUN_SKIPPED
            self._finish_task(block, n, render, failure, is_fatal(report), skipped)
        self.changes.run_ended(key, render, run_state, error, report)
        self.fill(render)

    def _finish_task(
        self,
        block: Block,
        n: int,
        render: Render,
        error: str | None,
        fatal: bool = False,
        skipped: bool = False,
    ) -> None:
        """A current run ended: done (or skipped), or an error counted against the task and the
        host; a fatal error (e.g. no licence) is not retried."""
        table, job, now = block.tasks, block.job, self.clock()
        if error is None:
            table.finish(n, states.SKP if skipped else states.DON, now)
            self.heal(render)
        else:
            errors = table.add_error(n)
            retry = errors <= block.error_setting("errors_retries") and not fatal
            table.finish(n, states.RER if retry else states.ERR, now)
            block.error_hosts.add(render.name, now)
            block.task_errors(n).add(render.name, now)
            forgive = block.error_setting("errors_forgive_time")
            if forgive > 0:
                heapq.heappush(self.wakeups, now + forgive)
            self._render_error(render, job, block)
            log.info("task %s/%s/%s failed on %s: %s", job.id, block.num, n, render.name, error)
        self._propagate_tasks(block, [n])
        self.job_progress(job)

    def heal(self, render: Render) -> None:
        """Forget a render's recent errors and make it healthy: after a success, or when an
        admin heals it (a sick render gets no task, so no success of its own can heal it)."""
        render.recent_errors.clear()
        if render.sick:
            render.sick = False
            self.changes.show_render(render)

    def _render_error(self, render: Render, job: Job, block: Block) -> None:
        """Count an error on a render; too many from different users make it sick."""
        limit = self.pools.effective(render.pool).sick_errors_count
        render.recent_errors = [e for e in render.recent_errors if e[0] != job.user_name]
        render.recent_errors.append((job.user_name, block.spec.service, self.clock()))
        if limit > 0 and len(render.recent_errors) >= limit and not render.sick:
            render.sick = True
            self.changes.show_render(render)
            log.warning("render %s is sick: errors from %d users", render.name, limit)

    def fail_run(self, block: Block, n: int, render: Render, error: str) -> None:
        """Stop a running task as a failure; its run is recorded with this error."""
        key = (block.job.id, block.num, n, block.tasks.detail(n)[0])
        self.run_errors[key] = error
        self.stop_task(block, n)
        self._finish_task(block, n, render, error)

    def stop_task(self, block: Block, n: int) -> None:
        """Order the render of a running task to stop it (its slot frees when it reports); a
        multihost task's hosts are stopped or freed with it."""
        if self.gatherings and self.multihost_stopped(block, n):
            return
        run, _, render_id, _, _ = block.tasks.detail(n)
        self.changes.stop(render_id, (block.job.id, block.num, n, run))

    def stop_running(self, job: Job) -> None:
        """Stop every running task of a job; they are ready again."""
        for block in job.blocks:
            active = block.tasks.numbers_in(states.RUN) + block.tasks.numbers_in(states.WRC)
            for n in active:
                self.stop_task(block, n)
                block.tasks.set(n, states.RDY)
            self._save_tasks(job, block.num, active)

    def eject(self, render: Render, keep_user: str | None) -> None:
        """Stop a render's tasks (those of keep_user stay); they are ready again, no error."""
        for key in list(render.runs):
            if keep_user is not None and render.run_users.get(key) == keep_user:
                continue
            block = self.block_of(key)
            if block is None:
                continue
            _, _, n, run = key
            if block.tasks.state(n) in states.ACTIVE and block.tasks.detail(n)[0] == run:
                self.stop_task(block, n)
                block.tasks.set(n, states.RDY)
                self._save_tasks(block.job, block.num, [n])
                self.refresh(block.job)

    # -- renders come and go -------------------------------------------------------------------

    def render_connected(
        self, render: Render, running: list[RunKey], finished: list[RunKey]
    ) -> list[RunKey]:
        """A render (re)connects reporting the runs it still runs and those whose results it
        will resend: adopt them, lose the runs it no longer has; returns the runs to stop."""
        self.online[render.id] = render
        self.lost_since.pop(render.id, None)
        render.online = True
        running, finished = set(running), set(finished)
        stop = [key for key in running if not self._adopt(render, key)]
        for key in finished:
            self._adopt(render, key)
        for key in list(render.runs):
            if key not in running and key not in finished:
                self.lose_run(render, key)
        return stop

    def ready(self, render: Render) -> None:
        """A connected render has been answered: start its work, or end the start-up hold once
        every render expected back is."""
        self.expected_renders.discard(render.name)
        if self.hold_until and not self.expected_renders:
            self.release_hold()
        else:
            self.fill(render)

    def render_disconnected(self, render: Render, since: float | None = None) -> None:
        """A render is offline (since a time, else now); its runs stay its own until it has
        been for its zombie_time."""
        del self.online[render.id]
        render.online = False
        self.lost_since[render.id] = self.clock() if since is None else since
        log.info("render %s disconnected", render.name)

    def forget_render(self, render: Render) -> None:
        """An offline render is deleted: its runs are lost."""
        for key in list(render.runs):
            self.lose_run(render, key)
        del self.renders[render.name], self.render_names[render.id]
        self.lost_since.pop(render.id, None)
        self.changes.render_deleted(render)

    def _adopt(self, render: Render, key: RunKey) -> bool:
        """Take a run a render reports as its own; False if the farm no longer wants it."""
        block = self.block_of(key)
        if block is None:
            return False
        _, _, n, run = key
        table = block.tasks
        state = table.state(n)
        starts, _, holder, _, _ = table.detail(n)
        if state in states.ACTIVE and starts == run:
            if state == states.RUN and holder != render.id and holder in self.online:
                return False
            table.set(n, states.RUN)
            table.render[n] = render.id
            self.changes.run_adopted(key)
        elif state in states.READY and run >= starts:
            now = self.clock()
            table.start(n, render.id, now)
            table.starts[n] = run
            self.changes.run_started(key, render, now)
        else:
            return False
        self._hold(render, key, block, block.spec.capacity)
        self._save_tasks(block.job, block.num, [n])
        self.solver.refresh(block.job)
        return True

    def lose_run(self, render: Render, key: RunKey) -> None:
        """A run vanished with its render: the task is ready again, with no error counted (a
        multihost task's host: multihost.py)."""
        if self.gatherings and self.multihost_lost(render, key):
            return
        self._release(render, key)
        self.run_errors.pop(key, None)
        block = self.block_of(key)
        _, _, n, run = key
        current = (
            block is not None
            and block.tasks.state(n) in states.ACTIVE
            and block.tasks.detail(n)[0] == run
        )
        if current:
            block.tasks.set(n, states.RDY)
            self._save_tasks(block.job, block.num, [n])
        self.changes.run_lost(key, self.clock(), current)
        if current:
            self.refresh(block.job)
            log.info("task %s lost with render %s: ready again", key, render.name)

    def hold_for_renders(self, online: set[str], grace: float) -> None:
        """After a restart, start nothing new for grace seconds, or until every render that
        was online, and every render a waiting (WRC) run belongs to, is back: a render away
        when the server stopped still reports its runs, and resends their results."""
        expected, waiting = set(online), False
        for job in self.jobs.values():
            for block in job.blocks:
                for n in block.tasks.numbers_in(states.WRC):
                    waiting = True
                    name = self.render_names.get(block.tasks.render[n])
                    if name is not None:
                        expected.add(name)
        if waiting or expected:
            self.hold_until = self.clock() + grace
            self.expected_renders = expected

    def release_hold(self) -> None:
        """Start-up hold over: runs nobody reclaimed are lost, their tasks ready again; start
        work."""
        self.hold_until = 0.0
        self.expected_renders.clear()
        now = self.clock()
        for job in self.jobs.values():
            for block in job.blocks:
                for n in block.tasks.numbers_in(states.WRC):
                    self.changes.run_lost(
                        (job.id, block.num, n, block.tasks.detail(n)[0]), now, True
                    )
                moved = block.tasks.move(states.WRC, states.RDY, clear_errors=False)
                self._save_tasks(job, block.num, moved)
            self.solver.refresh(job)
        self.fill_all()


def _judged(report: dict, min_run_time: int) -> tuple[str, str | None]:
    """A result's run state (a RUN_STATES name) and error, as the render reported it and the
    block's task_min_run_time judges it."""
    if report["error"] == STOPPED:
        return RUN_STOPPED, STOPPED
    if report.get("skipped"):  # its files were there
        return RUN_SKIPPED, report["skipped"]
    failure = run_error(report) or (
        None if report.get("success") else _too_short(report, min_run_time)
    )
    return (RUN_ERROR, failure) if failure else (RUN_DONE, report["error"])


def _too_short(report: dict, min_run_time: int) -> str | None:
    """A server-side rule: a run faster than the block's task_min_run_time failed."""
    if min_run_time > 0 and report["time_done"] - report["time_start"] < min_run_time:
        return f"finished faster than task_min_run_time {min_run_time} s"
    return None
