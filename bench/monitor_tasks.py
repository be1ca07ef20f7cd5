"""The monitor's tasks view on a paused 1,000,000-task block: time to the first rows, time to
show the last row after scrolling to the end, the time to show each of 20 random positions,
REST page requests made, and the largest event-loop stall while doing it (a 5 ms QTimer's
largest lateness). Offscreen Qt on the qasync loop, against a real server on loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time

from app.api import numeric_job
from bench.local_farm import LocalFarm
from bench.report import machine, record, spread

TASKS = 1_000_000
POSITIONS = 20
PROBE_MS = 5


class StallProbe:
    """A QTimer firing every PROBE_MS: the largest gap between two ticks beyond PROBE_MS."""

    def __init__(self) -> None:
        from PyQt6.QtCore import QTimer

        self.worst = 0.0
        self._last = time.perf_counter()
        self._timer = QTimer(interval=PROBE_MS)
        self._timer.timeout.connect(self._tick)
        self._timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.worst = max(self.worst, now - self._last - PROBE_MS / 1000)
        self._last = now

    def stop(self) -> float:
        self._timer.stop()
        return self.worst


async def wait_for(predicate, timeout: float = 60.0) -> float:
    """Seconds until predicate() is true, polling the running loop every millisecond."""
    start = time.perf_counter()
    while not predicate():
        if time.perf_counter() - start > timeout:
            raise TimeoutError("not shown in time")
        await asyncio.sleep(0.001)
    return time.perf_counter() - start


async def one_pass(client, job_id: int, seed: int) -> dict:
    """Open the block in a new view, scroll to the end, then to random positions."""
    from app.ui.tasks_view import TasksView

    view = TasksView(client)
    view.resize(1000, 700)
    view.show()
    model, table = view.model, view.table
    probe = StallProbe()
    start = time.perf_counter()
    view.show_block(job_id, 0)
    first = await wait_for(lambda: model.task(0) is not None)
    table.scrollToBottom()
    last = await wait_for(lambda: model.task(TASKS - 1) is not None)
    rows = random.Random(seed).sample(range(TASKS), POSITIONS)
    jumps = []
    for row in rows:
        table.scrollTo(model.index(row, 0))
        jumps.append(await wait_for(lambda row=row: model.task(row) is not None))
    stall = probe.stop()
    total = time.perf_counter() - start
    figures = {
        "first_ms": first * 1000,
        "last_ms": last * 1000,
        "jump_ms": sorted(jumps)[len(jumps) // 2] * 1000,
        "requests": model.requests,
        "stall_ms": stall * 1000,
        "total_s": total,
    }
    view.close()
    view.deleteLater()
    return figures


async def measure(farm: LocalFarm, repeats: int) -> list[dict]:
    from app.ui.client import FarmClient

    client = FarmClient(farm.url, token=farm.admin_token or "")
    await client.start()
    try:
        job = numeric_job("million", "render -f @####@", 1, TASKS, paused=True)
        job_id = await client.submit(job)
        return [await one_pass(client, job_id, seed) for seed in range(repeats)]
    finally:
        await client.close()


def run(repeats: int) -> list[dict]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import qasync
    from PyQt6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    app.setQuitOnLastWindowClosed(False)  # closing a pass's view must not stop the loop
    with tempfile.TemporaryDirectory(prefix="corral-bench-") as folder:
        farm = LocalFarm(folder)
        farm.start_server()
        try:
            with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
                return runner.run(measure(farm, repeats))
        finally:
            farm.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    passes = run(args.repeats)
    figures = {key: [p[key] for p in passes] for key in passes[0]}
    print(f"machine: {machine()}")
    print(f"time to the first rows, ms:              {spread(figures['first_ms'])}")
    print(f"time to show the last row, ms:           {spread(figures['last_ms'])}")
    print(f"time to show a random position, ms:      {spread(figures['jump_ms'])} (median of 20)")
    print(f"page requests (open, end, 20 positions): {spread(figures['requests'])}")
    print(f"largest event-loop stall, ms:            {spread(figures['stall_ms'])}")
    bench = "monitor_tasks"
    record(bench, "1M-task block: first rows", figures["first_ms"], "ms")
    record(bench, "1M-task block: last row after scrolling to the end", figures["last_ms"], "ms")
    record(bench, "1M-task block: a random position", figures["jump_ms"], "ms")
    record(bench, "1M-task block: page requests for 22 positions", figures["requests"], "")
    record(bench, "1M-task block: largest event-loop stall", figures["stall_ms"], "ms")


if __name__ == "__main__":
    main()
