"""Simulated renders: many real render WebSockets in one asyncio process, for load tests.

Each simulated render speaks the render protocol of docs/protocol.md over its own WebSocket to
/api/v1/render/ws: it registers, heartbeats, and answers every `assign` with a successful
`result` after `task_seconds` (no process is started). The farm records when assignments
arrive and results are acknowledged (time.perf_counter(), comparable with the caller's clock),
so a benchmark can compute task starts per second, submit→first-start latency and
finish→next-start latency on one render.

    sim = SimFarm("http://127.0.0.1:51000", 1000, farm_secret=secret)
    await sim.start()            # all 1,000 registered
    ...
    await sim.stop()

Renders join with the farm secret and keep the render token the server gives each, so a
SimFarm started again on the same server joins with those. A simulated render does not
reconnect: a dropped socket is counted in `disconnects`.
"""

from __future__ import annotations

import asyncio
import bisect
import json
import random
import resource
import time
from collections import deque
from collections.abc import Callable

import aiohttp

from app import RENDER_PROTOCOL, __version__

WS_PATH = "/api/v1/render/ws"
REGISTER_TIMEOUT = 60.0


def raise_open_file_limit() -> int:
    """Raise the soft limit on open files to the hard limit; return the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class SimRender:
    """One simulated render: registers, heartbeats, and finishes what it is assigned."""

    def __init__(self, farm: SimFarm, index: int) -> None:
        self.farm = farm
        self.name = f"sim{index:05d}"
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.render_id: int | None = None
        self.token: str | None = None  # its own, once the server gave it one
        self.seq = 0
        self.unacked: dict[int, float] = {}  # seq → perf_counter when the result was sent
        self.finished_at: deque[float] = deque()  # results sent, waiting for the next assign
        self.finish_to_next: list[float] = []  # seconds from a result to the next assign
        self.runs: dict[tuple, asyncio.Task] = {}  # key → the "running" task (task_seconds > 0)
        self._tasks: list[asyncio.Task] = []

    async def connect(self, session: aiohttp.ClientSession) -> None:
        """Open the socket, register, then serve it in the background."""
        credential = self.token or self.farm.farm_secret
        headers = {"Authorization": f"Bearer {credential}"} if credential else None
        url = self.farm.server_url + WS_PATH
        self.ws = await session.ws_connect(url, max_msg_size=0, headers=headers)
        await self.ws.send_str(json.dumps(self._register_message()))
        answer = await self.ws.receive(timeout=REGISTER_TIMEOUT)
        message = json.loads(answer.data) if answer.type == aiohttp.WSMsgType.TEXT else {}
        if message.get("type") != "registered":
            raise ConnectionError(f"{self.name}: registration refused: {answer.data!r}")
        self.render_id = message["render_id"]
        self.token = message.get("render_token") or self.token
        period = min(self.farm.heartbeat_period, message.get("heartbeat_period") or 1e9)
        self._tasks = [asyncio.create_task(self._read()), asyncio.create_task(self._beat(period))]

    async def close(self) -> None:
        for task in [*self._tasks, *self.runs.values()]:
            task.cancel()
        await asyncio.gather(*self._tasks, *self.runs.values(), return_exceptions=True)
        if self.ws is not None:
            await self.ws.close()

    def _register_message(self) -> dict:
        host = {"os": "linux 64", "cpu_count": 16, "mem_total_mb": 65536, "version": __version__}
        return {
            "type": "register",
            "protocol": RENDER_PROTOCOL,
            "name": self.name,
            "max_tasks": self.farm.max_tasks,
            "capacity": 1000,
            "host": host,
            "running": [],
            "finished": [],
        }

    async def _send(self, message: dict) -> None:
        await self.ws.send_str(json.dumps(message, separators=(",", ":")))

    async def _beat(self, period: float) -> None:
        message = {"type": "heartbeat"}
        if self.farm.resources is not None:
            message["resources"] = self.farm.resources
        await asyncio.sleep(random.uniform(0, period))  # renders do not beat in step
        while True:
            await self._send(message)
            await asyncio.sleep(period)

    async def _read(self) -> None:
        async for frame in self.ws:
            if frame.type != aiohttp.WSMsgType.TEXT:
                break
            message = json.loads(frame.data)
            kind = message.get("type")
            for seq in message.get("acks", ()):
                self._on_ack(seq)
            if kind == "assign":
                await self._on_assign(message["task"])
            elif kind == "stop":
                await self._on_stop(message)
            elif kind == "error":
                self.farm.errors.append(f"{self.name}: {message.get('error')}")
        self.farm.disconnects += 1  # the server closed the socket (not our own stop())

    async def _on_assign(self, task: dict) -> None:
        now = time.perf_counter()
        farm = self.farm
        farm.assign_times.append(now)
        farm.assign_jobs.append(task["job"])
        if self.finished_at:
            self.finish_to_next.append(now - self.finished_at.popleft())
        seconds = farm.task_seconds() if callable(farm.task_seconds) else farm.task_seconds
        if seconds <= 0:
            await self._result(task, time.time())
            return
        key = _key(task)
        self.runs[key] = asyncio.create_task(self._run(key, task, seconds))

    async def _run(self, key: tuple, task: dict, seconds: float) -> None:
        started = time.time()
        await asyncio.sleep(seconds)
        del self.runs[key]
        await self._result(task, started)

    async def _on_stop(self, message: dict) -> None:
        run = self.runs.pop(_key(message), None)
        if run is None:
            return  # already finished: its result is on the way
        run.cancel()
        self.farm.stops += 1
        await self._result(message, time.time(), exit_code=None, signal=15, error="stopped")

    async def _result(
        self,
        task: dict,
        started: float,
        exit_code: int | None = 0,
        signal: int | None = None,
        error: str | None = None,
    ) -> None:
        self.seq += 1
        message = {
            "type": "result",
            "seq": self.seq,
            "job": task["job"],
            "block": task["block"],
            "task": task["task"],
            "run": task["run"],
            "exit_code": exit_code,
            "signal": signal,
            "error": error,
            "time_start": started,
            "time_done": time.time(),
            "output": "",
        }
        now = time.perf_counter()
        self.unacked[self.seq] = now
        self.finished_at.append(now)
        self.farm.results += 1
        await self._send(message)

    def _on_ack(self, seq: int) -> None:
        sent = self.unacked.pop(seq, None)
        if sent is not None:
            self.farm.acked += 1
            self.farm.ack_latencies.append(time.perf_counter() - sent)


class SimFarm:
    """`count` simulated renders connected to one server."""

    def __init__(
        self,
        server_url: str,
        count: int,
        max_tasks: int = 1,
        task_seconds: Callable[[], float] | float = 0.0,
        heartbeat_period: float = 5.0,
        resources: dict | None = None,
        connections_per_session: int = 1000,
        connect_batch: int = 100,
        farm_secret: str | None = None,
    ) -> None:
        self.server_url = server_url.rstrip("/")
        self.farm_secret = farm_secret
        self.max_tasks = max_tasks
        self.task_seconds = task_seconds
        self.heartbeat_period = heartbeat_period  # the server's period wins when shorter
        self.resources = resources
        self.connections_per_session = connections_per_session
        self.connect_batch = connect_batch
        self.renders = [SimRender(self, i) for i in range(count)]
        self.sessions: list[aiohttp.ClientSession] = []
        self.disconnects = 0
        self.reset()

    def reset(self) -> None:
        """Forget every measurement so far (the connections stay); call it while idle."""
        self.assign_times: list[float] = []  # perf_counter of each assign, in arrival order
        self.assign_jobs: list[int] = []  # the job of each assign, parallel to assign_times
        self.ack_latencies: list[float] = []  # seconds from sending a result to its ack
        self.results = 0  # results sent
        self.acked = 0  # results acknowledged
        self.stops = 0  # runs stopped on the server's order
        self.errors: list[str] = []  # `error` messages from the server
        for render in self.renders:
            render.finished_at.clear()
            render.finish_to_next.clear()

    async def start(self) -> None:
        """Connect every render, in batches; return once all are registered."""
        raise_open_file_limit()
        for first in range(0, len(self.renders), self.connections_per_session):
            # limit=0: one session holds any number of open sockets
            connector = aiohttp.TCPConnector(limit=0)
            session = aiohttp.ClientSession(connector=connector)
            self.sessions.append(session)
            group = self.renders[first : first + self.connections_per_session]
            for start in range(0, len(group), self.connect_batch):
                batch = group[start : start + self.connect_batch]
                await asyncio.gather(*(render.connect(session) for render in batch))

    async def stop(self) -> None:
        """Close every socket and session."""
        await asyncio.gather(*(render.close() for render in self.renders), return_exceptions=True)
        await asyncio.gather(*(session.close() for session in self.sessions))
        self.sessions.clear()

    @property
    def finish_to_next(self) -> list[float]:
        """Seconds from a render sending a result to that render's next assign, all renders."""
        return [t for render in self.renders for t in render.finish_to_next]

    def first_assign_after(self, t0: float, job: int | None = None) -> float | None:
        """perf_counter of the first assign at or after t0 (of `job`, if given), else None."""
        for i in range(bisect.bisect_left(self.assign_times, t0), len(self.assign_times)):
            if job is None or self.assign_jobs[i] == job:
                return self.assign_times[i]
        return None

    async def wait(self, predicate: Callable[[], object], timeout: float = 60.0) -> None:
        """Poll predicate() every 5 ms until it is true; TimeoutError after timeout."""
        deadline = time.perf_counter() + timeout
        while not predicate():
            if time.perf_counter() > deadline:
                raise TimeoutError(f"condition not met within {timeout} s")
            await asyncio.sleep(0.005)


def _key(message: dict) -> tuple:
    return (message["job"], message["block"], message["task"], message["run"])
