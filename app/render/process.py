"""Start a task's shell command and kill its whole process tree, on POSIX or Windows.

The task's output pipe is ours to close: processes left behind by a task (or that escaped its
process group) may hold the pipe open forever, so the exit of the task is the exit of its main
process, not the end of its output.

Every task gets a unique TaskProcess.TAG_VARIABLE in its environment; its descendants inherit it,
so they can be found after they left the process group and lost their parent.

No task outlives its render. The tags of a render's tasks share a prefix; on POSIX the first task
starts a guard process that, when the render ends however it ends (SIGKILL included), kills every
process carrying that prefix with its process group (_posix.guard_tasks: Linux and macOS alike).
On Windows each task's job object is closed with the render's handles when it dies, which kills
the processes in it (KILL_ON_JOB_CLOSE).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import subprocess
import uuid
from collections.abc import Callable, Mapping

from app.platform import host_os

_WINDOWS = host_os() == "windows"
if _WINDOWS:
    from app.render import _windows as _platform
else:
    from app.render import _posix as _platform


class TaskProcess(asyncio.SubprocessProtocol):
    """One started shell command: output goes to `on_output`, exit is awaited with `wait()`."""

    TAG_VARIABLE = "CORRAL_PROCESS_TAG"

    def __init__(self, tag: str, on_output: Callable[[bytes], None]) -> None:
        loop = asyncio.get_running_loop()
        self.tag = tag  # value of TAG_VARIABLE in the environment of the whole tree
        self._on_output = on_output
        self._transport: asyncio.SubprocessTransport | None = None
        self._exited: asyncio.Future[None] = loop.create_future()
        self._eof: asyncio.Future[None] = loop.create_future()
        self.job: int | None = None  # Windows: the job object that holds the process tree
        # (peak resident bytes, CPU seconds) of the main process and the descendants it reaped,
        # from its rusage when reaped (POSIX, app/render/_posix.py); None on Windows
        self.exit_usage: tuple[int, float] | None = None

    @property
    def pid(self) -> int:
        assert self._transport is not None
        return self._transport.get_pid()

    @property
    def returncode(self) -> int | None:
        """Exit status of the main process; negative signal number when killed by a signal."""
        return self._transport.get_returncode() if self._transport is not None else None

    @property
    def output_closed(self) -> bool:
        """True once no process holds the output pipe any more (or we closed it)."""
        return self._eof.done()

    async def wait(self, timeout: float | None = None) -> int | None:
        """Wait until the main process exits (at most `timeout` s) and return its return code."""
        if not self._exited.done():
            await asyncio.wait([self._exited], timeout=timeout)
        return self.returncode

    async def drain(self, timeout: float) -> None:
        """Wait (at most `timeout` s) until every process holding the output pipe closed it."""
        if not self._eof.done():
            await asyncio.wait([self._eof], timeout=timeout)

    def kill(self) -> None:
        """Kill the main process only (last resort when the tree cannot be reached)."""
        if self._transport is not None and self.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._transport.kill()

    def close(self) -> None:
        """Close the output pipe and release the process (killing it if it still runs)."""
        if self._transport is not None:
            self._transport.close()
        _platform.release(self)

    # asyncio.SubprocessProtocol callbacks
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.SubprocessTransport)
        self._transport = transport

    def pipe_data_received(self, fd: int, data: bytes) -> None:
        self._on_output(data)

    def pipe_connection_lost(self, fd: int, exc: Exception | None) -> None:
        if not self._eof.done():
            self._eof.set_result(None)

    def process_exited(self) -> None:
        if not self._exited.done():
            self._exited.set_result(None)


@functools.cache
def _render_environment() -> dict:
    """The render's own environment, read once (decoding and re-encoding every variable for
    every task costs about 0.2 ms): bytes on POSIX, which is what exec takes."""
    return dict(os.environ) if _WINDOWS else dict(os.environb)


def task_environment(extra: Mapping[str, str]) -> dict:
    """The render's environment with extra variables over it (the task's own, CORRAL_*)."""
    env = dict(_render_environment())
    if _WINDOWS:
        env.update(extra)
    else:
        env.update((os.fsencode(name), os.fsencode(value)) for name, value in extra.items())
    return env


async def spawn(
    command: str, cwd: str, env: dict, on_output: Callable[[bytes], None]
) -> TaskProcess:
    """Run `command` through the shell in its own process group (session), stdin from the null
    device, stdout and stderr merged and passed to `on_output` chunk by chunk.

    Raises OSError when the process cannot be started (bad cwd, no shell, ...) and ValueError
    for a NUL byte in the command or the environment.
    """
    tag = _tag_prefix() + uuid.uuid4().hex
    env = {**env, TaskProcess.TAG_VARIABLE: tag}  # str or bytes keys: exec encodes both
    if _WINDOWS:
        _, proc = await asyncio.get_running_loop().subprocess_shell(
            lambda: TaskProcess(tag, on_output),
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            **_platform.SPAWN_OPTIONS,
        )
    else:
        proc = TaskProcess(tag, on_output)
        _platform.start(proc, command, cwd, env)
    _platform.adopt(proc)
    return proc


@functools.cache
def _tag_prefix() -> str:
    """The start of the tags of this render's tasks; the guard that kills them if the render
    dies starts with the first task."""
    prefix = uuid.uuid4().hex[:12] + "-"
    _platform.guard_tasks(TaskProcess.TAG_VARIABLE, prefix)
    return prefix


async def kill_tree(proc: TaskProcess, grace: float) -> None:
    """Terminate the process tree of `proc`, killing what is left after `grace` seconds.

    Safe to call when the process is already gone; also cleans up what an exited task left behind.
    """
    await _platform.kill_tree(proc, grace)
