"""Per-task resource accounting with real processes (POSIX), and the server's checks of it."""

from __future__ import annotations

import asyncio
import math
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from app.render import _posix
from app.render.config import RenderConfig
from app.render.runner import TaskRunner
from app.render.task_usage import PERIOD, TaskUsage
from app.server import render_messages
from app.server.render_messages import ProtocolError

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell commands")

ALLOCATE = 'python3 -c "import time; b = bytearray(100 * 2**20); time.sleep(2.5)"'
# ALLOCATE printing the CPU time it used, its sleep included (none), as it ends
ALLOCATE_AND_TELL = (
    'python3 -c "import time; b = bytearray(100 * 2**20); time.sleep(2.5); '
    'print(time.process_time())"'
)
BUSY_LOOP = 'python3 -c "while True: pass"'
# 2.5 s of its own CPU time, however busy the machine is
BOUNDED_LOOP = (
    'python3 -c "import time\nend = time.process_time() + 2.5\n'
    'while time.process_time() < end: pass"'
)


@pytest.fixture
def config(tmp_path: Path) -> RenderConfig:
    return RenderConfig(server_url="http://127.0.0.1:1", stop_grace=2.0, tmp_dir=tmp_path)


async def run(command: str, config: RenderConfig, stop_after: float | None = None) -> dict:
    messages: list[dict] = []
    task = {"job": 1, "block": 0, "task": 0, "run": 1, "command": command}
    runner = TaskRunner(task, config, messages.append)
    runner.start()
    if stop_after is not None:
        await asyncio.sleep(stop_after)
        runner.stop()
    await asyncio.wait_for(runner.wait(), 30)
    result = messages[-1]
    assert result["type"] == "result"
    return result


async def test_peak_memory_of_a_task(config):
    result = await run(ALLOCATE_AND_TELL, config)
    assert result["exit_code"] == 0, result["output"]
    assert 90 <= result["peak_rss_mb"] < 400
    # at least its own count at the print, plus its exit (freeing 100 MB), but not its 2.5 s
    # sleep: sleeping costs no CPU, however slow the machine
    own = float(result["output"])
    assert own - 0.05 <= result["cpu_seconds"] < own + 1.0
    wall = result["time_done"] - result["time_start"]
    assert result["cpu_avg_percent"] == pytest.approx(result["cpu_seconds"] / wall * 100, abs=0.2)


async def test_memory_of_a_child_process_counts(config):
    # two commands: the shell cannot exec python, so python is the shell's child
    result = await run(f"{ALLOCATE}; echo done", config)
    assert result["output"] == "done\n"
    assert result["peak_rss_mb"] >= 90


async def test_cpu_bound_task_stopped_after_a_while(config):
    result = await run(BUSY_LOOP, config, stop_after=2.5)
    assert result["error"] == "stopped"
    wall = result["time_done"] - result["time_start"]
    assert 0.2 < result["cpu_seconds"] <= wall + 0.5  # its share of a busy machine, or all
    assert result["cpu_avg_percent"] == pytest.approx(result["cpu_seconds"] / wall * 100, abs=0.2)


async def test_cpu_bound_task_in_a_child_that_ends_on_its_own(config):
    result = await run(f"{BOUNDED_LOOP}; sleep 0.2", config)
    assert result["exit_code"] == 0
    # seen at the last sample (one per TaskUsage.PERIOD) before it ended: all of its 2.5 s of
    # CPU but what it used after that sample, at most one period's worth
    assert 2.5 - PERIOD - 0.1 <= result["cpu_seconds"] <= 3


async def test_an_instant_task_costs_no_sample(config, monkeypatch):
    calls = []
    monkeypatch.setattr(TaskUsage, "sample", lambda self, scan_tags=False: calls.append(1))
    result = await run("true", config)
    assert result["exit_code"] == 0
    assert calls == []


