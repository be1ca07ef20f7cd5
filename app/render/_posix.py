"""POSIX process-tree control: a new session per task, killpg, a hunt for escaped processes, and
a guard that kills the tasks of a render that died without doing it (SIGKILL, a crash)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

import psutil

if TYPE_CHECKING:
    from app.render.process import TaskProcess

SPAWN_OPTIONS: dict[str, Any] = {"start_new_session": True}  # setsid: pgid == sid == pid
_POLL = 0.05  # seconds between checks while waiting for the grace time to end


@functools.cache
def has_pidfd() -> bool:
    """Whether Linux's pidfd (5.3+) lets the event loop watch a process exit; elsewhere a
    thread waits for it."""
    if not hasattr(os, "pidfd_open"):
        return False
    try:
        os.close(os.pidfd_open(os.getpid()))
    except OSError:  # an old kernel, or a sandbox that forbids it
        return False
    return True


def start(proc: TaskProcess, command: str, cwd: str, env: dict) -> None:
    """Start the shell command for proc with the output pipe watched by the event loop directly:
    a third cheaper in CPU than asyncio's subprocess transport (0.5 ms a task), which matters
    for short tasks. The render reaps the process itself, so its rusage gives what the task
    used (proc.exit_usage). OSError/ValueError when it cannot start."""
    read_end, write_end = os.pipe()
    inherited = own_peak()  # see exit_usage
    try:
        popen = subprocess.Popen(
            command,
            shell=True,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=write_end,
            stderr=write_end,
            **SPAWN_OPTIONS,
        )
    except BaseException:
        os.close(read_end)
        raise
    finally:
        os.close(write_end)
    proc.connection_made(_PipeTransport(popen, read_end, proc, inherited))


class _PipeTransport(asyncio.SubprocessTransport):
    """The part of a subprocess transport TaskProcess uses: the pid, the exit status and rusage
    (reaped when the pidfd becomes readable, or by a waiting thread), the output (read as it
    comes), kill and close."""

    def __init__(
        self, popen: subprocess.Popen, read_end: int, proc: TaskProcess, inherited: int
    ) -> None:
        super().__init__()
        self._inherited = inherited
        self._loop = asyncio.get_running_loop()
        self._popen = popen
        self._proc = proc
        self._pipe: int | None = read_end
        self._pidfd: int | None = None
        os.set_blocking(read_end, False)
        self._loop.add_reader(read_end, self._read)
        if has_pidfd():
            self._pidfd = os.pidfd_open(popen.pid)
            self._loop.add_reader(self._pidfd, self._reap)
        else:
            threading.Thread(target=self._wait, name=f"wait {popen.pid}", daemon=True).start()

    def get_pid(self) -> int:
        return self._popen.pid

    def get_returncode(self) -> int | None:
        return self._popen.returncode

    def kill(self) -> None:
        self._popen.kill()

    def close(self) -> None:
        self._close_pipe()
        if self._popen.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._popen.kill()
            # the pidfd stays watched until the exit reaps the process

    def _read(self) -> None:
        try:
            data = os.read(self._pipe, 65536)  # type: ignore[arg-type]
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if data:
            self._proc.pipe_data_received(1, data)
        else:
            self._close_pipe()

    def _close_pipe(self) -> None:
        if self._pipe is not None:
            self._loop.remove_reader(self._pipe)
            os.close(self._pipe)
            self._pipe = None
            self._proc.pipe_connection_lost(1, None)

    def _reap(self) -> None:
        """The pidfd is readable: the process has exited, the wait returns at once."""
        if self._pidfd is not None:
            self._loop.remove_reader(self._pidfd)
            os.close(self._pidfd)
            self._pidfd = None
        self._reaped(_wait4(self._popen.pid))

    def _wait(self) -> None:
        """In a thread of its own: wait for the exit, then hand it to the loop."""
        reaped = _wait4(self._popen.pid)
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
            self._loop.call_soon_threadsafe(self._reaped, reaped)

    def _reaped(self, reaped: tuple[int, resource.struct_rusage] | None) -> None:
        if reaped is None:  # a kill's poll reaped it already: no rusage left
            self._popen.wait()
        else:
            status, usage = reaped
            self._popen.returncode = os.waitstatus_to_exitcode(status)
            self._proc.exit_usage = exit_usage(usage, self._inherited)
        self._proc.process_exited()


def _wait4(pid: int) -> tuple[int, resource.struct_rusage] | None:
    """Wait for the process to exit: its wait status and rusage; None when it was reaped
    already."""
    try:
        _, status, usage = os.wait4(pid, 0)
    except ChildProcessError:
        return None
    return status, usage


def own_peak() -> int:
    """This process's own peak resident size, ru_maxrss units. On Linux it is the memory's
    high-water mark (VmHWM): ru_maxrss would also carry the peak of the process that started
    this one (a vfork child takes its parent's), which a big server starting a render makes
    larger than any task's."""
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status", "rb") as status:
        for line in status:
            if line.startswith(b"VmHWM:"):
                return int(line.split()[1])  # kB, as ru_maxrss on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def exit_usage(usage: resource.struct_rusage, inherited: int) -> tuple[int, float]:
    """(peak resident bytes, CPU seconds) of a reaped process, with the descendants it reaped
    itself (the kernel adds those to its rusage): what a task used, however short it was.

    A forked child's ru_maxrss starts at the render's own resident size (its pages before the
    exec count), so it is the task's peak only above the render's peak at the fork
    (``inherited``, ru_maxrss units: :func:`own_peak`); at or below it the peak is unknown
    here: 0, and the samples tell."""
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, else KiB
    peak = usage.ru_maxrss * scale if usage.ru_maxrss > inherited else 0
    return peak, usage.ru_utime + usage.ru_stime


def guard_tasks(variable: str, prefix: str) -> None:
    """Fork the guard: a process that waits for this render's end, then SIGKILLs every process
    whose environment `variable` starts with `prefix` (the tags of this render's tasks), with
    its process group.

    It learns of the end from a pipe that only the render holds open: the kernel closes it
    however the render ends, SIGKILL included, on Linux and macOS alike. Linux's
    PR_SET_PDEATHSIG would need a hook in every task start and reaches only the task's shell,
    not its children; macOS has none. The guard is forked, not executed, so that it needs no
    Python interpreter beside a one-file binary (so `ps` shows it with the render's command
    line); it only reads the pipe until the end.
    """
    read_end, write_end = os.pipe()  # not inheritable: no task holds the write end
    if os.fork():
        os.close(read_end)
        return  # the write end stays open as long as the render lives
    try:
        os.setsid()  # signals for the render's terminal or process group are not the guard's
        for sig in (signal.SIGINT, signal.SIGTERM):  # the render's own handlers, if any
            signal.signal(sig, signal.SIG_DFL)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.closerange(3, read_end)  # the render's sockets and pipes are not the guard's to hold
        os.closerange(read_end + 1, os.sysconf("SC_OPEN_MAX"))
        while os.read(read_end, 1):
            pass
        _kill_tagged(variable, prefix)
    finally:
        os._exit(0)


def _kill_tagged(variable: str, prefix: str) -> None:
    """SIGKILL each process tagged with prefix and its process group, scanning again until none
    is left (a process may fork while the scan runs)."""
    for _ in range(10):
        found = False
        for process in psutil.process_iter():
            try:
                if not process.environ().get(variable, "").startswith(prefix):
                    continue  # the guard's own environment is the render's: no task tag
                found = True
                _signal_group(os.getpgid(process.pid), signal.SIGKILL)
                process.kill()
            except (psutil.Error, OSError):  # gone (zombies too), or another user's process
                pass
        if not found:
            return


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
