"""The farm in memory as the server runs it: the task life cycle (app/core/lifecycle.py) over
the journal, the events hub and the render links.

Every decision is the life cycle's; this shell applies its effects. Each change updates memory
at once (so the next decision sees it), hands the matching store write to the journal, tells
monitors, and sends renders their orders. Only results wait for their commit, because a render
forgets a result once it is acknowledged.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import weakref
from collections.abc import Callable
from typing import Protocol

from app.core import auto_nimby
from app.core.jobs import Block, Job
from app.core.jobspec import JobSpec
from app.core.lifecycle import TaskLifecycle
from app.core.pools import PoolTree
from app.core.quotas import Quotas
from app.core.renders import Render
from app.core.users import User
from app.platform import local_time
from app.protocol import JOB_ACTIONS, RUN_LOST, TASK_ACTIONS, RunKey, key_fields
from app.server.config import ServerConfig
from app.server.controls import FarmControls
from app.server.errors import FarmError
from app.server.events import EventHub
from app.server.job_commands import JobCommands
from app.server.live_output import LiveOutput
from app.server.metrics import FarmMetrics
from app.server.persistence import Journal, OutputStore, records
from app.server.persistence.journal import Rows
from app.server.resource_history import ResourceHistory
from app.server.traffic import Traffic

log = logging.getLogger("corral.farm")
STATS_BATCH = 1000  # pending statistics rows handed to the journal at once, at the latest


class RenderLink(Protocol):
    """The farm's handle on a connected render."""

    def send(self, message: dict) -> None: ...

    def close(self) -> None: ...


class _HeldOrders(list):
    """The link of a render while it registers: keeps the orders given to it meanwhile."""

    def send(self, message: dict) -> None:
        self.append(message)

    def close(self) -> None:
        """Nothing to close: Farm.register replaces this with the render's own link."""


