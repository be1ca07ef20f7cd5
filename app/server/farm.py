"""The farm in memory: jobs, renders and their links, and every change that moves a task.

The farm owns all state changes. Each change updates memory at once (so the next decision sees
it), hands the matching store write to the journal, and starts work on free render slots. Only
results wait for their commit, because a render forgets a result once it is acknowledged.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import json
import logging
import time
import weakref
from collections.abc import Callable
from typing import Protocol

from app.core import auto_nimby, states
from app.core.dependencies import Dependencies
from app.core.errors import SpecError
from app.core.jobs import Block, Job
from app.core.jobspec import JobSpec
from app.core.pools import PoolTree
from app.core.renders import Render
from app.core.rules import FarmView, capacity_coefficient
from app.core.solver import Solver
from app.core.tickets import TicketLedger
from app.core.users import User
from app.protocol import JOB_ACTIONS, TASK_ACTIONS, RunKey, key_fields
from app.server.config import ServerConfig
from app.server.controls import FarmControls
from app.server.errors import FarmError
from app.server.events import EventHub
from app.server.live_output import LiveOutput
from app.server.persistence import Journal, OutputStore, records
from app.server.resource_history import ResourceHistory

log = logging.getLogger("corral.farm")

# task action but try-next -> (states it applies to, the new state); running tasks are stopped first
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
STOPPED = "stopped"  # the error text of a run stopped by an order, not by failing


class RenderLink(Protocol):
    """The farm's handle on a connected render."""

    def send(self, message: dict) -> None: ...

    def close(self) -> None: ...


