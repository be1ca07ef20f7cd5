"""The farm's Prometheus metrics (`GET /metrics`, text format), one registry per farm.

Counters and histograms count as things happen (a result counted, a render filled, a batch
committed); the gauges are computed at scrape time from what the life cycle already keeps: each
render's held runs and state, each job's per-block task counts. No scrape walks tasks.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from app.core.jobs import JOB_STATES
from app.core.renders import Render
from app.protocol import RUN_DONE, RUN_ERROR, RUN_LOST, RUN_SKIPPED, RUN_STOPPED

if TYPE_CHECKING:
    from app.core.lifecycle import TaskLifecycle

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# a finished run's state (app/protocol.py) -> its `result` label
RESULTS = {
    RUN_DONE: "done",
    RUN_ERROR: "error",
    RUN_SKIPPED: "skipped",
    RUN_STOPPED: "stopped",
    RUN_LOST: "lost",
}
# a render's one state, the first that holds: offline, paused, NIMBY, nimby, sick, busy, free
RENDER_STATES = ("offline", "paused", "NIMBY", "nimby", "sick", "busy", "free")
# seconds; a fill usually takes tens of microseconds, a commit a few milliseconds
FILL_BUCKETS = (1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0)
COMMIT_BUCKETS = (1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)


class FarmMetrics:
    """The metrics of one farm; `text()` is what `/metrics` answers."""

    def __init__(self, farm: TaskLifecycle) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        finished = Counter(
            "corral_tasks_finished",
            "Task runs ended, by result (lost: its render vanished with it)",
            ["result"],
            registry=self.registry,
        )
        self.finished = {state: finished.labels(label) for state, label in RESULTS.items()}
        self.fill_seconds = Histogram(
            "corral_scheduler_fill_seconds",
            "Scheduler decisions: seconds to fill one render (pick tasks until it is full or"
            " nothing fits)",
            buckets=FILL_BUCKETS,
            registry=self.registry,
        )
        self.commit_seconds = Histogram(
            "corral_store_commit_seconds",
            "Seconds the store took to commit one batch of the journal",
            buckets=COMMIT_BUCKETS,
            registry=self.registry,
        )
        self.job_commands = Counter(
            "corral_job_commands",
            "Job and block command_pre/command_post run by the server (--job-commands), by"
            " kind and outcome (done, failed)",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self.registry.register(_FarmGauges(farm))

    def text(self) -> bytes:
        return generate_latest(self.registry)


def render_state(render: Render) -> str:
    """The one state a render is counted in (RENDER_STATES)."""
    if not render.online:
        return "offline"
    if render.paused:
        return "paused"
    if render.nimby in ("NIMBY", "nimby"):
        return render.nimby
    if render.sick:
        return "sick"
    return "busy" if render.runs else "free"


class _FarmGauges(Collector):
    """Gauges read from the farm at scrape time: O(renders + jobs x blocks)."""

    def __init__(self, farm: TaskLifecycle) -> None:
        self.farm = farm

    def describe(self) -> Iterator[GaugeMetricFamily]:
        return iter(self._families(running=0, renders=Tally(), jobs=Tally()))

    def collect(self) -> Iterator[GaugeMetricFamily]:
        farm = self.farm
        renders = Tally(render_state(render) for render in farm.renders.values())
        jobs: Tally[str] = Tally()
        for job in farm.jobs.values():
            jobs.update(farm.job_state(job))
        running = sum(len(render.runs) for render in farm.renders.values())
        return iter(self._families(running, renders, jobs))

    @staticmethod
    def _families(running: int, renders: Tally, jobs: Tally) -> list[GaugeMetricFamily]:
        tasks = GaugeMetricFamily("corral_tasks_running", "Task runs the renders hold now")
        tasks.add_metric([], running)
        by_state = GaugeMetricFamily(
            "corral_renders", "Renders by state (each in one)", labels=["state"]
        )
        for state in RENDER_STATES:
            by_state.add_metric([state], renders[state])
        by_code = GaugeMetricFamily(
            "corral_jobs",
            "Jobs whose state shows this code (a job shows one or more, as GET /api/v1/jobs)",
            labels=["state"],
        )
        for code in JOB_STATES:
            by_code.add_metric([code], jobs[code])
        return [tasks, by_state, by_code]
