"""The farm in memory: jobs, renders and their links, and every change that moves a task.

The farm owns all state changes. Each change updates memory at once (so the next decision sees
it), hands the matching store write to the journal, and starts work on free render slots. Only
results wait for their commit, because a render forgets a result once it is acknowledged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol

from app.core import states
from app.core.jobs import Block, Job
from app.core.jobspec import JobSpec
from app.core.renders import Render, RunKey
from app.core.solver import JobQueue, pick_task
from app.server import records
from app.server.config import ServerConfig
from app.server.journal import Journal
from app.server.outputs import LiveOutput, OutputStore

log = logging.getLogger("corral.farm")

JOB_ACTIONS = ("pause", "start", "stop", "restart", "restart-errors", "delete")
TASK_ACTIONS = ("skip", "restart")
STOPPED = "stopped"  # the error text of a run stopped by an order, not by failing


class RenderLink(Protocol):
    """The farm's handle on a connected render."""

    def send(self, message: dict) -> None: ...

    def close(self) -> None: ...


class FarmError(Exception):
    """A request the farm refuses; status is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class Farm:
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
        self.queue = JobQueue()
        self.renders: dict[str, Render] = {}
        self.render_names: dict[int, str] = {}
        self.links: dict[int, RenderLink] = {}
        self.lost_since: dict[int, float] = {}
        self.live = LiveOutput()
        self.next_job_id = 1
        self.next_render_id = 1
        self.hold_until = 0.0  # after a restart: start nothing new until renders are back
        self.expected_renders: set[str] = set()

    # -- jobs ----------------------------------------------------------------------------------

    async def submit(self, spec: JobSpec) -> Job:
        """Store a new job, then let renders start its tasks."""
        job = Job(id=self.next_job_id, spec=spec, time_created=self.clock(), offline=spec.offline)
        self.next_job_id += 1
        await self.journal.write(records.insert_job(job))
        self.jobs[job.id] = job
        self._refresh(job)
        return job

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
        if action == "delete":
            self._stop_running(job, states.RDY)
            del self.jobs[job.id]
            self.queue.remove(job)
            self.journal.write(records.delete_job(job.id, self.outputs))
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
                self.journal.write(records.reset_block_tasks(job.id, block.num))
            job.time_started = job.time_done = 0.0
        elif action == "restart-errors":
            for block in job.blocks:
                moved = block.tasks.move(states.ERR, states.RDY)
                self._save_tasks(job, block.num, moved)
            if job.time_done and not job.done:
                job.time_done = 0.0
        self.journal.write(records.update_job(job))
        self._refresh(job)

    def task_action(self, job_id: int, block_num: int, action: str, tasks: list[int]) -> int:
        """Skip or restart some tasks of a block; returns how many changed."""
        block = self.block(job_id, block_num)
        if action not in TASK_ACTIONS:
            raise FarmError(f"unknown task action {action!r}; use one of {', '.join(TASK_ACTIONS)}")
        size = block.tasks.size
        bad = [n for n in tasks if not 0 <= n < size]
        if bad:
            raise FarmError(f"block {block_num} has no task {bad[0]} (it has {size})", 404)
        new = states.SKP if action == "skip" else states.RDY
        table = block.tasks
        changed = []
        for n in dict.fromkeys(tasks):
            old = table.state(n)
            if old == new or (new == states.SKP and old == states.DON):
                continue
            if old in states.ACTIVE:
                self._stop_task(block, n)
            table.set(n, new)
            table.reset_errors(n)
            changed.append(n)
        self._save_tasks(block.job, block_num, changed)
        job = block.job
        if job.done and not job.time_done:
            job.time_done = self.clock()
            self.journal.write(records.update_job(job))
        elif not job.done and job.time_done:
            job.time_done = 0.0
            self.journal.write(records.update_job(job))
        self._refresh(job)
        return len(changed)

    # -- renders -------------------------------------------------------------------------------

    def register(self, link: RenderLink, hello: dict) -> Render:
        """A render connects (or reconnects): adopt what it runs, tell it what to stop."""
        now = self.clock()
        name = hello["name"]
        render = self.renders.get(name)
        if render is None:
            render = Render(id=self.next_render_id, name=name)
            self.next_render_id += 1
            self.renders[name] = render
            self.render_names[render.id] = name
        old_link = self.links.get(render.id)
        if old_link is not None and old_link is not link:
            old_link.close()
        self.links[render.id] = link
        self.lost_since.pop(render.id, None)
        render.online = True
        render.capacity = hello["capacity"]
        render.max_tasks = hello["max_tasks"]
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
        self.journal.write(records.save_render(render))
        link.send(
            {
                "type": "registered",
                "render_id": render.id,
                "heartbeat_period": self.config.render_heartbeat,
                "stop": [_key_dict(key) for key in stop],
            }
        )
        self.expected_renders.discard(name)
        if self.hold_until and not self.expected_renders:
            self._release_hold()
        else:
            self._fill(render)
        log.info("render %s registered (%d running)", name, len(render.runs))
        return render

    def heard_from(self, render: Render) -> None:
        """Any message from a render proves it alive."""
        render.last_seen = self.clock()

    def disconnected(self, render: Render, link: RenderLink) -> None:
        """The render's socket closed; its tasks keep running until it is a zombie."""
        if self.links.get(render.id) is not link:
            return
        del self.links[render.id]
        render.online = False
        self.lost_since[render.id] = self.clock()
        self.journal.write(records.save_render(render))
        log.info("render %s disconnected", render.name)

    def output(self, render: Render, key: RunKey, data: str) -> None:
        if key in render.runs:
            self.live.append(key, data)

    async def result(self, render: Render, key: RunKey, report: dict) -> None:
        """A finished run: count it once, commit it, then return (the caller acknowledges)."""
        held = render.release(key)
        self.live.drop(key)
        block = self._block_of(key)
        if block is None:
            return
        table, n, run = block.tasks, key[2], key[3]
        current = table.state(n) in states.ACTIVE and table.detail(n)[0] == run
        if not held and not current:
            return  # already counted: a resent copy
        success = report["exit_code"] == 0 and not report["error"] and report["signal"] is None
        if current and report["error"] == STOPPED:
            run_state = "STOPPED"  # interrupted on the render (it shut down): not a failure
            table.set(n, states.RDY)
            self._save_tasks(block.job, block.num, [n])
            self._refresh(block.job)
        elif current:
            run_state = "DON" if success else "ERR"
            self._finish_task(block, n, success)
        else:
            run_state = "STOPPED"
        outcome = {
            "state": run_state,
            "exit_code": report["exit_code"],
            "signal": report["signal"],
            "error": report["error"],
            "time_start": report["time_start"],
            "time_done": report["time_done"],
        }
        written = self.journal.write(
            records.finish_run(key, render.name, outcome, self.outputs, report["output"])
        )
        self._fill(render)
        await written

    def tick(self) -> None:
        """Once a second: zombie renders, and the end of the start-up hold."""
        now = self.clock()
        zombie = self.config.zombie_time
        for render_id, link in list(self.links.items()):
            render = self.renders[self.render_names[render_id]]
            if now - render.last_seen > zombie:
                log.warning("render %s silent for %.0f s: dropping it", render.name, zombie)
                self.disconnected(render, link)
                self.lost_since[render_id] = render.last_seen
                link.close()
        for render_id, since in list(self.lost_since.items()):
            if now - since >= zombie:
                del self.lost_since[render_id]
                render = self.renders[self.render_names[render_id]]
                for key in list(render.runs):
                    self._lose_run(render, key)
        if self.hold_until and now >= self.hold_until:
            self._release_hold()

    # -- internals -----------------------------------------------------------------------------

    def _fill(self, render: Render) -> None:
        """Start tasks on a render until it is full or nothing fits."""
        if self.hold_until or render.id not in self.links:
            return
        link = self.links[render.id]
        while True:
            picked = pick_task(render, self.queue)
            if picked is None:
                return
            job, block, n = picked
            self._start(render, link, job, block, n)

    def _fill_all(self) -> None:
        for render_id in list(self.links):
            render = self.renders[self.render_names[render_id]]
            if render.free_slots > 0:
                self._fill(render)

    def _start(self, render: Render, link: RenderLink, job: Job, block: Block, n: int) -> None:
        now = self.clock()
        run = block.tasks.start(n, render.id, now)
        key = (job.id, block.num, n, run)
        render.hold(key, block.spec.capacity)
        self.live.start(key)
        if not job.time_started:
            job.time_started = now
            self.journal.write(records.update_job(job))
        self._save_tasks(job, block.num, [n])
        self.journal.write(records.start_run(key, render.name, now))
        link.send({"type": "assign", "task": self._assignment(job, block, n, run)})
        self.queue.refresh(job)

    def _assignment(self, job: Job, block: Block, n: int, run: int) -> dict:
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
            "command": spec.task_command(n),
            "working_directory": spec.working_directory,
            "environment": spec.task_environment(n),
            "frame_start": start,
            "frame_end": end,
            "frames_inc": spec.frames_inc,
            "capacity": spec.capacity,
            "service": spec.service,
            "parser": spec.parser,
        }

    def _finish_task(self, block: Block, n: int, success: bool) -> None:
        table, job, now = block.tasks, block.job, self.clock()
        if success:
            table.finish(n, states.DON, now)
        else:
            errors = table.add_error(n)
            table.finish(n, states.RER if errors <= block.errors_retries else states.ERR, now)
        self._save_tasks(job, block.num, [n])
        if job.done:
            job.time_done = now
            self.journal.write(records.update_job(job))
        self._refresh(job)

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
            self.journal.write(records.start_run(key, render.name, self.clock()))
        else:
            return False
        render.hold(key, block.spec.capacity)
        self.live.start(key)
        self._save_tasks(block.job, block.num, [n])
        self.queue.refresh(block.job)
        return True

    def _lose_run(self, render: Render, key: RunKey) -> None:
        """A run vanished with its render: the task is ready again, with no error counted."""
        render.release(key)
        self.live.drop(key)
        block = self._block_of(key)
        if block is None:
            return
        table, n = block.tasks, key[2]
        if table.state(n) in states.ACTIVE and table.detail(n)[0] == key[3]:
            table.set(n, states.RDY)
            self._save_tasks(block.job, block.num, [n])
            self.journal.write(records.lose_run(key, self.clock()))
            self._refresh(block.job)
            log.info("task %s lost with render %s: ready again", key, render.name)

    def _stop_task(self, block: Block, n: int) -> None:
        """Order the render of a running task to stop it (its slot frees when it reports)."""
        starts, _, render_id, _, _ = block.tasks.detail(n)
        link = self.links.get(render_id)
        if link is not None:
            link.send({"type": "stop", **_key_dict((block.job.id, block.num, n, starts))})

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
                moved = block.tasks.move(states.WRC, states.RDY)
                self._save_tasks(job, block.num, moved)
            self.queue.refresh(job)
        self._fill_all()

    def _refresh(self, job: Job) -> None:
        """Re-queue a job after a change; when it gains work, offer it to every free render."""
        was_queued = job in self.queue
        self.queue.refresh(job)
        if job in self.queue and not was_queued:
            self._fill_all()

    def _block_of(self, key: RunKey) -> Block | None:
        job = self.jobs.get(key[0])
        if job is None or not 0 <= key[1] < len(job.blocks):
            return None
        block = job.blocks[key[1]]
        return block if 0 <= key[2] < block.tasks.size else None

    def _save_tasks(self, job: Job, block_num: int, numbers: list[int]) -> None:
        if numbers:
            self.journal.write(records.save_tasks(job, block_num, numbers, self.render_names))


def _run_key(item: dict) -> RunKey:
    return (item["job"], item["block"], item["task"], item["run"])


def _key_dict(key: RunKey) -> dict:
    return {"job": key[0], "block": key[1], "task": key[2], "run": key[3]}
