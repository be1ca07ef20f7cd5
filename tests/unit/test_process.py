"""spawn and kill_tree on real process trees (POSIX)."""

import asyncio
import os
import random
import signal
import sys
import time

import psutil
import pytest

from app.render.process import TaskProcess, kill_tree, spawn

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX process groups")


def live_with(marker: str) -> list[psutil.Process]:
    """Running (non-zombie) processes whose command line contains marker."""
    found = []
    for process in psutil.process_iter():
        try:
            if process.status() != psutil.STATUS_ZOMBIE and marker in " ".join(process.cmdline()):
                found.append(process)
        except psutil.Error:
            pass
    return found


def new_marker() -> str:
    """A unique `sleep` duration, to find a test's processes by their command line."""
    return f"{random.randint(100_000, 999_999)}.{random.randint(1, 999_999)}"


@pytest.fixture
def marker():
    """A new marker; the test's surviving processes are killed afterwards."""
    value = new_marker()
    yield value
    for process in live_with(value):
        process.kill()


async def wait_for_count(marker: str, count: int) -> list[psutil.Process]:
    for _ in range(100):
        found = live_with(marker)
        if len(found) >= count:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"expected {count} processes with {marker}, found {live_with(marker)}")


def _session(process: psutil.Process) -> int | None:
    try:
        return os.getsid(process.pid)
    except ProcessLookupError:
        return None


async def start(command: str, output: list[bytes] | None = None) -> TaskProcess:
    sink = output.append if output is not None else (lambda data: None)
    return await spawn(command, "/", dict(os.environ), sink)


async def finish(proc: TaskProcess) -> None:
    assert await proc.wait(5) is not None
    await proc.drain(5)
    proc.close()


async def test_kill_tree_kills_children_grandchildren_and_escaped(marker):
    proc = await start(
        f"sleep {marker} & sleep {marker} & (setsid sleep {marker} &) ;"
        f" (sleep {marker}; true) & wait"
    )
    for _ in range(100):  # until the setsid child has actually left the task's session
        found = await wait_for_count(marker, 4)
        escaped = [p for p in found if _session(p) not in (proc.pid, None)]
        if escaped:
            break
        await asyncio.sleep(0.05)
    assert escaped, "the setsid child should have left the task's session"
    pids = {p.pid for p in found} | {p.pid for p in psutil.Process(proc.pid).children(True)}

    await kill_tree(proc, grace=5)
    await finish(proc)

    assert proc.returncode == -signal.SIGTERM  # TERM was enough: no KILL after the grace
    assert live_with(marker) == []
    for pid in pids:
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


async def test_term_ignoring_tree_is_killed_after_grace(marker):
    proc = await start(f"trap '' TERM; sleep {marker} & sleep {marker}; wait")
    await wait_for_count(marker, 2)

    began = time.monotonic()
    await kill_tree(proc, grace=0.5)
    elapsed = time.monotonic() - began
    await finish(proc)

    assert elapsed >= 0.5  # the grace time was given before KILL
    assert proc.returncode == -signal.SIGKILL
    assert live_with(marker) == []


async def test_escaped_process_holding_the_pipe_after_exit_is_found(marker):
    proc = await start(f"(setsid sleep {marker} &); echo done")
    await proc.wait(5)
    await wait_for_count(marker, 1)
    await proc.drain(0.2)
    assert not proc.output_closed  # the orphan holds the output pipe

    await kill_tree(proc, grace=5)
    await proc.drain(5)
    assert proc.output_closed
    proc.close()
    assert live_with(marker) == []


async def test_kill_tree_of_a_finished_process_is_harmless():
    proc = await start("true")
    await finish(proc)
    await kill_tree(proc, grace=1)
    await kill_tree(proc, grace=1)
    assert proc.returncode == 0


async def test_output_merges_stdout_and_stderr_and_stdin_is_empty():
    output: list[bytes] = []
    proc = await start("echo out; echo err >&2; cat; echo end", output)
    await finish(proc)
    assert b"".join(output) == b"out\nerr\nend\n"
    assert proc.returncode == 0


async def test_spawn_in_missing_directory_raises_oserror(tmp_path):
    with pytest.raises(OSError):
        await spawn("true", str(tmp_path / "missing"), dict(os.environ), lambda data: None)
