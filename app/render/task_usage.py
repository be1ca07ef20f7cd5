"""Per-task resource accounting: the peak memory and the CPU time of a task's process tree.

A TaskUsage samples the tree every PERIOD seconds, in a worker thread so that the event loop
never waits on /proc. The first sample comes after PERIOD, so a task that ends sooner costs one
timer and no sample. Its figures come from its exit instead: on POSIX the render reaps the
main process itself (app/render/_posix.py) and its rusage gives its peak memory and CPU time,
its reaped descendants included (`at_exit`); the larger of those and the samples' is reported.
On Windows a task shorter than PERIOD reports 0 (its job object's accounting could give the CPU
time); getrusage(RUSAGE_CHILDREN) would mix the tasks running at once.

The tree is the main process and its descendants; every TAG_SCAN_EVERY samples also the
processes carrying the task's tag (those that left the tree), a scan of the whole process table.
A process that exited counts with the CPU time it had when last seen.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading

import psutil

PERIOD = 1.0  # seconds between samples, and before the first
TAG_SCAN_EVERY = 10  # samples between two scans for processes carrying the tag
TAG_VARIABLE = "CORRAL_PROCESS_TAG"
_MB = 1024 * 1024


class TaskUsage:
    """Samples the process tree of a running task; `report()` gives the result fields."""

    def __init__(self, pid: int, tag: str | None = None, period: float = PERIOD) -> None:
        self.pid = pid
        self.tag = tag
        self.period = period
        self.peak_rss = 0  # bytes: the largest sum of the tree's resident memory in one sample
        self.samples = 0
        self._exit_cpu = 0.0  # seconds: the reaped main process's, its reaped descendants' too
        self._cpu: dict[tuple[int, float], float] = {}  # (pid, create time) -> last cpu seconds
        self._known: dict[tuple[int, float], psutil.Process] = {}
        self._main: psutil.Process | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._timer: asyncio.TimerHandle | None = None
        self._sampling: asyncio.Future[None] | None = None

    def start(self) -> None:
        """Sample every `period` seconds from now on, until `stop()`."""
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(self.period, self._tick)

    def stop(self) -> None:
        """No more samples (one in flight is discarded)."""
        with self._lock:
            self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _tick(self) -> None:
        self._timer = None
        if self._closed:
            return
        loop = asyncio.get_running_loop()
        scan_tags = self.samples % TAG_SCAN_EVERY == TAG_SCAN_EVERY - 1
        self._sampling = loop.run_in_executor(None, self.sample, scan_tags)
        self._sampling.add_done_callback(self._sampled)

    def _sampled(self, future: asyncio.Future[None]) -> None:
        self._sampling = None
        # sample() swallows psutil's errors; anything else ends the sampling
        if not self._closed and not future.cancelled() and future.exception() is None:
            self._timer = asyncio.get_running_loop().call_later(self.period, self._tick)

    def sample(self, scan_tags: bool = False) -> None:
        """Measure the tree now (blocking: a few ms of /proc reads; with scan_tags, the whole
        process table's environments too)."""
        scan_tags = scan_tags and self.tag is not None
        processes = self._find(scan_tags)
        rss = 0
        cpu: dict[tuple[int, float], float] = {}
        for key, process in processes.items():
            try:
                with process.oneshot():
                    times = process.cpu_times()
                    cpu[key] = times.user + times.system
                    rss += process.memory_info().rss
            except psutil.Error:  # gone (or a zombie: its time is what we saw last)
                pass
        with self._lock:
            if self._closed:
                return
            self.samples += 1
            self.peak_rss = max(self.peak_rss, rss)
            self._known = processes
            for key, seconds in cpu.items():
                self._cpu[key] = max(seconds, self._cpu.get(key, 0.0))

    def _find(self, scan_tags: bool) -> dict[tuple[int, float], psutil.Process]:
        found: dict[tuple[int, float], psutil.Process] = {}

        def add(process: psutil.Process) -> None:
            with contextlib.suppress(psutil.Error):
                found[(process.pid, process.create_time())] = process

        if self._main is None:
            with contextlib.suppress(psutil.Error):
                self._main = psutil.Process(self.pid)
        if self._main is not None and self._main.is_running():  # not a reused pid
            add(self._main)
            with contextlib.suppress(psutil.Error):
                for child in self._main.children(recursive=True):
                    add(child)
        # descendants seen before that lost their parent, while they still run
        for key, process in self._known.items():
            if key not in found and process.is_running():
                found[key] = process
        if scan_tags:
            pids = {pid for pid, _ in found}
            for process in psutil.process_iter():
                if process.pid in pids:
                    continue
                try:
                    if process.environ().get(TAG_VARIABLE) == self.tag:
                        add(process)
                except (psutil.Error, OSError):
                    pass
        return found

    def at_exit(self, peak_rss: int, cpu_seconds: float) -> None:
        """Count the figures of the reaped main process (TaskProcess.exit_usage)."""
        with self._lock:
            self.peak_rss = max(self.peak_rss, peak_rss)
            self._exit_cpu = max(self._exit_cpu, cpu_seconds)

    def report(self, wall_seconds: float) -> dict[str, float]:
        """The `result` fields: peak_rss_mb, cpu_seconds, cpu_avg_percent (of one CPU)."""
        with self._lock:
            cpu = max(float(sum(self._cpu.values())), self._exit_cpu)
            peak = self.peak_rss
        return {
            "peak_rss_mb": round(peak / _MB, 1),
            "cpu_seconds": round(cpu, 3),
            "cpu_avg_percent": round(cpu / wall_seconds * 100, 1) if wall_seconds > 0 else 0.0,
        }
