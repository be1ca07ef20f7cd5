"""A task life cycle (app/core/lifecycle.py) on a fake clock, its effects recorded: what the
server would store and send, without a socket or a database."""

from __future__ import annotations

from app.core import states
from app.core.jobs import Job
from app.core.jobspec import parse_job
from app.core.lifecycle import TaskLifecycle
from app.core.renders import Render
from app.protocol import RunKey

START = 1_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Recorder:
    """The life cycle's Changes, kept in order as (name, details) pairs."""

    def __init__(self) -> None:
        self.log: list[tuple] = []
        self.assigned: list[tuple[str, dict]] = []  # (render name, assign.task)
        self.stopped: list[tuple[int, RunKey]] = []  # (render id, run)

    def names(self) -> list[str]:
        return [entry[0] for entry in self.log]

    def tasks_changed(self, job, block_num, numbers):
        assert numbers, "reported an empty change"
        self.log.append(("tasks_changed", job.id, block_num, list(numbers)))

    def show_progress(self, job, block_num, n):
        self.log.append(("show_progress", job.id, block_num, n))

    def job_changed(self, job):
        self.log.append(("job_changed", job.id))

    def job_deleted(self, job):
        self.log.append(("job_deleted", job.id))

    def block_reset(self, job, block_num):
        self.log.append(("block_reset", job.id, block_num))

    def user_changed(self, user):
        self.log.append(("user_changed", user.name))

    def show_render(self, render):
        self.log.append(("show_render", render.name))

    def render_silent(self, render):
        self.log.append(("render_silent", render.name))

    def render_deleted(self, render):
        self.log.append(("render_deleted", render.name))

    def run_started(self, key, render, now):
        self.log.append(("run_started", key, render.name, now))

    def run_adopted(self, key):
        self.log.append(("run_adopted", key))

    def run_lost(self, key, now, current, render=None):
        host = (render.name,) if render is not None else ()  # a multihost host's service run
        self.log.append(("run_lost", key, now, current, *host))

    def run_ended(self, key, render, run_state, error, report):
        self.log.append(("run_ended", key, render.name, run_state, error))

    def run_late(self, key, render, run_state, error, report):
        self.log.append(("run_late", key, render.name, run_state, error))

    def assign(self, render, task):
        self.log.append(("assign", render.name, task["task"]))
        self.assigned.append((render.name, task))

    def stop(self, render_id, key):
        self.log.append(("stop", render_id, key))
        self.stopped.append((render_id, key))


class Farm:
    """Jobs and renders on one life cycle, the way the server adds them."""

    def __init__(self) -> None:
        self.clock = Clock()
        self.changes = Recorder()
        self.lc = TaskLifecycle(self.changes, self.clock)
        self._next_job = 1
        self._next_render = 1

    def submit(self, tasks: int = 1, user: str = "ann", job_keys=None, **block) -> Job:
        spec = parse_job(
            {
                "name": f"job{self._next_job}",
                "user_name": user,
                **(job_keys or {}),
                "blocks": [
                    {
                        "numeric": True,
                        "frame_first": 1,
                        "frame_last": tasks,
                        "command": "render @#@",
                        **block,
                    }
                ],
            }
        )
        job = Job(
            id=self._next_job,
            spec=spec,
            time_created=self.clock(),
            user=self.lc.user(user),
            order=self._next_job,
        )
        self._next_job += 1
        self.lc.jobs[job.id] = job
        self.lc.job_added(job)
        return job

    def known(self, name: str, max_tasks: int = 1, **keys) -> Render:
        """A render the farm knows (new ones offline), as restored or registered before."""
        render = self.lc.renders.get(name)
        if render is None:
            render = Render(id=self._next_render, name=name, max_tasks=max_tasks, **keys)
            self._next_render += 1
            self.lc.renders[name] = render
            self.lc.render_names[render.id] = name
        return render

    def render(self, name: str = "r1", max_tasks: int = 1, running=(), finished=(), **keys):
        """A render connects (new, or again when it is known); returns it and the runs to stop."""
        render = self.known(name, max_tasks, **keys)
        render.last_seen = self.clock()
        stop = self.lc.render_connected(render, list(running), list(finished))
        self.lc.ready(render)
        return render, stop

    def online(self, name: str = "r1", max_tasks: int = 1, **keys) -> Render:
        return self.render(name, max_tasks, **keys)[0]

    def result(self, render: Render, key: RunKey, **fields):
        """The render reports a finished run (a success unless fields say otherwise); returns
        the run's recorded (state, error), None when it was not counted."""
        report = {
            "error": None,
            "exit_code": 0,
            "signal": None,
            "fatal": False,
            "success": False,
            "skipped": None,
            "time_start": self.clock() - 60,
            "time_done": self.clock(),
            **fields,
        }
        return self.end(render, key, report)

    def end(self, render: Render, key: RunKey, report: dict):
        """end_run with a report as given; the run_ended (state, error) it reported, or None."""
        before = len(self.changes.log)
        self.lc.end_run(render, key, report)
        ended = [entry for entry in self.changes.log[before:] if entry[0] == "run_ended"]
        assert [entry[1] for entry in ended] in ([], [key]), ended
        return ended[0][3:] if ended else None

    def wait(self, seconds: float, heard: bool = True) -> None:
        """Time passes (the online renders heard from at its end, unless not heard); then the
        once-a-second tick."""
        self.clock.advance(seconds)
        for render in self.lc.online.values():
            if heard:
                render.last_seen = self.clock()
        self.lc.tick()

    def keys_on(self, render: Render) -> list[RunKey]:
        return sorted(render.runs)

    def state(self, job: Job, n: int = 0, block: int = 0) -> str:
        return states.code(job.blocks[block].tasks.state(n))

    def errors(self, job: Job, n: int = 0) -> int:
        return job.blocks[0].tasks.detail(n)[1]