class Farm(FarmControls, TaskLifecycle):
    """The life cycle with its effects applied (FarmChanges), the render links, and the entry
    points of the routes and sockets."""

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
        # the connected renders' links, by id: the same renders as the life cycle's `online`
        # (register adds a link once the render is answered; disconnected and
        # FarmChanges.render_silent remove it as the render goes offline)
        self.links: dict[int, RenderLink] = {}
        self.live = LiveOutput()
        self.events = EventHub(self)  # what monitors see change (GET /api/v1/events)
        self.traffic = Traffic()  # requests, messages, bytes and decisions (traffic.py)
        # runtime settings an admin changed (server_settings.py), stored and kept on restarts
        self.settings_changed: dict = {}
        self.metrics = FarmMetrics(self)  # GET /metrics
        self.job_commands = JobCommands(
            config.job_commands,
            config.job_commands_timeout,
            lambda kind, outcome: self.metrics.job_commands.labels(kind, outcome).inc(),
        )
        journal.commit_observer = self.metrics.commit_seconds.observe
        self.committing: dict[RunKey, asyncio.Future] = {}  # counted results being committed
        # counted results whose commit failed: their writes, made again when the render resends
        self.unstored: dict[RunKey, list] = {}
        self.ended_stats: list[Rows] = []  # statistics rows waiting for the next tick
        # renders with free slots left unfilled while the journal was behind, in arrival order
        self.held_back: dict[int, Render] = {}
        journal.batch_done = self.resume_held_back
        changes = FarmChanges(self)
        super().__init__(changes=changes, clock=clock)
        changes.render_names = self.render_names  # the life cycle's, made just now
        self.pools.edit(
            "/", {"zombie_time": config.zombie_time, "heartbeat_period": config.heartbeat_period}
        )
        self.next_job_id = 1
        self.next_render_id = 1
        self.quotas = Quotas(config.quotas)
        # recent heartbeat resources per render; an entry goes with its render when deleted
        self.resource_history: weakref.WeakKeyDictionary[Render, ResourceHistory] = (
            weakref.WeakKeyDictionary()
        )
        journal.watch(self._store_changed)

    # -- jobs ----------------------------------------------------------------------------------

    async def submit(self, spec: JobSpec) -> tuple[Job, list[str]]:
        """Run a new job's pre commands (app/server/job_commands.py), store it within its
        user's quotas (QuotaExceeded: nothing changes), then let renders start its tasks;
        returns the job and the warnings of its commands (not run, or failed)."""
        name, now = spec.user_name, self.clock()
        tasks = sum(block.tasks_num for block in spec.blocks)
        self.quotas.check_job(name, self.users.get(name), tasks, now)
        job = Job(
            id=self.next_job_id,
            spec=spec,
            time_created=now,
            offline=spec.offline,
            user=self.user(name),
            order=next(self.job_order),
        )
        self.next_job_id += 1
        # counted before the commit, so that a submit arriving meanwhile sees them
        job.count_tasks(job.user)
        self.quotas.job_submitted(name, now)
        try:  # the pre commands first: a submit cancelled meanwhile leaves nothing stored
            warnings = self.job_commands.not_run(job) + await self.job_commands.before(job)
            await self.journal.write([records.insert_job(job), records.job_stats(job)])
        except BaseException:
            job.count_tasks(None)
            raise
        self.jobs[job.id] = job
        self.events.job_changed(job.id)
        self.job_added(job)
        return job, warnings

    def user_summary(self, user: User) -> dict:
        """A user as the API shows them: settings, running work, quota use and limits."""
        return {**user.summary(), **self.quotas.usage(user, self.clock())}

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
        """Apply a JOB_ACTIONS action to a job."""
        job = self.job(job_id)
        if action not in JOB_ACTIONS:
            raise FarmError(f"unknown job action {action!r}; use one of {', '.join(JOB_ACTIONS)}")
        self.act_on_job(job, action)

    def task_action(self, job_id: int, block_num: int, action: str, tasks: list[int] | None) -> int:
        """Apply a TASK_ACTIONS action to some tasks, or all (tasks None); how many changed."""
        block = self.block(job_id, block_num)
        if action not in TASK_ACTIONS:
            names = ", ".join(TASK_ACTIONS)
            raise FarmError(f"unknown task action {action!r}; use one of {names}")
        bad = [n for n in tasks or () if not 0 <= n < block.tasks.size]
        if bad and action == "try-next":
            raise FarmError(f"block {block_num} has no task {bad[0]}", 404)
        if bad:
            message = f"block {block_num} has no task {bad[0]} (it has {block.tasks.size})"
            raise FarmError(message, 404)
        return self.act_on_tasks(block, action, tasks)

    # -- renders -------------------------------------------------------------------------------

    def render(self, name: str) -> Render:
        render = self.renders.get(name)
        if render is None:
            raise FarmError(f"no render named {name!r}", 404)
        return render

    def register(self, link: RenderLink, hello: dict, render_token: str | None = None) -> Render:
        """A render connects (or reconnects): adopt what it runs, tell it what to stop; a render
        joining with the farm secret is given its new token."""
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
        # Orders given while adopting (a lost run ready again is assigned at once) wait until
        # `registered` is sent: a render takes no order before that answer.
        held = self.links[render.id] = _HeldOrders()
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
        render.time_registered = render.last_seen = self.clock()
        stop = self.render_connected(render, hello["running"], hello["finished"])
        self._save_render(render)
        registered = {
            "type": "registered",
            "render_id": render.id,
            "heartbeat_period": self._heartbeat_of(render),
            "max_tasks": render.max_tasks,
            "capacity": render.capacity,
            "stop": [key_fields(key) for key in stop],
        }
        if render_token is not None:
            registered["render_token"] = render_token
        self.links[render.id] = link
        link.send(registered)
        for message in held:
            link.send(message)
        self.ready(render)
        log.info("render %s registered (%d running)", name, len(render.runs))
        return render

    def _apply_pool(self, render: Render) -> None:
        """The render's capacity and task slots: its own if it set them, else its pool's."""
        if render.pool not in self.pools:
            render.pool = self.pools.pool_for_render(render.name)
        settings = self.pools.effective(render.pool)
        render.apply_pool(settings.capacity_host, settings.max_tasks_host)

    def _heartbeat_of(self, render: Render) -> float:
        settings = self.pools.effective(render.pool)
        return max(0.2, min(settings.heartbeat_period, settings.zombie_time / 3))

    def set_pools(self, tree: PoolTree) -> None:
        """A new pools tree (edited, or reloaded from the farm file): renders follow it."""
        tree.edit(
            "/",
            {
                "zombie_time": self.config.zombie_time,
                "heartbeat_period": self.config.heartbeat_period,
            },
        )
        self.pools = tree
        for render in self.renders.values():
            self._apply_pool(render)
        self.journal.put(records.save_pools(tree))
        self.events.pools_changed()
        self.fill_all()

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
        change = auto_nimby.check(
            render, self.pools.effective(render.pool), self.clock(), local_time
        )
        if change is not None:
            render.nimby = change[0]
            self._save_render(render)
            log.info("render %s turned %s automatically: %s", render.name, *change)
        if render.free_slots > 0:
            self.fill(render)

    def disconnected(self, render: Render, link: RenderLink) -> None:
        """The render's socket closed; its tasks keep running until it is a zombie."""
        if self.links.get(render.id) is not link:
            return
        del self.links[render.id]
        self.render_disconnected(render)
        self._save_render(render)

    def tick(self) -> None:
        """The once-a-second tick: the life cycle's timeouts, then the statistics rows of the
        runs ended since the last tick go to the journal in one batch."""
        super().tick()
        self.flush_stats()

    def shut_down(self) -> None:
        """The server stops: close every render's connection and start nothing more. The
        renders stay online in the store: the next start waits for them as after a crash."""
        self.flush_stats()
        for render_id, link in list(self.links.items()):
            del self.links[render_id]
            link.close()
            self.render_disconnected(self.renders[self.render_names[render_id]])

    def _save_render(self, render: Render) -> None:
        """Store a render whose settings or connection changed, and tell monitors."""
        self.journal.put(records.save_render(render))
        self.events.render_changed(render.id)

    def _save_job_spec(self, job: Job) -> None:
        """Store an edited or extended job with its spec, and tell monitors."""
        self.journal.put(records.update_job(job, spec=True))
        self.events.job_changed(job.id)

    def output(self, render: Render, key: RunKey, data: str) -> None:
        if key in render.runs:
            self.live.append(key, data)
            self.events.output(key, data)

    def result(self, render: Render, key: RunKey, report: dict) -> asyncio.Future | None:
        """A finished run: the life cycle counts it once and FarmChanges.run_ended queues its
        commit; a copy, or a result its task no longer waits for, is committed by run_late
        after any earlier commit of its run, and a copy of one whose commit failed writes it
        again. The caller acknowledges the result once the returned future is done (None:
        nothing to wait for, as for a run of a deleted job whose key has no commit in flight)."""
        self.live.drop(key)
        unstored = self.unstored.pop(key, None)
        if unstored is not None:
            self.commit_result(key, unstored)
        self.end_run(render, key, report)
        return self.committing.get(key)

    def commit_result(self, key: RunKey, writes: list) -> None:
        """Hand a counted result's writes to the journal; until they are committed `result`
        answers with their future, and if they fail they wait in `unstored` for a resent copy."""
        written = self.journal.write(writes)
        self.committing[key] = written

        def done(future: asyncio.Future) -> None:
            if self.committing.get(key) is future:
                del self.committing[key]
            if future.cancelled() or future.exception() is not None:
                self.unstored[key] = writes

        self.journal.then(written, done)

    def add_stats(self, stats: Rows) -> None:
        """A run's statistics row (records.run_stats): written with the others ended since the
        last tick, at the next (flush_stats), so that results commit no more than before. A
        crash loses the statistics of that last second, not the results."""
        self.ended_stats.append(stats)
        if len(self.ended_stats) >= STATS_BATCH:
            self.flush_stats()

    def flush_stats(self) -> None:
        """Hand the pending statistics rows to the journal, which merges them into one
        statement."""
        if self.ended_stats:
            self.journal.put(self.ended_stats)
            self.ended_stats = []

    def fill(self, render: Render) -> None:
        """No task starts while the store cannot commit (its start could not be stored, nor its
        result acknowledged): renders are offered work again once it can. Nor while the
        journal's backlog is at `journal_backlog`: dispatching further ahead of the commits
        would only make results wait longer for their acknowledgement; the render is offered
        work again as the journal catches up (resume_held_back)."""
        if self.journal.trouble is not None:
            return
        if self.journal.backlog >= self.config.journal_backlog:
            self.held_back[render.id] = render
            return
        started = time.perf_counter()
        super().fill(render)
        self.metrics.fill_seconds.observe(time.perf_counter() - started)

    def resume_held_back(self) -> None:
        """Offer work to the renders held back while the backlog allows: by pool and render
        priority, then those held back longest first (none waits behind others for ever).
        Those not reached before the backlog fills again keep their place, ahead of any held
        back meanwhile."""
        limit = self.config.journal_backlog
        if not self.held_back or self.journal.backlog >= limit:
            return
        waiting = sorted(self.held_back.values(), key=self._priority)
        self.held_back = {}
        for reached, render in enumerate(waiting):
            if self.journal.backlog >= limit:
                rest = {other.id: other for other in waiting[reached:]}
                self.held_back = rest | self.held_back
                return
            if render.free_slots > 0:
                self.fill(render)

    def _store_changed(self, trouble: str | None) -> None:
        if trouble is None:
            self.fill_all()


