"""One task process: environment, working directory, output capture and the result message."""

from __future__ import annotations

import asyncio
import codecs
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from typing import Any

from app.parsers import get_parser
from app.render.config import RenderConfig
from app.render.process import TaskProcess, kill_tree, spawn
from app.render.task_usage import TaskUsage

TaskKey = tuple[int, int, int, int]  # job, block, task, run
Emit = Callable[[dict[str, Any]], None]

_KEY_FIELDS = ("job", "block", "task", "run")
_BATCH_DELAY = 0.2  # seconds an output chunk may wait to be sent with the next ones
_BATCH_BYTES = 64 * 1024  # ... unless this much is waiting
_EOF_WAIT = 0.1  # after a normal exit, how long the end of output may lag behind
_DRAIN_TIMEOUT = 2.0  # after the tree is dead, how long an unseen process may hold the pipe
_PROGRESS_EVERY = 0.5  # seconds between two `progress` messages of a task


def task_key(message: Any) -> TaskKey:
    """The (job, block, task, run) of a message; ValueError when one is missing or not an int."""
    if not isinstance(message, Mapping):
        raise ValueError("a task key must be an object")
    job, block, task, run = (message.get(name) for name in _KEY_FIELDS)
    if not all(type(value) is int for value in (job, block, task, run)):
        raise ValueError("job, block, task and run must be integers")
    return job, block, task, run


def key_fields(key: TaskKey) -> dict[str, int]:
    """The task key as message fields."""
    return dict(zip(_KEY_FIELDS, key, strict=True))


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


class TaskRunner:
    """Runs one assigned task (the `assign.task` object) and reports `started`, `output` batches
    and one `result` (without `seq`) through `emit`.

    The constructor raises ValueError when the task object is malformed.
    """

    def __init__(self, task: Mapping[str, Any], config: RenderConfig, emit: Emit) -> None:
        self.key = task_key(task)
        self._fields = key_fields(self.key)
        self._command = _field(task, "command", str)
        self._working_directory = _field(task, "working_directory", str, optional=True)
        environment = _field(task, "environment", dict, optional=True) or {}
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in environment.items()):
            raise ValueError("environment must map strings to strings")
        self._environment = dict(environment)
        if config.path_map is not None:  # the job's paths as this host mounts them
            path_map = config.path_map
            self._command = path_map.in_text(self._command, "to_client")
            if self._working_directory is not None:
                self._working_directory = path_map.to_client(self._working_directory)
            self._environment = {
                name: path_map.in_text(value, "to_client")
                for name, value in self._environment.items()
            }
        self._frames = {
            "CORRAL_FRAME_START": _field(task, "frame_start", int, optional=True),
            "CORRAL_FRAME_END": _field(task, "frame_end", int, optional=True),
        }
        frame_start = self._frames["CORRAL_FRAME_START"] or 0
        frame_end = self._frames["CORRAL_FRAME_END"]
        frames_inc = _field(task, "frames_inc", int, optional=True) or 1
        parser_name = _field(task, "parser", str, optional=True) or ""
        self._parser = get_parser(parser_name)(
            frame_start, frame_start if frame_end is None else frame_end, frames_inc
        )
        self._progress_due = False  # the parser's percent or frame changed and was not sent yet
        self._progress_sent = -_PROGRESS_EVERY  # time.monotonic() of the last progress message
        self._progress_timer: asyncio.TimerHandle | None = None
        self._config = config
        self._emit = emit
        self._capture = OutputCapture(config.output_limit)
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
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
        try:
            cwd = self._working_directory
            if cwd is None or not os.path.isdir(cwd):
                cwd = tmp_dir = tempfile.mkdtemp(prefix="corral-task-", dir=self._config.tmp_dir)
            self._proc = await spawn(self._command, cwd, self._env(), self._on_output)
        except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the command or env
            error = f"failed to start: {exc}"
        else:
            await self._supervise(self._proc)
            error = "stopped" if self._stopped else None
        finally:
            if tmp_dir is not None:
                await asyncio.to_thread(shutil.rmtree, tmp_dir, ignore_errors=True)
        self._report(time_start, error)

    async def _supervise(self, proc: TaskProcess) -> None:
        """Wait for the main process, kill what it left behind, collect the rest of the output."""
        self._usage = TaskUsage(proc.pid, proc.tag)
        try:
            self._emit({"type": "started", **self._fields, "pid": proc.pid})
            if self._stopped:
                self._kill_tree()
            self._usage.start()
            await proc.wait()
            self._usage.stop()
            self._time_done = time.time()
            if self._kill is None:  # exited on its own: let the last output arrive first, so
                await proc.drain(_EOF_WAIT)  # that kill_tree sees an empty tree without a scan
            await asyncio.shield(self._kill_tree())  # the stop in progress, or the leftovers
            await proc.drain(_DRAIN_TIMEOUT)
        finally:
            self._usage.stop()
            proc.close()

    def _kill_tree(self) -> asyncio.Task[None]:
        if self._kill is None:
            assert self._proc is not None
            self._kill = asyncio.create_task(kill_tree(self._proc, self._config.stop_grace))
        return self._kill

    def _env(self) -> dict[str, str]:
        env = {**os.environ, **self._environment}
        job, block, task, run = self.key
        env.update(
            CORRAL_JOB_ID=str(job),
            CORRAL_BLOCK=str(block),
            CORRAL_TASK=str(task),
            CORRAL_RUN=str(run),
        )
        env.update({name: str(value) for name, value in self._frames.items() if value is not None})
        return env

    def _on_output(self, data: bytes) -> None:
        self._capture.add(data)
        self._pending.append(data)
        self._pending_size += len(data)
        if self._pending_size >= _BATCH_BYTES:
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
        if self._parser.progress_changed():
            self._progress_due = True
        if self._progress_due:
            self._send_progress(final)

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

    def _report(self, time_start: float, error: str | None) -> None:
        self._flush(final=True)
        returncode = self._proc.returncode if self._proc is not None else None
        killed_by = -returncode if returncode is not None and returncode < 0 else None
        time_done = self._time_done or time.time()
        usage = self._usage or TaskUsage(0)  # never started: nothing used
        self._emit(
            {
                "type": "result",
                **self._fields,
                "exit_code": returncode if killed_by is None else None,
                "signal": killed_by,
                "error": error,
                "time_start": time_start,
                "time_done": time_done,
                "output": self._capture.text(),
                **usage.report(time_done - time_start),
            }
        )


def _field(task: Mapping[str, Any], name: str, kind: type, optional: bool = False) -> Any:
    value = task.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ValueError(f"task.{name} must be {'null or ' if optional else ''}{kind.__name__}")
    return value
