"""The monitor's connection to the server: REST calls and live events, on the qasync loop.

`FarmClient` is a QObject: REST calls are coroutines (`await client.jobs()`), and the live events
of `/api/v1/events` (docs/protocol.md) arrive as Qt signals, so views connect to them like to any
widget signal. The event socket reconnects by itself (backoff 0.5 s doubling to 10 s); `state`
tells views whether they are looking at live data. `call()` runs a coroutine in the background
and reports its failure through `failed`, for buttons and menus that fire and forget.

Every request and the event socket carry ``Authorization: Bearer TOKEN``; an https server is
verified against ``ca_file`` (else the system's authorities). A refused token (401) is reported
with how to give one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from PyQt6.QtCore import QObject, pyqtSignal

log = logging.getLogger(__name__)

BACKOFF_MIN = 0.5
BACKOFF_MAX = 10.0
TOKEN_HINT = "set your token in Settings, or start with --token or CORRAL_TOKEN"


class FarmError(Exception):
    """A refused request: the server's error text (and HTTP status)."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class FarmClient(QObject):
    """REST + events for one server (`base_url` like "http://127.0.0.1:51000")."""

    state_changed = pyqtSignal(str)  # "connecting", "online", "offline"
    failed = pyqtSignal(str)  # a background call failed: the text to show
    jobs_changed = pyqtSignal(object)  # job summaries (with blocks), new or changed
    jobs_deleted = pyqtSignal(object)  # job ids
    renders_changed = pyqtSignal(object)  # render summaries, with "resources" figures for bars
    renders_deleted = pyqtSignal(object)  # render ids
    users_changed = pyqtSignal(object)  # user summaries
    pools_changed = pyqtSignal()  # refetch the pools tree
    tasks_changed = pyqtSignal(int, int, object)  # job, block, task summaries of a watched block
    tasks_reload = pyqtSignal(int, int)  # job, block: too much changed, refetch what is shown
    output_received = pyqtSignal(int, int, int, int, str)  # job, block, task, run, text

    def __init__(
        self, base_url: str, user: str = "", token: str = "", ca_file: str | None = None
    ) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.user = user
        self.ca_file = ca_file
        self.set_token(token)
        self.state = "offline"
        self._session: aiohttp.ClientSession | None = None
        self._events: asyncio.Task | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._watched_blocks: set[tuple[int, int]] = set()
        self._watched_runs: set[tuple[int, int, int, int]] = set()
        self._background: set[asyncio.Task] = set()

    # -- life --------------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the HTTP session and the event socket (reconnecting in the background)."""
        if self._session is None:
            verify = ssl.create_default_context(cafile=self.ca_file) if self.ca_file else True
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=verify))
        if self._events is None:
            self._events = asyncio.ensure_future(self._event_loop())

    async def close(self) -> None:
        """Stop the events, the background calls and the session (call before the loop ends)."""
        tasks = [t for t in (self._events, *self._background) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._events = None
        if self._ws is not None:
            await self._ws.close()
        if self._session is not None:
            await self._session.close()
            self._session = None
        self._set_state("offline")

    def set_token(self, token: str) -> None:
        """Use ``token`` from the next request (and the next event socket) on."""
        self.token = token
        self._auth = {"Authorization": f"Bearer {token}"} if token else {}

    def call(self, coroutine: Awaitable[Any], done: Callable[[Any], None] | None = None) -> None:
        """Run a call in the background; `done(result)` on success, `failed` on an error."""

        async def run() -> None:
            try:
                result = await coroutine
            except asyncio.CancelledError:
                raise
            except (FarmError, aiohttp.ClientError, OSError, TimeoutError) as error:
                self.failed.emit(str(error) or type(error).__name__)
                return
            if done is not None:
                done(result)

        task = asyncio.ensure_future(run())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # -- REST ----------------------------------------------------------------------------------

    async def request(
        self, method: str, path: str, body: Any = None, query: dict | None = None
    ) -> Any:
        """One REST call under /api/v1: the decoded JSON answer (text for text, bytes for
        images)."""
        if self._session is None:
            raise FarmError("not connected")
        url = f"{self.base_url}/api/v1{path}"
        timeout = aiohttp.ClientTimeout(total=30)
        async with self._session.request(
            method, url, json=body, params=query, headers=self._auth, timeout=timeout
        ) as answer:
            if answer.content_type == "application/json":
                data = await answer.json()
            elif answer.content_type.startswith("text/"):
                data = await answer.text()
            else:
                data = await answer.read()
            if answer.status >= 400:
                message = data.get("error") if isinstance(data, dict) else str(data)
                message = message or f"HTTP {answer.status}"
                if answer.status == 401:
                    message = f"{message}: {TOKEN_HINT}"
                raise FarmError(message, answer.status)
            return data

    async def jobs(self) -> list[dict]:
        return await self.request("GET", "/jobs")

    async def job(self, job_id: int) -> dict:
        return await self.request("GET", f"/jobs/{job_id}")

    async def job_spec(self, job_id: int) -> dict:
        """The job's full definition (every editable key, blocks included)."""
        return await self.request("GET", f"/jobs/{job_id}/spec")

    async def submit(self, job: dict) -> int:
        return (await self.request("POST", "/jobs", job))["id"]

    async def jobs_action(self, action: str, ids: list[int]) -> dict:
        """pause, start, stop, restart, restart-errors, delete, ... on several jobs."""
        return await self.request("POST", "/jobs/actions", {"action": action, "ids": ids})

    async def move_job(self, job_id: int, to: str) -> dict:
        """Move a job in its user's order: up, down, top or bottom."""
        return await self.request("POST", f"/jobs/{job_id}/move", {"to": to})

    async def edit_job(self, job_id: int, params: dict, block: int | None = None) -> dict:
        path = f"/jobs/{job_id}" + ("" if block is None else f"/blocks/{block}")
        return await self.request("PATCH", path, params)

    async def explain(self, job_id: int) -> dict:
        return await self.request("GET", f"/jobs/{job_id}/explain")

    async def tasks(
        self,
        job: int,
        block: int,
        offset: int,
        limit: int,
        states: tuple[str, ...] = (),
        text: str = "",
    ) -> dict:
        """A page of a block's tasks; with states, of its tasks in them, state by state; with
        text, of those whose name or render holds it."""
        query: dict = {"offset": offset, "limit": limit}
        if states:
            query["state"] = ",".join(states)
        if text:
            query["text"] = text
        return await self.request("GET", f"/jobs/{job}/blocks/{block}/tasks", query=query)

    async def task(self, job: int, block: int, task: int) -> dict:
        return await self.request("GET", f"/jobs/{job}/blocks/{block}/tasks/{task}")

    async def task_action(self, job: int, block: int, action: str, tasks: list[int] | None) -> dict:
        """A task action on these task numbers, or on every task (None: no "tasks" key)."""
        path = f"/jobs/{job}/blocks/{block}/tasks/{action}"
        return await self.request("POST", path, {} if tasks is None else {"tasks": tasks})

    async def task_output(self, job: int, block: int, task: int, run: int) -> str:
        path = f"/jobs/{job}/blocks/{block}/tasks/{task}/runs/{run}/output"
        return await self.request("GET", path)

    async def thumbnail(self, job: int, block: int, task: int, run: int) -> bytes:
        """The JPEG of a run's last output image."""
        return await self.request(
            "GET", f"/jobs/{job}/blocks/{block}/tasks/{task}/runs/{run}/thumbnail"
        )

    async def renders(self) -> list[dict]:
        return await self.request("GET", "/renders")

    async def render_resources(self, name: str, since: float | None = None) -> list[dict]:
        query = None if since is None else {"since": since}
        answer = await self.request("GET", f"/renders/{name}/resources", query=query)
        return answer["samples"] if isinstance(answer, dict) else answer

    async def renders_action(self, action: str, names: list[str]) -> dict:
        return await self.request("POST", "/renders/actions", {"action": action, "names": names})

    async def edit_render(self, name: str, params: dict) -> dict:
        return await self.request("PATCH", f"/renders/{name}", params)

    async def whoami(self) -> dict:
        """Whom the token belongs to: {"name", "role"}."""
        return await self.request("GET", "/whoami")

    async def users(self) -> list[dict]:
        return await self.request("GET", "/users")

    async def edit_user(self, name: str, params: dict) -> dict:
        return await self.request("PATCH", f"/users/{name}", params)

    async def pools(self) -> dict:
        return await self.request("GET", "/pools")

    async def edit_pool(self, path: str, params: dict) -> dict:
        return await self.request("PATCH", "/pools", params, query={"path": path})

    async def add_pool(self, path: str) -> dict:
        """Add a pool (its parent must exist) that inherits every setting; answers the tree."""
        return await self.request("POST", "/pools", {"path": path})

    async def delete_pool(self, path: str) -> dict:
        """Remove a pool without child pools; answers the tree."""
        return await self.request("DELETE", "/pools", query={"path": path})

    # -- events --------------------------------------------------------------------------------

    def watch_block(self, job: int, block: int, on: bool = True) -> None:
        """Receive `tasks_changed` for this block (while on)."""
        key = (job, block)
        (self._watched_blocks.add if on else self._watched_blocks.discard)(key)
        kind = "watch_block" if on else "unwatch_block"
        self._send_event({"type": kind, "job": job, "block": block})

    def watch_output(self, job: int, block: int, task: int, run: int, on: bool = True) -> None:
        """Receive the live output of a running run as `output_received` (while on); the
        first message holds what the server has so far."""
        key = (job, block, task, run)
        (self._watched_runs.add if on else self._watched_runs.discard)(key)
        kind = "watch_output" if on else "unwatch_output"
        self._send_event({"type": kind, "job": job, "block": block, "task": task, "run": run})

    def _send_event(self, message: dict) -> None:
        if self._ws is not None and not self._ws.closed:
            task = asyncio.ensure_future(self._ws.send_str(json.dumps(message)))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def _event_loop(self) -> None:
        backoff = BACKOFF_MIN
        refused = False  # the last attempt was refused: reported once, not at every retry
        while True:
            self._set_state("connecting")
            try:
                assert self._session is not None
                async with self._session.ws_connect(
                    f"{self.base_url}/api/v1/events",
                    headers=self._auth,
                    heartbeat=20,
                    max_msg_size=0,
                ) as ws:
                    self._ws = ws
                    self._set_state("online")
                    backoff, refused = BACKOFF_MIN, False
                    for job, block in self._watched_blocks:
                        await ws.send_str(
                            json.dumps({"type": "watch_block", "job": job, "block": block})
                        )
                    for job, block, task, run in self._watched_runs:
                        await ws.send_str(
                            json.dumps(
                                {
                                    "type": "watch_output",
                                    "job": job,
                                    "block": block,
                                    "task": task,
                                    "run": run,
                                }
                            )
                        )
                    async for frame in ws:
                        if frame.type == aiohttp.WSMsgType.TEXT:
                            self._dispatch(frame.data)
                        elif frame.type in (aiohttp.WSMsgType.ERROR, aiohttp.WSMsgType.CLOSE):
                            break
            except aiohttp.WSServerHandshakeError as error:
                log.info("events: %s", error)
                if error.status in (401, 403) and not refused:
                    self.failed.emit(f"live updates refused (HTTP {error.status}): {TOKEN_HINT}")
                refused = error.status in (401, 403)
            except (aiohttp.ClientError, OSError, TimeoutError) as error:
                log.info("events: %s", error)
            finally:
                self._ws = None
            self._set_state("offline")
            await asyncio.sleep(backoff)
            backoff = min(BACKOFF_MAX, backoff * 2)

    def _dispatch(self, text: str) -> None:
        with contextlib.suppress(ValueError):
            message = json.loads(text)
            kind = message.get("type") if isinstance(message, dict) else None
            if kind == "jobs":
                self.jobs_changed.emit(message["jobs"])
            elif kind == "jobs_deleted":
                self.jobs_deleted.emit(message["ids"])
            elif kind == "renders":
                self.renders_changed.emit(message["renders"])
            elif kind == "renders_deleted":
                self.renders_deleted.emit(message["ids"])
            elif kind == "users":
                self.users_changed.emit(message["users"])
            elif kind == "pools":
                self.pools_changed.emit()
            elif kind == "tasks" and message.get("reload"):
                self.tasks_reload.emit(message["job"], message["block"])
            elif kind == "tasks":
                self.tasks_changed.emit(message["job"], message["block"], message["tasks"])
            elif kind == "output":
                self.output_received.emit(
                    message["job"],
                    message["block"],
                    message["task"],
                    message["run"],
                    message["data"],
                )

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)