class Farm(FarmControls):
    """Jobs, renders, the solving queue, and the rules that connect them."""

    def __init__(
        self,
        config: ServerConfig,
        journal: Journal,
        outputs: OutputStore,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.journal = journal
        self.outputs = outputs
        self.clock = clock
        self.jobs: dict[int, Job] = {}
        self.users: dict[str, User] = {}
        self.solver = Solver()
        self.pools = PoolTree()
        self.pools.edit("/", {"zombie_time": config.zombie_time,
                              "heartbeat_period": config.heartbeat_period})  # fmt: skip
        self.tickets = TicketLedger()
        self.run_tickets: dict[RunKey, tuple[dict[str, int], str]] = {}  # held licences
        self.deadlines: list[tuple[float, RunKey]] = []  # task_max_run_time, soonest first
        self.wakeups: list[float] = []  # times when waiting work may start (time_wait, forgive)
        self.run_errors: dict[RunKey, str] = {}  # runs the server stopped as failures
        self.committing: dict[RunKey, asyncio.Future] = {}  # counted results being committed
        self.job_order = itertools.count(1)
        self.dependencies = Dependencies(self.jobs)
        self.renders: dict[str, Render] = {}
        self.render_names: dict[int, str] = {}
        self.links: dict[int, RenderLink] = {}
        self.lost_since: dict[int, float] = {}
        self.live = LiveOutput()
        self.events = EventHub(self)  # what monitors see change (GET /api/v1/events)
        self.next_job_id = 1
        self.next_render_id = 1
        self.hold_until = 0.0  # after a restart: start nothing new until renders are back
        self.expected_renders: set[str] = set()
        # recent heartbeat resources per render; an entry goes with its render when deleted
        self.resource_history: weakref.WeakKeyDictionary[Render, ResourceHistory] = (
            weakref.WeakKeyDictionary()
        )

    # -- jobs ----------------------------------------------------------------------------------

    async def submit(self, spec: JobSpec) -> Job:
        """Store a new job, then let renders start its tasks."""
        job = Job(id=self.next_job_id, spec=spec, time_created=self.clock(), offline=spec.offline,
                  user=self.user(spec.user_name), order=next(self.job_order))  # fmt: skip
        self.next_job_id += 1
        await self.journal.write(records.insert_job(job))
        self.jobs[job.id] = job
        self.events.job_changed(job.id)
        self.job_added(job)
        return job

    def job_added(self, job: Job) -> None:
        """A job enters the farm (submitted, restored or edited): its waits, its queue place."""
        if job.spec.time_wait > self.clock():
            heapq.heappush(self.wakeups, job.spec.time_wait)
        for other in self.dependencies.job_added(job):
            self._refresh(other)
        self._refresh(job)

    def user(self, name: str) -> User:
        """The user of that name, created on first use."""
        user = self.users.get(name)
        if user is None:
            user = self.users[name] = User(name=name, time_register=self.clock())
            self._save_user(user)
        return user

    def job(self, job_id: int) -> Job:
        job = self.jobs.get(job_id)
        if job is None:
            raise FarmError(f"no job with id {job_id}", 404)
        return job

    def block(self, job_id: int, block_num: int) -> Block:
        job = self.job(job_id)
        if not 0 <= block_num < len(job.blocks):
            raise FarmError(f"job {job_id} has no block {block_num}", 404)
        return job.blocks[block_num]

    def job_action(self, job_id: int, action: str) -> None:
        """Apply pause, start, stop, restart, restart-errors or delete to a job."""
        job = self.job(job_id)
        if action not in JOB_ACTIONS:
            raise FarmError(f"unknown job action {action!r}; use one of {', '.join(JOB_ACTIONS)}")
        if action == "reset-error-hosts":
            self.reset_error_hosts(job_id)
            return
        if action == "delete":
            self._stop_running(job, states.RDY)
            del self.jobs[job.id]
            self.solver.remove(job)
            self.journal.put(records.delete_job(job.id, self.outputs))
            self.events.job_changed(job.id)  # pushed as deleted
            for other in self.dependencies.job_removed(job):
                self._refresh(other)
            return
        if action in ("pause", "stop"):
            job.offline = True
        elif action == "start":
            job.offline = False
        if action in ("stop", "restart"):
            self._stop_running(job, states.RDY)
        if action == "restart":
            for block in job.blocks:
                block.tasks.reset()
                block.error_hosts.clear()
                block.task_error_hosts.clear()
                self.journal.put(records.reset_block_tasks(job.id, block.num))
            job.time_started = job.time_done = 0.0
            for other in self.dependencies.job_added(job):
                self._refresh(other)
        elif action == "restart-errors":
            for block in job.blocks:
                moved = block.tasks.move(states.ERR, states.RDY)
                self._save_tasks(job, block.num, moved)
            if job.time_done and not job.done:
                job.time_done = 0.0
        self._save_job(job)
        self._refresh(job)

    def task_action(self, job_id: int, block_num: int, action: str, tasks: list[int] | None) -> int:
        """Apply a task action (TASK_CHANGES, or try-next) to some tasks, or all (tasks None)."""
        block = self.block(job_id, block_num)
        if action not in TASK_ACTIONS:
            names = ", ".join(TASK_ACTIONS)
            raise FarmError(f"unknown task action {action!r}; use one of {names}")
        table = block.tasks
        if action == "try-next":
            return self._try_next(block, tasks)
        applies, new = TASK_CHANGES[action]
        if tasks is None:  # every task: found per state with C-speed scans
            tasks = sorted(n for state in applies for n in table.numbers_in(state))
        else:
            bad = [n for n in tasks if not 0 <= n < table.size]
            if bad:
                message = f"block {block_num} has no task {bad[0]} (it has {table.size})"
                raise FarmError(message, 404)
            tasks = dict.fromkeys(tasks)
        changed = []
        for n in tasks:
            old = table.state(n)
            if old not in applies:
                continue
            if old in states.ACTIVE:
                self._stop_task(block, n)
            table.set(n, new)
            table.reset_errors(n)
            changed.append(n)
        self.dependencies.regate(block, changed)
        self._tasks_changed(block, changed)
        self._job_progress(block.job)
        return len(changed)

    def _try_next(self, block: Block, tasks: list[int] | None) -> int:
        """Mark ready tasks to be started before the others of their block."""
        if tasks is None:
            raise SpecError("tasks", "try-next needs the task numbers")
        bad = [n for n in tasks if not 0 <= n < block.tasks.size]
        if bad:
            raise FarmError(f"block {block.num} has no task {bad[0]}", 404)
        marked = [n for n in tasks if block.tasks.state(n) in states.READY]
        block.try_next.update(marked)
        self._fill_all()
        return len(marked)

    def _job_progress(self, job: Job) -> None:
        """After tasks changed: the job's done time, its dependants, its place in the queue."""
        done = job.done
        if done != bool(job.time_done):
            job.time_done = self.clock() if done else 0.0
            self._save_job(job)
            for other in self.dependencies.job_changed(job):
                self._refresh(other)
        self._refresh(job)

    # -- renders -------------------------------------------------------------------------------

    def render(self, name: str) -> Render:
        render = self.renders.get(name)
        if render is None:
            raise FarmError(f"no render named {name!r}", 404)
        return render

    def register(self, link: RenderLink, hello: dict) -> Render:
        """A render connects (or reconnects): adopt what it runs, tell it what to stop."""
        now = self.clock()
        name = hello["name"]
        render = self.renders.get(name)
        if render is None:
            owner = str(hello.get("host", {}).get("user", ""))
            pool = self.pools.pool_for_render(name)
            render = Render(id=self.next_render_id, name=name, pool=pool, user_name=owner)
            self.next_render_id += 1
            self.renders[name] = render
            self.render_names[render.id] = name
        old_link = self.links.get(render.id)
        if old_link is not None and old_link is not link:
            old_link.close()
        self.links[render.id] = link
        self.lost_since.pop(render.id, None)
        render.online = True
        if hello["capacity"] is not None:  # the render's own flags; else as set on the server
            render.capacity_host = hello["capacity"]
        if hello["max_tasks"] is not None:
            render.max_tasks_host = hello["max_tasks"]
        self._apply_pool(render)
        for key, value in hello.get("state", {}).items():  # start flags: nimby, paused
            setattr(render, key, value)
        if hello.get("draining"):  # shutting down (corral render --on-exit): no new task
            render.max_tasks = 0
        render.host = hello.get("host", {})
        render.time_registered = render.last_seen = now

        running = {_run_key(item) for item in hello.get("running", [])}
        finished = {_run_key(item) for item in hello.get("finished", [])}
        stop = [key for key in running if not self._adopt(render, key)]
        for key in finished:
            self._adopt(render, key)
        for key in list(render.runs):
            if key not in running and key not in finished:
                self._lose_run(render, key)
        self._save_render(render)
        link.send(
            {
                "type": "registered",
                "render_id": render.id,
                "heartbeat_period": self._heartbeat_of(render),
                "max_tasks": render.max_tasks,
                "capacity": render.capacity,
                "stop": [key_fields(key) for key in stop],
            }
        )
        self.expected_renders.discard(name)
        if self.hold_until and not self.expected_renders:
            self._release_hold()
        else:
            self._fill(render)
        log.info("render %s registered (%d running)", name, len(render.runs))
        return render

    def _apply_pool(self, render: Render) -> None:
        """The render's capacity and task slots: its own if it set them, else its pool's."""
        if render.pool not in self.pools:
            render.pool = self.pools.pool_for_render(render.name)
        settings = self.pools.effective(render.pool)
        render.capacity = render.capacity_host or settings.capacity_host
        render.max_tasks = render.max_tasks_host or settings.max_tasks_host

    def _heartbeat_of(self, render: Render) -> float:
        settings = self.pools.effective(render.pool)
        return max(0.2, min(settings.heartbeat_period, settings.zombie_time / 3))

    def set_pools(self, tree: PoolTree) -> None:
        """A new pools tree (edited, or reloaded from the farm file): renders follow it."""
        tree.edit("/", {"zombie_time": self.config.zombie_time,
                        "heartbeat_period": self.config.heartbeat_period})  # fmt: skip
        self.pools = tree
        for render in self.renders.values():
            self._apply_pool(render)
        self.journal.put(records.save_pools(tree))
        self.events.pools_changed()
        self._fill_all()

    def heard_from(self, render: Render) -> None:
        """Any message from a render proves it alive."""
        render.last_seen = self.clock()

    def heard_resources(self, render: Render, resources: dict) -> None:
        """A heartbeat's resources (validated): the latest feeds the need_* rules, and the
        history keeps the last hour. A render with free slots may now meet a job's needs."""
        render.resources = resources
        self.events.render_changed(render.id)
        history = self.resource_history.get(render)
        if history is None:
            history = self.resource_history[render] = ResourceHistory()
        history.append(self.clock(), resources)
        change = auto_nimby.check(render, self.pools.effective(render.pool), self.clock())
        if change is not None:
            render.nimby = change[0]
            self._save_render(render)
            log.info("render %s turned %s automatically: %s", render.name, *change)
        if render.free_slots > 0:
            self._fill(render)

    def disconnected(self, render: Render, link: RenderLink) -> None:
        """The render's socket closed; its tasks keep running until it is a zombie."""
        if self.links.get(render.id) is not link:
            return
        del self.links[render.id]
        render.online = False
        self.lost_since[render.id] = self.clock()
        self._save_render(render)
        log.info("render %s disconnected", render.name)

    def output(self, render: Render, key: RunKey, data: str) -> None:
        if key in render.runs:
            self.live.append(key, data)
            self.events.output(key, data)

    def progress(self, render: Render, key: RunKey, percent: int, frame: int | None) -> None:
        """A running task's parser reported progress (percent, frame offset in the task)."""
        block = self._block_of(key)
        if block is None or key not in render.runs:
            return
        n = key[2]
        old = block.progress.get(n, (0, None, self.clock()))
        changed = (percent, frame) != old[:2]
        block.progress[n] = (percent, frame, self.clock() if changed else old[2])
        if changed:
            self.events.tasks_changed(block.job.id, block.num, [n])
        if changed and frame != old[1]:
            for other, moved in self.dependencies.progress_changed(block, n):
                self._save_tasks(other.job, other.num, moved)
                self._refresh(other.job)

    def result(self, render: Render, key: RunKey, report: dict) -> asyncio.Future | None:
        """A finished run: count it once and queue its commit. The caller acknowledges the
        result once the returned future is done (None: nothing to wait for). A copy resent while
        the first is being committed waits for that commit."""
        held = self._release(render, key)
        self.live.drop(key)
        block = self._block_of(key)
        if block is None:
            return None
        table, n, run = block.tasks, key[2], key[3]
        current = table.state(n) in states.ACTIVE and table.detail(n)[0] == run
        if not held and not current:
            return self.committing.get(key)  # already counted: a resent copy
        error = _run_error(report, block.spec.task_min_run_time)
        if current and report["error"] == STOPPED:
            run_state = "STOPPED"  # interrupted on the render (it shut down): not a failure
            table.set(n, states.RDY)
            self._save_tasks(block.job, block.num, [n])
            self._refresh(block.job)
        elif current and report.get("skipped"):
            run_state = "SKP"  # its files were there already (skip_existing_files)
            self._finish_task(block, n, render, None, skipped=True)
        elif current:
            run_state = "ERR" if error else "DON"
            self._finish_task(block, n, render, error, fatal=report.get("fatal", False))
        elif key in self.run_errors:
            run_state, error = "ERR", self.run_errors.pop(key)
        else:
            run_state = "STOPPED"
        outcome = {
            "state": run_state,
            "exit_code": report["exit_code"],
            "signal": report["signal"],
            "error": error if run_state == "ERR" else report["error"],
            "time_start": report["time_start"],
            "time_done": report["time_done"],
            "peak_rss_mb": report.get("peak_rss_mb"),
            "cpu_seconds": report.get("cpu_seconds"),
            "warnings": report.get("warnings", 0),
            "files": json.dumps(report.get("files", [])),
        }
        if run_state == "SKP":
            outcome["error"] = report["skipped"]
        written = self.journal.write(
            records.finish_run(
                key, render.name, outcome, self.outputs, report["output"], report.get("thumbnail")
            )
        )
        self.committing[key] = written
        written.add_done_callback(lambda _: self.committing.pop(key, None))
        self._fill(render)
        return written

    def tick(self) -> None:
        """Once a second: zombie renders, and the end of the start-up hold."""
        now = self.clock()
        for render_id, link in list(self.links.items()):
            render = self.renders[self.render_names[render_id]]
            zombie = self.pools.effective(render.pool).zombie_time
            if now - render.last_seen > zombie:
                log.warning("render %s silent for %.0f s: dropping it", render.name, zombie)
                self.disconnected(render, link)
                self.lost_since[render_id] = render.last_seen
                link.close()
        for render_id, since in list(self.lost_since.items()):
            render = self.renders[self.render_names[render_id]]
            if now - since >= self.pools.effective(render.pool).zombie_time:
                del self.lost_since[render_id]
                for key in list(render.runs):
                    self._lose_run(render, key)
        if self.hold_until and now >= self.hold_until:
            self._release_hold()
        self._expire_runs(now)
        self._expire_silent_runs(now)
        self._expire_jobs(now)
        if self.wakeups and self.wakeups[0] <= now:
            while self.wakeups and self.wakeups[0] <= now:
                heapq.heappop(self.wakeups)
            self._fill_all()  # a time_wait or an errors_forgive_time has passed

    def _expire_runs(self, now: float) -> None:
        """Runs over their block's task_max_run_time are stopped and count as errors."""
        while self.deadlines and self.deadlines[0][0] <= now:
            _, key = heapq.heappop(self.deadlines)
            block = self._block_of(key)
            if block is None:
                continue
            table, n = block.tasks, key[2]
            starts, _, render_id, _, _ = table.detail(n)
            if table.state(n) != states.RUN or starts != key[3]:
                continue
            render = self.renders[self.render_names[render_id]]
            limit = block.spec.task_max_run_time
            self._fail_run(block, n, render, f"ran longer than task_max_run_time {limit} s")

    def _expire_silent_runs(self, now: float) -> None:
        """Runs whose progress has not changed for task_progress_change_timeout are errors."""
        for render_id in list(self.links):
            render = self.renders[self.render_names[render_id]]
            for key in list(render.runs):
                block = self._block_of(key)
                if block is None or block.spec.task_progress_change_timeout <= 0:
                    continue
                n, limit = key[2], block.spec.task_progress_change_timeout
                since = block.progress.get(n, (0, None, now))[2]
                current = block.tasks.state(n) == states.RUN and block.tasks.detail(n)[0] == key[3]
                if current and now - since > limit:
                    self._fail_run(block, n, render, f"no progress for {limit} s")

    def _fail_run(self, block: Block, n: int, render: Render, error: str) -> None:
        """Stop a running task as a failure; its run is recorded with this error."""
        key = (block.job.id, block.num, n, block.tasks.detail(n)[0])
        self.run_errors[key] = error
        self._stop_task(block, n)
        self._finish_task(block, n, render, error)

    def _expire_jobs(self, now: float) -> None:
        """Jobs past their time_life (or their user's jobs_life_time) are deleted."""
        for job in list(self.jobs.values()):
            life = job.spec.time_life
            if life < 0:
                life = job.user.jobs_life_time
            if life > 0 and now - job.time_created > life:
                log.info("job %s '%s' reached its life time: deleting it", job.id, job.name)
                self.job_action(job.id, "delete")

    # -- internals -----------------------------------------------------------------------------

    def view(self) -> FarmView:
        return FarmView(pools=self.pools, tickets=self.tickets, now=self.clock())

    def _fill(self, render: Render) -> None:
        """Start tasks on a render until it is full or nothing fits."""
        if self.hold_until or render.id not in self.links:
            return
        link = self.links[render.id]
        view = self.view()
        while True:
            picked = self.solver.pick(render, view)
            if picked is None:
                return
            job, block, n = picked
            self._start(render, link, job, block, n)

    def _fill_all(self) -> None:
        """Offer work to every render with a free slot, most ready first (Afanasy's order:
        higher pool and render priority, fewer running tasks, more free capacity)."""
        free = [self.renders[self.render_names[rid]] for rid in self.links]
        free = [render for render in free if render.free_slots > 0]
        free.sort(key=self._readiness)
        for render in free:
            self._fill(render)

    def _readiness(self, render: Render) -> tuple:
        pool_priority = self.pools.effective(render.pool).priority
        spare = render.capacity - render.capacity_used
        return (-pool_priority, -render.priority, len(render.runs), -spare, render.name)

    def _start(self, render: Render, link: RenderLink, job: Job, block: Block, n: int) -> None:
        now = self.clock()
        run = block.tasks.start(n, render.id, now)
        key = (job.id, block.num, n, run)
        coefficient = capacity_coefficient(block, render)
        self._hold(render, key, block, block.spec.capacity * coefficient)
        block.progress[n] = (0, None, now)
        self.live.start(key)
        if not job.time_started:
            job.time_started = now
            self._save_job(job)
        self._save_tasks(job, block.num, [n])
        self.journal.put(records.start_run(key, render.name, now))
        if block.spec.task_max_run_time > 0:
            heapq.heappush(self.deadlines, (now + block.spec.task_max_run_time, key))
        task = self._assignment(job, block, n, run, coefficient)
        link.send({"type": "assign", "task": task})
        render.last_task_change = now
        self.events.render_changed(render.id)
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
        block = self._block_of(key)
        if block is not None and block.tasks.detail(key[2])[0] == key[3]:
            block.progress.pop(key[2], None)
        render.last_task_change = self.clock()
        self.events.render_changed(render.id)
        return True

    def _assignment(self, job: Job, block: Block, n: int, run: int, coefficient: int) -> dict:
        spec = block.spec
        start, end = spec.task_frames(n)
        return {
            "job": job.id,
            "block": block.num,
            "task": n,
            "run": run,
            "job_name": job.name,
            "block_name": spec.name,
            "task_name": spec.task_name(n),
            "user_name": job.user_name,
            "command": spec.task_command(n).replace("@AF_CAPACITY@", str(coefficient)),
            "working_directory": spec.working_directory,
            "environment": spec.task_environment(n),
            "frame_start": start,
            "frame_end": end,
            "frames_inc": spec.frames_inc,
            "capacity": spec.capacity * coefficient,
            "capacity_coeff": coefficient,
            "service": spec.service,
            "parser": spec.parser,
            "files": spec.task_files(n),
            "skip_existing_files": spec.skip_existing_files,
            "check_rendered_files": spec.check_rendered_files,
            "skip_thumbnails": spec.skip_thumbnails,
            "file_size_min": spec.file_size_min,
            "file_size_max": spec.file_size_max,
        }

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
            render.recent_errors.clear()
            render.sick = False
        else:
            errors = table.add_error(n)
            retries = block.error_setting("errors_retries")
            retry = errors <= retries and not fatal
            table.finish(n, states.RER if retry else states.ERR, now)
            block.error_hosts.add(render.name, now)
            block.task_errors(n).add(render.name, now)
            forgive = block.error_setting("errors_forgive_time")
            if forgive > 0:
                heapq.heappush(self.wakeups, now + forgive)
            self._render_error(render, job, block)
            log.info("task %s/%s/%s failed on %s: %s", job.id, block.num, n, render.name, error)
        self._tasks_changed(block, [n])
        self._job_progress(job)

    def _render_error(self, render: Render, job: Job, block: Block) -> None:
        """Count an error on a render; too many from different users make it sick."""
        limit = self.pools.effective(render.pool).sick_errors_count
        render.recent_errors = [e for e in render.recent_errors if e[0] != job.user_name]
        render.recent_errors.append((job.user_name, block.spec.service, self.clock()))
        if limit > 0 and len(render.recent_errors) >= limit and not render.sick:
            render.sick = True
            log.warning("render %s is sick: errors from %d users", render.name, limit)

    def _adopt(self, render: Render, key: RunKey) -> bool:
        """Take a run a render reports as its own; False if the farm no longer wants it."""
        block = self._block_of(key)
        if block is None:
            return False
        table, n, run = block.tasks, key[2], key[3]
        state = table.state(n)
        starts, _, holder, _, _ = table.detail(n)
        if state in states.ACTIVE and starts == run:
            if state == states.RUN and holder != render.id and holder in self.links:
                return False
            table.set(n, states.RUN)
            table.render[n] = render.id
        elif state in states.READY and run >= starts:
            table.start(n, render.id, self.clock())
            table.starts[n] = run
            self.journal.put(records.start_run(key, render.name, self.clock()))
        else:
            return False
        self._hold(render, key, block, block.spec.capacity)
        self.live.start(key)
        self._save_tasks(block.job, block.num, [n])
        self.solver.refresh(block.job)
        return True

    def _lose_run(self, render: Render, key: RunKey) -> None:
        """A run vanished with its render: the task is ready again, with no error counted."""
        self._release(render, key)
        self.run_errors.pop(key, None)
        self.live.drop(key)
        block = self._block_of(key)
        if block is None:
            return
        table, n = block.tasks, key[2]
        if table.state(n) in states.ACTIVE and table.detail(n)[0] == key[3]:
            table.set(n, states.RDY)
            self._save_tasks(block.job, block.num, [n])
            self.journal.put(records.lose_run(key, self.clock()))
            self._refresh(block.job)
            log.info("task %s lost with render %s: ready again", key, render.name)

    def _stop_task(self, block: Block, n: int) -> None:
        """Order the render of a running task to stop it (its slot frees when it reports)."""
        starts, _, render_id, _, _ = block.tasks.detail(n)
        link = self.links.get(render_id)
        if link is not None:
            link.send({"type": "stop", **key_fields((block.job.id, block.num, n, starts))})

    def _stop_running(self, job: Job, new_state: int) -> None:
        for block in job.blocks:
            active = block.tasks.numbers_in(states.RUN) + block.tasks.numbers_in(states.WRC)
            for n in active:
                self._stop_task(block, n)
                block.tasks.set(n, new_state)
            self._save_tasks(job, block.num, active)

    def _release_hold(self) -> None:
        """Start-up hold over: runs nobody reclaimed are ready again; start work."""
        self.hold_until = 0.0
        self.expected_renders.clear()
        for job in self.jobs.values():
            for block in job.blocks:
                moved = block.tasks.move(states.WRC, states.RDY, clear_errors=False)
                self._save_tasks(job, block.num, moved)
            self.solver.refresh(job)
        self._fill_all()

    def _refresh(self, job: Job) -> None:
        """Re-queue a job after a change; when it gains work, offer it to every free render."""
        if self.solver.refresh(job):
            self._fill_all()

    def _block_of(self, key: RunKey) -> Block | None:
        job = self.jobs.get(key[0])
        if job is None or not 0 <= key[1] < len(job.blocks):
            return None
        block = job.blocks[key[1]]
        return block if 0 <= key[2] < block.tasks.size else None

    def _tasks_changed(self, block: Block, numbers: list[int]) -> None:
        """Journal changed tasks and push the change to the tasks and blocks that depend on them."""
        self._save_tasks(block.job, block.num, numbers)
        for other, moved in self.dependencies.tasks_changed(block, numbers):
            self._save_tasks(other.job, other.num, moved)

    def _save_tasks(self, job: Job, block_num: int, numbers: list[int]) -> None:
        if numbers:
            self.journal.put(records.save_tasks(job, block_num, numbers, self.render_names))
            self.events.tasks_changed(job.id, block_num, numbers)

    def _save_job(self, job: Job, spec: bool = False) -> None:
        self.journal.put(records.update_job(job, spec=spec))
        self.events.job_changed(job.id)

    def _save_render(self, render: Render) -> None:
        self.journal.put(records.save_render(render))
        self.events.render_changed(render.id)

    def _save_user(self, user: User) -> None:
        self.journal.put(records.save_user(user))
        self.events.user_changed(user.name)


def _run_error(report: dict, min_run_time: int) -> str | None:
    """Why a finished run counts as failed, or None for a success."""
    if report["error"]:
        return report["error"]
    if report.get("success"):
        return None  # the render judged it a success (its service's exit codes, its output)
    if report["signal"] is not None:
        return f"killed by signal {report['signal']}"
    if report["exit_code"] != 0:
        return f"exit code {report['exit_code']}"
    if min_run_time > 0 and report["time_done"] - report["time_start"] < min_run_time:
        return f"finished faster than task_min_run_time {min_run_time} s"
    return None


def _run_key(item: dict) -> RunKey:
    return (item["job"], item["block"], item["task"], item["run"])
