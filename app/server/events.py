"""Live events for monitors: `GET /api/v1/events` (a WebSocket), see docs/protocol.md.

The farm tells the hub what changed (ids only: a set insert per change, nothing else while no
monitor listens). Every PUSH_PERIOD the hub sends each monitor the summaries of what changed
since the last push, so a burst of thousands of task changes costs one message per job, not one
per change. Renders change with every heartbeat; they are pushed at most every RENDER_PERIOD.
A monitor may also watch a few blocks (their changed tasks) and runs (their live output).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import defaultdict
from typing import TYPE_CHECKING

from aiohttp import WSCloseCode, WSMsgType, web

from app.core.jobs import task_summary
from app.core.json_checks import decode
from app.server.auth import OWNER, Identity, Verdict, decide
from app.server.auth.bearer import SOCKET_PROTOCOL
from app.server.auth.guard import IDENTITY
from app.server.errors import FarmError
from app.server.traffic import Traffic

if TYPE_CHECKING:
    from app.server.farm import Farm

log = logging.getLogger("corral.events")

PUSH_PERIOD = 0.25  # seconds between pushes of jobs, users, tasks and output
RENDER_PERIOD = 2.0  # seconds between pushes of renders
MAX_WATCHED = 16  # blocks and runs one monitor may watch
MAX_TASKS_PUSHED = 2000  # changed tasks of a block in one push; more: "reload"
MAX_QUEUED = 256  # messages waiting for a slow monitor before it is dropped
REQUESTS = ("watch_block", "unwatch_block", "watch_output", "unwatch_output")  # from monitors
RESOURCE_KEYS = (
    "cpu_user",
    "cpu_nice",
    "cpu_system",
    "cpu_iowait",
    "cpu_idle",
    "cpu_count",
    "mem_total_mb",
    "mem_used_mb",
    "mem_free_mb",
    "swap_total_mb",
    "swap_used_mb",
    "hdd_total_gb",
    "hdd_free_gb",
    "hdd_busy",
    "net_recv_kbsec",
    "net_send_kbsec",
)


class Monitor:
    """One connected monitor: whose it is, what it watches and its outgoing queue."""

    def __init__(self, ws: web.WebSocketResponse, identity: Identity, traffic: Traffic) -> None:
        self.ws = ws
        self.traffic = traffic
        self.identity = identity
        self.blocks: set[tuple[int, int]] = set()
        self.runs: set[tuple[int, int, int, int]] = set()
        self.queue: asyncio.Queue[str] = asyncio.Queue(MAX_QUEUED)

    def send(self, message: dict) -> bool:
        """Queue a message; False when the monitor is too slow (it will be dropped)."""
        return self.send_text(_encode(message), message["type"])

    def send_text(self, text: str, kind: str) -> bool:
        """Queue a message of this type, encoded (once for every monitor it goes to); as send."""
        try:
            self.queue.put_nowait(text)
        except asyncio.QueueFull:
            return False
        self.traffic.message_out("monitor", kind)
        return True


class EventHub:
    """Collects changes from the farm and pushes them to monitors."""

    def __init__(self, farm: Farm) -> None:
        self.farm = farm
        self.monitors: set[Monitor] = set()
        self._jobs: set[int] = set()
        self._renders: set[int] = set()
        self._users: set[str] = set()
        self._pools = False
        self._tasks: dict[tuple[int, int], set[int]] = defaultdict(set)
        self._watched_blocks: dict[tuple[int, int], int] = {}  # block -> monitors watching
        self._watched_runs: dict[tuple[int, int, int, int], int] = {}
        self._output: dict[tuple[int, int, int, int], list[str]] = defaultdict(list)
        self._render_due = 0.0
        self._pusher: asyncio.Task | None = None

    # -- what the farm reports ----------------------------------------------------------------

    def job_changed(self, job_id: int) -> None:
        if self.monitors:
            self._jobs.add(job_id)

    def render_changed(self, render_id: int) -> None:
        if self.monitors:
            self._renders.add(render_id)

    def user_changed(self, name: str) -> None:
        if self.monitors:
            self._users.add(name)

    def pools_changed(self) -> None:
        self._pools = bool(self.monitors)

    def tasks_changed(self, job_id: int, block: int, numbers: list[int]) -> None:
        if not self.monitors:
            return
        self._jobs.add(job_id)
        if (job_id, block) in self._watched_blocks:
            changed = self._tasks[(job_id, block)]
            if len(changed) <= MAX_TASKS_PUSHED:
                changed.update(numbers)

    def output(self, key: tuple[int, int, int, int], data: str) -> None:
        if key in self._watched_runs:
            self._output[key].append(data)

    # -- monitors ------------------------------------------------------------------------------

    async def serve(self, request: web.Request) -> web.WebSocketResponse:
        """The /api/v1/events WebSocket of one monitor."""
        ws = web.WebSocketResponse(
            heartbeat=30, max_msg_size=64 * 1024, protocols=(SOCKET_PROTOCOL,)
        )
        await ws.prepare(request)
        monitor = Monitor(ws, request[IDENTITY], self.farm.traffic)
        self.monitors.add(monitor)
        self._ensure_pusher()
        writer = asyncio.ensure_future(self._write(monitor))
        monitor.send({"type": "hello", "time": time.time()})
        try:
            async for frame in ws:
                if frame.type == WSMsgType.ERROR:
                    break
                if frame.type != WSMsgType.TEXT:
                    monitor.send({"type": "error", "error": "expected JSON text messages"})
                    continue
                error = self._request(monitor, frame.data)
                if error:
                    monitor.send({"type": "error", "error": error})
        finally:
            self._forget(monitor)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
        return ws

    def _request(self, monitor: Monitor, text: str) -> str | None:
        """A monitor's watch/unwatch message; the error text when it is malformed."""
        try:
            message = decode(text)
        except ValueError as error:
            return f"expected JSON: {error}"
        if not isinstance(message, dict):
            return "expected a JSON object"
        kind = message.get("type")
        self.farm.traffic.message_in("monitor", kind, REQUESTS)
        names = (
            ("job", "block")
            if kind in ("watch_block", "unwatch_block")
            else ("job", "block", "task", "run")
        )
        if kind not in REQUESTS:
            return f"unknown message type {kind!r}"
        values = tuple(message.get(name) for name in names)
        if not all(type(v) is int and 0 <= v < 2**31 for v in values):
            return f"{kind}: {', '.join(names)} must be integers"
        if kind == "watch_output" and not self._may_read_output(monitor, values[0]):
            return f"watch_output: the output of job {values[0]} is its owner's"
        mine = monitor.blocks if len(values) == 2 else monitor.runs
        counts = self._watched_blocks if len(values) == 2 else self._watched_runs
        if kind.startswith("watch"):
            if values in mine:
                return None
            if len(mine) >= MAX_WATCHED:
                return f"{kind}: at most {MAX_WATCHED} at once"
            mine.add(values)  # type: ignore[arg-type]
            counts[values] = counts.get(values, 0) + 1  # type: ignore[index]
            if len(values) == 4:
                text = self.farm.live.get(values)  # type: ignore[arg-type]
                if text:
                    monitor.send({"type": "output", **_key(values), "data": text})
        elif values in mine:
            mine.discard(values)  # type: ignore[arg-type]
            _release(counts, values)
        return None

    def _may_read_output(self, monitor: Monitor, job_id: int) -> bool:
        """Task output is for the job's owner and admins (as its REST route)."""
        job = self.farm.jobs.get(job_id)
        owner = job.user_name if job is not None else None
        return decide(OWNER, monitor.identity, owner) is Verdict.ALLOW

    async def close(self) -> None:
        """The server stops: close every monitor's socket (its monitor connects again)."""
        await asyncio.gather(
            *(monitor.ws.close(code=WSCloseCode.GOING_AWAY) for monitor in list(self.monitors))
        )

    def _forget(self, monitor: Monitor) -> None:
        self.monitors.discard(monitor)
        for block in monitor.blocks:
            _release(self._watched_blocks, block)
        for run in monitor.runs:
            _release(self._watched_runs, run)

    async def _write(self, monitor: Monitor) -> None:
        while True:
            text = await monitor.queue.get()
            try:
                await monitor.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                return

    # -- pushing -------------------------------------------------------------------------------

    def _ensure_pusher(self) -> None:
        if self._pusher is None or self._pusher.done():
            self._pusher = asyncio.ensure_future(self._push_forever())

    async def _push_forever(self) -> None:
        while self.monitors:
            await asyncio.sleep(PUSH_PERIOD)
            try:
                self.push()
            except Exception:  # a bug here must not stop the pushes
                log.exception("events push failed")
        self._clear()

    def push(self) -> None:
        """Send every monitor what changed since the last push."""
        messages = [(message, _encode(message)) for message in self._messages()]
        for monitor in list(self.monitors):
            mine = [(text, message["type"]) for message, text in messages if _for(monitor, message)]
            if not all(monitor.send_text(text, kind) for text, kind in mine):
                log.warning("monitor too slow: dropping its connection")
                self._forget(monitor)
                asyncio.ensure_future(monitor.ws.close())

    def _messages(self) -> list[dict]:
        farm = self.farm
        messages: list[dict] = []
        if self._jobs:
            jobs = [farm.jobs.get(job_id) for job_id in self._jobs]
            present = [farm.job_summary(job) for job in jobs if job is not None]
            gone = [job_id for job_id in self._jobs if job_id not in farm.jobs]
            if present:
                messages.append({"type": "jobs", "jobs": present})
            if gone:
                messages.append({"type": "jobs_deleted", "ids": gone})
            self._jobs.clear()
        if self._users:
            users = [farm.user_summary(farm.users[n]) for n in self._users if n in farm.users]
            messages.append({"type": "users", "users": users})
            self._users.clear()
        if self._pools:
            messages.append({"type": "pools"})
            self._pools = False
        if self._renders and time.monotonic() >= self._render_due:
            self._render_due = time.monotonic() + RENDER_PERIOD
            names = farm.render_names  # id -> name of every render the farm knows
            renders = [render_event(farm.renders[names[i]]) for i in self._renders if i in names]
            gone = [i for i in self._renders if i not in names]
            if renders:
                messages.append({"type": "renders", "renders": renders})
            if gone:
                messages.append({"type": "renders_deleted", "ids": gone})
            self._renders.clear()
        for (job_id, block_num), numbers in self._tasks.items():
            messages.append(self._tasks_message(job_id, block_num, numbers))
        self._tasks.clear()
        for key, chunks in self._output.items():
            messages.append({"type": "output", **_key(key), "data": "".join(chunks)})
        self._output.clear()
        return messages

    def _tasks_message(self, job_id: int, block_num: int, numbers: set[int]) -> dict:
        head = {"type": "tasks", "job": job_id, "block": block_num}
        try:
            block = self.farm.block(job_id, block_num)
        except FarmError:
            return {**head, "reload": True}  # deleted meanwhile
        if len(numbers) > MAX_TASKS_PUSHED:
            return {**head, "reload": True}
        names = self.farm.render_names
        tasks = [
            task_summary(block, n, names.get(block.tasks.detail(n)[2], ""))
            for n in sorted(numbers)
            if n < block.tasks.size
        ]
        return {**head, "tasks": tasks}

    def _clear(self) -> None:
        self._jobs.clear()
        self._renders.clear()
        self._users.clear()
        self._tasks.clear()
        self._output.clear()
        self._pools = False


def render_event(render) -> dict:
    """A render's summary with the resource figures a monitor draws as bars."""
    resources = render.resources or {}
    return {**render.summary(), "resources": {k: resources.get(k) for k in RESOURCE_KEYS}}


def _encode(message: dict) -> str:
    return json.dumps(message, separators=(",", ":"))


def _for(monitor: Monitor, message: dict) -> bool:
    kind = message["type"]
    if kind == "tasks":
        return (message["job"], message["block"]) in monitor.blocks
    if kind == "output":
        key = (message["job"], message["block"], message["task"], message["run"])
        return key in monitor.runs
    return True


def _key(key: tuple) -> dict:
    return dict(zip(("job", "block", "task", "run"), key, strict=True))


def _release(counts: dict, key: tuple) -> None:
    left = counts.get(key, 0) - 1
    if left > 0:
        counts[key] = left
    else:
        counts.pop(key, None)
