"""What time alone decides, once a second: silent renders, lost runs, the end of the start-up
hold, task_max_run_time, task_progress_change_timeout, time_life, and waits that end.

A mixin of TaskLifecycle (app/core/lifecycle.py); `self` is the life cycle.
"""

from __future__ import annotations

import heapq
import logging
from typing import TYPE_CHECKING

from app.core import states

if TYPE_CHECKING:
    from app.core.lifecycle import TaskLifecycle

log = logging.getLogger("corral.timeouts")


class Timeouts:
    """The life cycle's clock-driven decisions."""

    def tick(self: TaskLifecycle) -> None:
        """Apply every timeout that has passed by now."""
        now = self.clock()
        self._drop_silent_renders(now)
        self._lose_zombie_runs(now)
        if self.hold_until and now >= self.hold_until:
            self.release_hold()
        self._expire_runs(now)
        self._expire_silent_runs(now)
        self._expire_jobs(now)
        if self.gatherings:
            self.multihost_tick(now)
        if self.wakeups and self.wakeups[0] <= now:
            while self.wakeups and self.wakeups[0] <= now:
                heapq.heappop(self.wakeups)
            self.fill_all()  # a time_wait or an errors_forgive_time has passed

    def _drop_silent_renders(self: TaskLifecycle, now: float) -> None:
        """A connected render silent for its pool's zombie_time is dropped; its runs count as
        lost from the last time it was heard."""
        for render in list(self.online.values()):
            zombie = self.pools.effective(render.pool).zombie_time
            if now - render.last_seen > zombie:
                log.warning("render %s silent for %.0f s: dropping it", render.name, zombie)
                self.render_disconnected(render, since=render.last_seen)
                self.changes.render_silent(render)

    def _lose_zombie_runs(self: TaskLifecycle, now: float) -> None:
        """The runs of a render disconnected for its zombie_time are lost."""
        for render_id, since in list(self.lost_since.items()):
            render = self.renders[self.render_names[render_id]]
            if now - since >= self.pools.effective(render.pool).zombie_time:
                del self.lost_since[render_id]
                for key in list(render.runs):
                    self.lose_run(render, key)

    def _expire_runs(self: TaskLifecycle, now: float) -> None:
        """Runs over their block's task_max_run_time are stopped and count as errors."""
        while self.deadlines and self.deadlines[0][0] <= now:
            _, key = heapq.heappop(self.deadlines)
            block = self.block_of(key)
            if block is None:
                continue
            _, _, n, run = key
            starts, _, render_id, _, _ = block.tasks.detail(n)
            if block.tasks.state(n) != states.RUN or starts != run:
                continue
            render = self.renders[self.render_names[render_id]]
            limit = block.spec.task_max_run_time
            self.fail_run(block, n, render, f"ran longer than task_max_run_time {limit} s")

    def _expire_silent_runs(self: TaskLifecycle, now: float) -> None:
        """Runs whose progress has not changed for task_progress_change_timeout are errors."""
        for render in list(self.online.values()):
            for key in list(render.runs):
                block = self.block_of(key)
                if block is None or block.spec.task_progress_change_timeout <= 0:
                    continue
                _, _, n, run = key
                limit = block.spec.task_progress_change_timeout
                since = block.progress.get(n, (0, None, now))[2]
                current = block.tasks.state(n) == states.RUN and block.tasks.detail(n)[0] == run
                if current and now - since > limit:
                    self.fail_run(block, n, render, f"no progress for {limit} s")

    def _expire_jobs(self: TaskLifecycle, now: float) -> None:
        """Jobs past their time_life (or their user's jobs_life_time) are deleted."""
        for job in list(self.jobs.values()):
            life = job.spec.time_life
            if life < 0:
                life = job.user.jobs_life_time
            if life > 0 and now - job.time_created > life:
                log.info("job %s '%s' reached its life time: deleting it", job.id, job.name)
                self.delete_job(job)
