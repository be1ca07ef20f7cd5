"""One task process: environment, working directory, output capture and the result message."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from app.parsers import get_parser
from app.parsers.stream import OUTPUT_BATCH, output_decoder
from app.protocol import STOPPED, exit_text, key_fields, run_key
from app.render.config import RenderConfig
from app.render.process import TaskProcess, kill_tree, spawn, task_environment
from app.render.task_dirs import TaskDirs
from app.render.task_usage import TaskUsage
from app.render.thumbnails import make_thumbnail
from app.services import TaskInfo, get_service

log = logging.getLogger(__name__)

Emit = Callable[[dict[str, Any]], None]

_BATCH_DELAY = 0.2  # seconds an output chunk may wait to be sent with the next ones
_EOF_WAIT = 0.1  # after a normal exit, how long the end of output may lag behind
_DRAIN_TIMEOUT = 2.0  # after the tree is dead, how long an unseen process may hold the pipe
_PROGRESS_EVERY = 0.5  # seconds between two `progress` messages of a task
STARTED_AFTER = 1.0  # seconds a process runs before `started` is sent (short tasks skip it)
MAX_RESULT_FILES = 1000  # output files named in a result


class OutputCapture:
    """The output of a task up to `limit` bytes: its head and its tail, the middle cut out."""

    def __init__(self, limit: int) -> None:
        self._head_limit = limit // 2
        self._tail_limit = limit - self._head_limit
        self._head = bytearray()
        self._tail = bytearray()
        self._total = 0

    def add(self, data: bytes) -> None:
        self._total += len(data)
        room = self._head_limit - len(self._head)
        if room > 0:
            self._head += data[:room]
            data = data[room:]
        self._tail += data
        if len(self._tail) > 2 * self._tail_limit:  # trim rarely: amortized O(1) per byte
            del self._tail[: -self._tail_limit or None]

    def text(self) -> str:
        tail = self._tail[-self._tail_limit :] if self._tail_limit else b""
        cut = self._total - len(self._head) - len(tail)
        if cut == 0:
            return (self._head + tail).decode("utf-8", errors="replace")
        return (
            self._head.decode("utf-8", errors="replace")
            + f"\n[... {cut} bytes cut ...]\n"
            + tail.decode("utf-8", errors="replace")
        )


# The variables Afanasy's render gives a task, from the fields of its assignment: scripts
# written for Afanasy read them.
_AFANASY_VARIABLES = {
    "AF_JOB_ID": "job",
    "AF_JOB_NAME": "job_name",
    "AF_BLOCK_ID": "block",
    "AF_BLOCK_NAME": "block_name",
    "AF_TASK_ID": "task",
    "AF_TASK_NAME": "task_name",
    "AF_USER_NAME": "user_name",
    "AF_CAPACITY": "capacity",
    "AF_TASK_FRAME_START": "frame_start",
    "AF_TASK_FRAME_END": "frame_end",
}


def afanasy_environment(task: Mapping[str, Any]) -> dict[str, Any]:
    """The AF_* variables of an assignment (None for a field it lacks: left unset)."""
    return {name: task.get(field) for name, field in _AFANASY_VARIABLES.items()}


class TaskRunner:
    """Runs one assigned task (the `assign.task` object) and reports `started` (once it has run
    for STARTED_AFTER s), `output` batches and one `result` (without `seq`) through `emit`.

    The constructor raises ValueError when the task object is malformed.
    """

    def __init__(
        self,
        task: Mapping[str, Any],
        config: RenderConfig,
        emit: Emit,
        dirs: TaskDirs | None = None,
    ) -> None:
        self.key = run_key(task)
        self._dirs = dirs or TaskDirs(config.tmp_dir)  # where tasks without a directory run
        self._fields = key_fields(self.key)
        info = TaskInfo.from_assignment(task)
        self._service = get_service(info.service)(
            info, path_map=config.path_map, programs=config.programs
        )
        self._variables = {
            "CORRAL_FRAME_START": task.get("frame_start"),
            "CORRAL_FRAME_END": task.get("frame_end"),
            **afanasy_environment(task),
        }
        self._parser = get_parser(self._service.parser_name())(
            info.frame_start, info.frame_end, info.frames_inc
        )
        self._parser.passes = max(1, info.parser_coeff)
        self._parser_stop: str | None = None  # "error" or "success": the output ended the task
        self._progress_due = False  # the parser's percent or frame changed and was not sent yet
        self._progress_sent = -_PROGRESS_EVERY  # time.monotonic() of the last progress message
        self._progress_timer: asyncio.TimerHandle | None = None
        self._config = config
        self._emit = emit
        self._capture = OutputCapture(config.output_limit)
        self._decoder = output_decoder()
        self._pending: list[bytes] = []
        self._pending_size = 0
        self._flush_timer: asyncio.TimerHandle | None = None
        self._proc: TaskProcess | None = None
        self._kill: asyncio.Task[None] | None = None
        self._stopped = False
        self._time_done: float | None = None
        self._usage: TaskUsage | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the task in the background; `wait()` returns once its result is emitted."""
        self._task = asyncio.create_task(self._run(), name=f"corral task {self.key}")

    def stop(self) -> None:
        """Kill the task's process tree (TERM, KILL after the grace time); the result will carry
        error "stopped". Does nothing once the task has exited on its own."""
        if self._proc is None:
            self._stopped = True  # still starting: killed as soon as it runs
        elif self._proc.returncode is None:
            self._stopped = True
            if self._usage is not None and self._kill is None:
                self._usage.sample()  # the last figures of the tree, before it dies
            self._kill_tree()

    async def wait(self) -> None:
        """Wait until the result has been emitted (cancelling the waiter leaves the task alone)."""
        if self._task is not None:
            await asyncio.wait([self._task])

    async def _run(self) -> None:
        time_start = time.time()
        tmp_dir = None
        verdict = Verdict()
        service = self._service
        try:
            command, cwd = service.command(), service.working_directory()
            environment = service.environment()
            if service.task.skip_existing_files:  # file checks may wait on a network share
                verdict.skipped = await asyncio.to_thread(service.skip_reason)
        except Exception as exc:  # a service plugin's bug must not take the render down
            verdict.error = f"service {service.name} failed: {type(exc).__name__}: {exc}"
        if verdict.error or verdict.skipped:
            self._report(time_start, verdict)
            return
        try:
            if cwd is None or not os.path.isdir(cwd):
                cwd = tmp_dir = self._dirs.take()
            self._proc = await spawn(command, cwd, self._env(environment), self._on_output)
        except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the command or env
            verdict.error = f"failed to start: {exc}"
        else:
            await self._supervise(self._proc)
            await self._judge(verdict, tmp_dir)
        finally:
            if tmp_dir is not None:
                await self._dirs.give_back(tmp_dir)
        self._report(time_start, verdict)

    async def _judge(self, verdict: Verdict, tmp_dir: str | None) -> None:
        """What the run came to, in Afanasy's order: stopped, exit status, the output's fatal
        errors, errors and bad result, the rendered files; then a thumbnail of a success."""
        self._flush(final=True)
        parser, service = self._parser, self._service
        if self._stopped and self._parser_stop is None:
            verdict.error = STOPPED
            return
        verdict.fatal = parser.fatal
        first_error = parser.errors[0] if parser.errors else ""
        if self._parser_stop == "success":
            verdict.success = True
            return
        code = self._proc.returncode if self._proc is not None else None
        if self._parser_stop is None and (code is None or not service.check_exit_status(code)):
            if first_error:
                verdict.error = f"{exit_text(*_exit_status(code))}: {first_error}"
            return  # a bare exit code or signal is worded by app.protocol.run_error
        verdict.success = code != 0  # the service counts this exit status as a success
        verdict.error = parser.problem()
        if verdict.error is None and service.task.check_rendered_files:
            verdict.error = await asyncio.to_thread(service.rendered_files_error, parser.files)
        if verdict.error is None and (parser.files or service.task.files):
            verdict.thumbnail = await make_thumbnail(
                service, parser.files, tmp_dir or self._config.tmp_dir
            )

    async def _supervise(self, proc: TaskProcess) -> None:
        """Wait for the main process, kill what it left behind, collect the rest of the output."""
        self._usage = TaskUsage(proc.pid, proc.tag)
        # A task that ends sooner goes straight to its result: one message less for the render
        # and the server, which counts at thousands of short tasks a second.
        started = asyncio.get_running_loop().call_later(STARTED_AFTER, self._emit_started)
        try:
            if self._stopped:
                self._kill_tree()
            self._usage.start()
            await proc.wait()
            started.cancel()  # not for a process that has exited: the clean-up may take a while
            self._usage.stop()
            if proc.exit_usage is not None:
                self._usage.at_exit(*proc.exit_usage)
            self._time_done = time.time()
            if self._kill is None:  # exited on its own: let the last output arrive first, so
                await proc.drain(_EOF_WAIT)  # that kill_tree sees an empty tree without a scan
            await asyncio.shield(self._kill_tree())  # the stop in progress, or the leftovers
            await proc.drain(_DRAIN_TIMEOUT)
        finally:
            started.cancel()
            self._usage.stop()
            proc.close()

    def _emit_started(self) -> None:
        assert self._proc is not None
        self._emit({"type": "started", **self._fields, "pid": self._proc.pid})

    def _kill_tree(self) -> asyncio.Task[None]:
        if self._kill is None:
            assert self._proc is not None
            self._kill = asyncio.create_task(kill_tree(self._proc, self._config.stop_grace))
        return self._kill

    def _env(self, environment: dict[str, str]) -> dict:
        job, block, task, run = self.key
        extra = {
            **environment,
            "CORRAL_JOB_ID": str(job),
            "CORRAL_BLOCK": str(block),
            "CORRAL_TASK": str(task),
            "CORRAL_RUN": str(run),
        }
        extra.update(
            {name: str(value) for name, value in self._variables.items() if value is not None}
        )
        return task_environment(extra)

    def _on_output(self, data: bytes) -> None:
        self._capture.add(data)
        self._pending.append(data)
        self._pending_size += len(data)
        if self._pending_size >= OUTPUT_BATCH:  # a full batch does not wait
            self._flush()
        elif self._flush_timer is None:
            self._flush_timer = asyncio.get_running_loop().call_later(_BATCH_DELAY, self._flush)

    def _flush(self, final: bool = False) -> None:
        """Send the waiting output chunks as one `output` message."""
        if self._flush_timer is not None:
            self._flush_timer.cancel()
            self._flush_timer = None
        text = self._decoder.decode(b"".join(self._pending), final)
        self._pending.clear()
        self._pending_size = 0
        if text:
            self._emit({"type": "output", **self._fields, "data": text})
            self._parser.feed(text)
        if final:
            self._parser.finish()
        elif self._parser_stop is None:
            self._stop_on_output()
        if self._parser.progress_changed():
            self._progress_due = True
        if self._progress_due:
            self._send_progress(final)

    def _stop_on_output(self) -> None:
        """An error in the output (or an explicit success) ends the task at once, as Afanasy's
        render does: a renderer that failed may hang or go on writing garbage."""
        parser = self._parser
        if parser.errors or parser.fatal:
            self._parser_stop = "error"
        elif parser.success:
            self._parser_stop = "success"
        else:
            return
        log.info("task %s: output says %s; stopping it", self.key, self._parser_stop)
        self.stop()

    def _send_progress(self, final: bool = False) -> None:
        """Send the parser's percent and frame, at most every _PROGRESS_EVERY seconds: a change
        that comes sooner waits for a timer (or the end of the task)."""
        if self._progress_timer is not None:
            self._progress_timer.cancel()
            self._progress_timer = None
        wait = self._progress_sent + _PROGRESS_EVERY - time.monotonic()
        if wait > 0 and not final:
            loop = asyncio.get_running_loop()
            self._progress_timer = loop.call_later(wait, self._send_progress)
            return
        self._progress_due = False
        self._progress_sent = time.monotonic()
        parser = self._parser
        percent = parser.percent
        if percent is None:  # only frames reported: the share of frames done
            percent = (parser.frame or 0) * 100 // parser.frames
        self._emit({"type": "progress", **self._fields, "percent": percent, "frame": parser.frame})

    def _report(self, time_start: float, verdict: Verdict) -> None:
        """The result message (a run that started had its output flushed by _judge)."""
        returncode = self._proc.returncode if self._proc is not None else None
        exit_code, killed_by = _exit_status(returncode)
        time_done = self._time_done or time.time()
        usage = self._usage or TaskUsage(0)  # never started: nothing used
        parser = self._parser
        files = parser.files
        if self._config.path_map is not None:
            files = [self._config.path_map.to_server(path) for path in files]
        self._emit(
            {
                "type": "result",
                **self._fields,
                "exit_code": exit_code,
                "signal": killed_by,
                "error": verdict.error,
                "fatal": verdict.fatal,
                "success": verdict.success,
                "skipped": verdict.skipped,
                "warnings": len(parser.warnings) + (parser.dropped if parser.warnings else 0),
                "files": files[:MAX_RESULT_FILES],
                "thumbnail": verdict.thumbnail,
                "time_start": time_start,
                "time_done": time_done,
                "output": self._capture.text(),
                **usage.report(time_done - time_start),
            }
        )


@dataclass
class Verdict:
    """How a run ended, as the render judges it (the server words exit codes and signals)."""

    error: str | None = None
    fatal: bool = False  # retrying is useless (e.g. no licence): no retries
    success: bool = False  # a success although the exit status or a kill says otherwise
    skipped: str | None = None  # why the task did not need to run
    thumbnail: str | None = None  # base64 JPEG of an output image


def _exit_status(returncode: int | None) -> tuple[int | None, int | None]:
    """A process's return code as a result's exit_code and signal (negative: killed)."""
    if returncode is not None and returncode < 0:
        return None, -returncode
    return returncode, None