class FarmChanges:
    """The life cycle's `Changes` (app/core/lifecycle.py) on a server: store writes through the
    journal, events for monitors, orders to renders over their links."""

    def __init__(self, farm: Farm) -> None:
        self.farm = farm
        self.journal = farm.journal
        self.events = farm.events
        self.live = farm.live
        self.links = farm.links
        self.outputs = farm.outputs
        self.metrics = farm.metrics
        self.render_names: dict[int, str] = {}

    def tasks_changed(self, job: Job, block_num: int, numbers: list[int]) -> None:
        self.journal.put(records.save_tasks(job, block_num, numbers, self.render_names))
        self.events.tasks_changed(job.id, block_num, numbers)

    def show_progress(self, job: Job, block_num: int, n: int) -> None:
        self.events.tasks_changed(job.id, block_num, [n])

    def job_changed(self, job: Job) -> None:
        self.farm.flush_stats()  # the job's run time sums its runs' rows
        self.journal.put([records.update_job(job), records.job_stats(job)])
        self.events.job_changed(job.id)

    def job_deleted(self, job: Job) -> None:
        self.farm.flush_stats()
        # its statistics stay, marked deleted
        deleted = records.job_stats(job, time_deleted=self.farm.clock())
        self.journal.put([records.delete_job(job.id, self.outputs), deleted])
        self.events.job_changed(job.id)  # pushed as deleted
        self.farm.job_commands.after(job)

    def block_reset(self, job: Job, block_num: int) -> None:
        self.journal.put(records.reset_block_tasks(job.id, block_num))

    def user_changed(self, user: User) -> None:
        self.journal.put(records.save_user(user))
        self.events.user_changed(user.name)

    def show_render(self, render: Render) -> None:
        self.events.render_changed(render.id)

    def render_silent(self, render: Render) -> None:
        self.links.pop(render.id).close()
        self.farm._save_render(render)

    def render_deleted(self, render: Render) -> None:
        self.journal.put(records.delete_render(render.id))
        self.events.render_changed(render.id)  # pushed as deleted

    def run_started(self, key: RunKey, render: Render, now: float) -> None:
        self.live.start(key)
        self.journal.put(records.start_run(key, render.name, now))
        self.events.render_changed(render.id)  # its running tasks, at once

    def run_adopted(self, key: RunKey) -> None:
        self.live.start(key)

    def run_lost(
        self, key: RunKey, now: float, current: bool, render: Render | None = None
    ) -> None:
        self.metrics.finished[RUN_LOST].inc()
        self.live.drop(key)
        if not current and render is None:
            return
        block = self.farm.block_of(key)
        _, _, render_id, time_start, _ = block.tasks.detail(key[2])  # a host's started with it
        outcome = {"state": RUN_LOST, "time_start": time_start, "time_done": now}
        name = render.name if render is not None else self.render_names.get(render_id, "")
        render = self.farm.renders.get(name)
        pool = render.pool if render is not None else ""
        self.journal.put(records.lose_run(key, now))
        self.farm.add_stats(records.run_stats(key, block, name, pool, outcome))

    def run_ended(
        self, key: RunKey, render: Render, run_state: str, error: str | None, report: dict
    ) -> None:
        """Queue the run's record (and output) for commit; Farm.result hands the commit to the
        caller, which acknowledges the result when it is done."""
        self.metrics.finished[run_state].inc()
        self._commit(key, records.finish_run, render, run_state, error, report)
        self.events.render_changed(render.id)

    def run_late(
        self, key: RunKey, render: Render, run_state: str, error: str | None, report: dict
    ) -> None:
        """As run_ended; the store keeps a result the run already has."""
        self._commit(key, records.finish_late_run, render, run_state, error, report)

    def _commit(
        self,
        key: RunKey,
        finish: Callable,
        render: Render,
        run_state: str,
        error: str | None,
        report: dict,
    ) -> None:
        outcome = {
            "state": run_state,
            "exit_code": report["exit_code"],
            "signal": report["signal"],
            "error": error,
            "time_start": report["time_start"],
            "time_done": report["time_done"],
            "peak_rss_mb": report.get("peak_rss_mb"),
            "cpu_seconds": report.get("cpu_seconds"),
            "warnings": report.get("warnings", 0),
            "files": json.dumps(files) if (files := report.get("files")) else "[]",
        }
        output, thumbnail = report["output"], report.get("thumbnail")
        block = self.farm.block_of(key)  # None: a late result of a deleted job
        stats = None
        if block is not None:
            stats = records.run_stats(key, block, render.name, render.pool, outcome)
        if finish is records.finish_late_run:  # its statistics only where its row takes it
            writes = finish(key, render.name, outcome, self.outputs, output, thumbnail, stats)
        else:
            writes = finish(key, render.name, outcome, self.outputs, output, thumbnail)
            self.farm.add_stats(stats)
            if block.job.time_done:  # its last run: the job's run time is complete
                self.farm.flush_stats()
                writes.append(records.job_stats(block.job))
        self.farm.commit_result(key, writes)

    def assign(self, render: Render, task: dict) -> None:
        self.farm.traffic.decisions += 1
        self.links[render.id].send({"type": "assign", "task": task})  # online: it has a link

    def stop(self, render_id: int, key: RunKey) -> None:
        link = self.links.get(render_id)
        if link is not None:  # offline: it stops the run when it registers again
            link.send({"type": "stop", **key_fields(key)})
