"""Afanasy's `command_pre` and `command_post` of a job and its blocks, run by the server.

Afanasy's server runs a job's pre commands when the job arrives and its post commands once it
is deleted. A command run by the server runs as the server's account, which can read the
server's data folder (tokens, farm secret, database): anyone who may submit would be as
powerful as an admin. So the server runs them only when started with `--job-commands`
(SECURITY.md); otherwise the submit answer says how to enable it.

A command runs through the shell, in its block's working directory (a job's own: its first
block's, as Afanasy), without the server's CORRAL_* variables, for at most the timeout (then
its process group is killed). Its output is logged line by line (at most MAX_LINES); a failure
(an exit status other than 0, the timeout, or a command that cannot start) is logged as a
warning, counted in the metric corral_job_commands_total, and, for a pre command, named in the
submit answer's warnings.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import tempfile
from collections.abc import Callable

from app.core.jobs import Job

log = logging.getLogger("corral.job_commands")

MAX_LINES = 200  # output lines logged per command; the rest are counted
MAX_LINE = 1000  # characters logged of one line
DISABLED = (
    "kept, not run: the server runs job commands only when started with --job-commands "
    "(SECURITY.md)"
)
PRE, POST = "command_pre", "command_post"


def commands(job: Job, kind: str) -> list[tuple[str, str, str | None]]:
    """(field path, command, working directory) of a job's commands of a kind (PRE or POST):
    the job's own, then each block's, the empty ones left out."""
    blocks = job.spec.blocks
    first = blocks[0].working_directory if blocks else None
    found = [(kind, getattr(job.spec, kind), first)]
    found += [
        (f"blocks[{i}].{kind}", getattr(block, kind), block.working_directory)
        for i, block in enumerate(blocks)
    ]
    return [(path, command, cwd) for path, command, cwd in found if command.strip()]


def _environment(job: Job) -> dict[str, str]:
    """The server's environment without its own CORRAL_* variables, with the job's AF_*."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("CORRAL_")}
    env.update(AF_JOB_ID=str(job.id), AF_JOB_NAME=job.name, AF_USER_NAME=job.user_name)
    return env


class JobCommands:
    """Runs jobs' pre and post commands when enabled; `counted(kind, outcome)` counts each."""

    def __init__(self, enabled: bool, timeout: float, counted: Callable[[str, str], None]) -> None:
        self.enabled = enabled
        self.timeout = timeout
        self._counted = counted
        self._pending: set[asyncio.Task] = set()  # post commands still running

    def not_run(self, job: Job) -> list[str]:
        """The submit answer's warnings for the job's commands when they are not run."""
        if self.enabled:
            return []
        return [f"{path}: {DISABLED}" for kind in (PRE, POST) for path, _, _ in commands(job, kind)]

    async def before(self, job: Job) -> list[str]:
        """Run a new job's pre commands one after the other; the warnings of those that
        failed."""
        if not self.enabled:
            return []
        failures = []
        for path, command, cwd in commands(job, PRE):
            failure = await self._run(job, path, command, cwd)
            if failure:
                failures.append(f"{path}: {failure}")
        return failures

    def after(self, job: Job) -> None:
        """A job was deleted: run its post commands in the background."""
        if not self.enabled:
            return
        for path, command, cwd in commands(job, POST):
            task = asyncio.get_running_loop().create_task(self._run(job, path, command, cwd))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    async def close(self) -> None:
        """The server stops: post commands still running are killed."""
        for task in list(self._pending):
            task.cancel()
        await asyncio.gather(*self._pending, return_exceptions=True)

    async def _run(self, job: Job, path: str, command: str, cwd: str | None) -> str | None:
        """Run one command; None when it succeeded, else what went wrong."""
        kind = PRE if path.endswith(PRE) else POST
        where = f"job {job.id} {path}"
        if not cwd or not os.path.isdir(cwd):
            cwd = tempfile.gettempdir()
        log.info("%s: running %r in %s", where, command, cwd)
        try:
            proc = await asyncio.create_subprocess_shell(
                command,
                cwd=cwd,
                env=_environment(job),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=sys.platform != "win32",
            )
        except OSError as exc:
            return self._failed(kind, where, f"could not start: {exc}")
        try:
            await asyncio.wait_for(_log_output(proc, where), self.timeout)
            status = await proc.wait()
        except TimeoutError:
            _kill(proc)
            await proc.wait()
            return self._failed(kind, where, f"stopped after the timeout of {self.timeout:g} s")
        except asyncio.CancelledError:
            _kill(proc)
            raise
        if status != 0:
            return self._failed(kind, where, f"failed with exit status {status}")
        self._counted(kind, "done")
        log.info("%s: done", where)
        return None

    def _failed(self, kind: str, where: str, failure: str) -> str:
        self._counted(kind, "failed")
        log.warning("%s: %s", where, failure)
        return failure


async def _log_output(proc: asyncio.subprocess.Process, where: str) -> None:
    """Log the command's output lines until it closes its output."""
    assert proc.stdout is not None
    logged = dropped = 0
    async for raw in proc.stdout:
        if logged < MAX_LINES:
            line = raw.decode("utf-8", errors="replace").rstrip()[:MAX_LINE]
            log.info("%s| %s", where, line)
            logged += 1
        else:
            dropped += 1
    if dropped:
        log.info("%s: %d more output lines not logged", where, dropped)
    await proc.wait()


def _kill(proc: asyncio.subprocess.Process) -> None:
    """Kill the command and what it started (its process group, on POSIX)."""
    try:
        if sys.platform == "win32":
            proc.kill()
        else:
            os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
