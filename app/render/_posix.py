"""POSIX process-tree control: a new session per task, killpg, and a hunt for escaped processes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from typing import TYPE_CHECKING, Any

import psutil

if TYPE_CHECKING:
    from app.render.process import TaskProcess

SPAWN_OPTIONS: dict[str, Any] = {"start_new_session": True}  # setsid: pgid == sid == pid
_POLL = 0.05  # seconds between checks while waiting for the grace time to end


def adopt(proc: TaskProcess) -> None:
    """Nothing to do: the new session already holds the tree."""


def release(proc: TaskProcess) -> None:
    """Nothing to do: no OS handle is kept per task."""


async def kill_tree(proc: TaskProcess, grace: float) -> None:
    """TERM every process of the task, KILL what is left after `grace` seconds.

    The processes of the task are its process group, the descendants of its main process (while
    it runs) and every process carrying its tag, which finds those that called setsid() and were
    orphaned. Zombies count as dead, so a non-reaping init does not stretch the wait.
    """
    pgid = proc.pid
    if proc.returncode is not None and proc.output_closed and not _signal_group(pgid, 0):
        return  # the usual end of a task: nothing left behind, no process table scan
    tree = _find_tree(proc)  # before signalling: a dead parent's orphans are out of the walk
    _signal_group(pgid, signal.SIGTERM)
    _signal_each(tree, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_alive(process) for process in tree):
        await asyncio.sleep(_POLL)
    _signal_group(pgid, signal.SIGKILL)
    _signal_each(tree | _find_tree(proc), signal.SIGKILL)  # also what started during the grace


def _find_tree(proc: TaskProcess) -> set[psutil.Process]:
    tree: set[psutil.Process] = set()
    # Only while the main process is not reaped: afterwards its pid may belong to someone else.
    if proc.returncode is None:
        with contextlib.suppress(psutil.Error):
            tree.update(psutil.Process(proc.pid).children(recursive=True))
    me = os.getpid()
    for process in psutil.process_iter():
        if process.pid == me:
            continue
        try:
            if (
                os.getpgid(process.pid) == proc.pid
                or process.environ().get(proc.TAG_VARIABLE) == proc.tag
            ):
                tree.add(process)
        except (psutil.Error, OSError):  # gone, or another user's process
            pass
    return tree


def _signal_group(pgid: int, sig: int) -> bool:
    """Send `sig` to the process group; False when the group does not exist (any more)."""
    try:
        os.killpg(pgid, sig)
    except OSError:  # ESRCH: the group is gone; EPERM: the pgid is not ours any more
        return False
    return True


def _signal_each(processes: set[psutil.Process], sig: int) -> None:
    for process in processes:
        with contextlib.suppress(psutil.Error):
            process.send_signal(sig)  # psutil checks that the pid was not reused


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False