@pytest.mark.parametrize("pidfd", [True, False], ids=["pidfd", "waiting thread"])
async def test_a_short_task_reports_its_memory_and_cpu_from_its_exit(config, monkeypatch, pidfd):
    if pidfd and not _posix.has_pidfd():
        pytest.skip("no pidfd here")
    monkeypatch.setattr(_posix, "has_pidfd", lambda: pidfd)  # how the exit is watched
    monkeypatch.setattr(TaskUsage, "sample", lambda self, scan_tags=False: None)  # none counts
    # the shell's child (two commands), which the shell reaps: its figures count too; it
    # outgrows this process (the render here), whose size a forked child starts with
    size = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024 + 100
    result = await run(f'python3 -c "b = bytearray({size} * 2**20)"; true', config)
    assert result["exit_code"] == 0
    assert size - 10 <= result["peak_rss_mb"] < size + 300
    assert result["cpu_seconds"] > 0
    assert result["cpu_avg_percent"] > 0


def test_a_peak_no_larger_than_the_render_s_own_is_not_the_task_s():
    """A forked child's ru_maxrss starts at its parent's size: at or below it, it says nothing
    of the task (0: the samples tell); above it, it is the task's peak."""
    usage = resource.struct_rusage((1.0, 0.5, 3000, *[0] * 13))
    assert _posix.exit_usage(usage, inherited=3000) == (0, 1.5)
    assert _posix.exit_usage(usage, inherited=2000) == (3000 * 1024, 1.5)


# A render started by a process whose peak was 500 MB (a big server, the test runner) runs a
# 200 MB task: ru_maxrss of the render says 500 MB, its own peak far less.
BIG_STARTER = """
import subprocess, sys
b = bytearray(500 * 2**20)
del b
subprocess.run([sys.executable, "-c", sys.argv[1]], check=True)
"""
RENDER_OF_BIG_STARTER = """
import os, resource, subprocess
from app.render import _posix
inherited = _posix.own_peak()
task = subprocess.Popen('python3 -c "b = bytearray(200 * 2**20)"', shell=True)
_, _, usage = os.wait4(task.pid, 0)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, _posix.exit_usage(usage, inherited)[0])
"""


@pytest.mark.skipif(sys.platform != "linux", reason="Linux's VmHWM")
def test_the_peak_of_whoever_started_the_render_hides_no_task_peak():
    out = subprocess.run(
        [sys.executable, "-c", BIG_STARTER, RENDER_OF_BIG_STARTER],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parents[2],
    ).stdout
    render_maxrss_kib, task_peak = map(int, out.split())
    assert render_maxrss_kib >= 500 * 1024  # the starter's peak, carried over
    assert 195 * 2**20 <= task_peak < 400 * 2**20


async def test_a_task_that_fails_to_start_reports_zero(config, tmp_path):
    result = await run(
        "true", RenderConfig(server_url="http://127.0.0.1:1", tmp_dir=tmp_path / "missing")
    )
    assert result["error"].startswith("failed to start")
    assert result["peak_rss_mb"] == 0 and result["cpu_seconds"] == 0


def result_message(**fields) -> dict:
    message = {
        "seq": 1,
        "job": 1,
        "block": 0,
        "task": 0,
        "run": 1,
        "exit_code": 0,
        "signal": None,
        "error": None,
        "time_start": 1.0,
        "time_done": 2.0,
    }
    return {**message, **fields}


def test_the_server_keeps_valid_figures():
    report = render_messages.result(
        result_message(peak_rss_mb=120.5, cpu_seconds=3, cpu_avg_percent=350.0)
    )
    assert (report["peak_rss_mb"], report["cpu_seconds"], report["cpu_avg_percent"]) == (
        120.5,
        3.0,
        350.0,
    )
    old_render = render_messages.result(result_message())
    assert old_render["peak_rss_mb"] is old_render["cpu_seconds"] is None


@pytest.mark.parametrize("key", ["peak_rss_mb", "cpu_seconds", "cpu_avg_percent"])
@pytest.mark.parametrize("value", [math.nan, math.inf, -1, 1e300, "12", True, [1]])
def test_the_server_refuses_bad_figures(key, value):
    with pytest.raises(ProtocolError, match=key):
        render_messages.result(result_message(**{key: value}))
