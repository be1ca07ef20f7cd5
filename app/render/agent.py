"""The render's connection to the server (docs/protocol.md, render WebSocket): register, heartbeat,
run assigned tasks, deliver results until acknowledged, reconnect with backoff."""

from __future__ import annotations

import asyncio
import getpass
import json
import logging
import os
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import psutil

from app import RENDER_PROTOCOL, __version__
from app.parsers import load_parsers
from app.platform import host_os_string
from app.protocol import ACKS, NAME_TAKEN, STOPPED, RunKey, key_fields, run_key
from app.render.config import RenderConfig
from app.render.idle import idle_seconds
from app.render.join_secrets import claim_identity, read_token, save_secret
from app.render.resources import ResourceSampler
from app.render.runner import TaskRunner
from app.render.task_dirs import TaskDirs
from app.render.wake_on_lan import mac_addresses, run_sleep_command, send_magic_packets
from app.services import load_services

log = logging.getLogger("corral.render")

_REGISTER_TIMEOUT = 30.0  # seconds to wait for `registered` after `register`
_CLOSE_TIMEOUT = 2.0  # seconds to wait for the server to answer our close frame
_DRAIN_REFUSAL_DELAY = 1.0  # seconds before answering "stopped" to an assign while draining
_RETURN_TIMEOUT = 5.0  # on_exit "return": seconds to wait for the stopped tasks' acknowledgements

Message = dict[str, Any]


class _Refused(Exception):
    """The server did not accept the registration."""


class NameTaken(ConnectionRefusedError):
    """The server refused this render's name: another connected render holds it. Retrying
    cannot help; the render stops (`corral render` exits with the server's explanation)."""


class _ExitOrdered(Exception):
    """The server told this render to exit."""


class RenderAgent:
    """One render client: keeps a WebSocket to the server and runs the tasks it assigns."""

    def __init__(self, config: RenderConfig) -> None:
        self.config = config
        self._runners: dict[RunKey, TaskRunner] = {}  # running tasks, until their result
        self._results: dict[int, Message] = {}  # seq → result not yet acknowledged, in seq order
        self._seq = 0
        self._outbox: asyncio.Queue[Message] | None = None  # None while not registered
        self._heartbeat_period = config.heartbeat_period
        self._max_tasks = config.max_tasks or 1  # the server's answer to register decides
        self._backoff = config.backoff_min
        self._registered_once = False  # the start flags (config.start_state) go in the first only
        self._idle_since = time.monotonic()  # exit_no_task counts from here
        self._draining = False  # shutting down: new assigns are answered "stopped"
        self._refusing: set[RunKey] = set()  # assigns to answer "stopped" shortly
        self._ws: aiohttp.ClientWebSocketResponse | None = None  # while registered
        self._token = read_token(config.token_file)  # its own token once the server gave one
        self._identity = claim_identity(config.token_file)  # this render, not another of its name
        self._sampler = ResourceSampler(config.tmp_dir, plugins_dir=config.plugins_dir)
        self._task_dirs = TaskDirs(config.tmp_dir)
        # Corral's parsers and services, and the studio's own: found now rather than when the
        # first task arrives (importing them all takes a tenth of a second)
        load_parsers(config.plugins_dir)
        load_services(config.plugins_dir)
        self._handlers: dict[str, Callable[[Message], None]] = {
            "assign": self._on_assign,
            "stop": self._on_stop,
            "ack": self._on_ack,
            "error": self._on_error,
            "exit": self._on_exit,
            "wake": self._on_wake,
            "sleep": self._on_sleep,
        }

    async def run(self) -> None:
        """Serve the server until told to exit, idle too long (exit_no_task) or cancelled; on
        cancellation finish, return or kill the running tasks (config.on_exit), then close.
        An OSError when its tmp_dir cannot be created, before it connects."""
        self._task_dirs.make_parent()
        try:
            connector = aiohttp.TCPConnector(ssl=self.config.verify)  # https: against ca_file
            async with aiohttp.ClientSession(connector=connector) as session:
                serving = asyncio.ensure_future(self._serve(session))
                try:
                    await asyncio.shield(serving)
                except asyncio.CancelledError:
                    if serving.done() or self.config.on_exit == "kill":
                        raise
                    await self._shut_down(serving)
                    raise
                finally:
                    serving.cancel()
                    await asyncio.gather(serving, return_exceptions=True)
        finally:
            await self._stop_all()
            self._task_dirs.close()

    async def _serve(self, session: aiohttp.ClientSession) -> None:
        """The connection loop, until the server orders an exit or the render idles too long."""
        loop = asyncio.ensure_future(self._connect_loop(session))
        if self.config.exit_no_task is None:
            await loop
            return
        watch = asyncio.ensure_future(self._watch_idle(self.config.exit_no_task))
        try:
            await asyncio.wait([loop, watch], return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (loop, watch):
                task.cancel()
            await asyncio.gather(loop, watch, return_exceptions=True)

    async def _connect_loop(self, session: aiohttp.ClientSession) -> None:
        server = _address(self.config.ws_url)
        while True:
            try:
                await self._connection(session)
                reason = "the server closed the connection"
            except NameTaken:
                raise
            except (aiohttp.ClientError, OSError, _Refused) as exc:
                reason = str(exc) or type(exc).__name__
            except _ExitOrdered:
                log.info("%s: the server ordered this render to exit", server)
                return
            delay = self._backoff
            self._backoff = min(delay * 2, self.config.backoff_max)
            # Warn on the first failure after a registration, then only at debug level; a
            # draining render closes the socket itself to register again.
            first = delay == self.config.backoff_min and not self._draining
            level = logging.WARNING if first else logging.DEBUG
            log.log(level, "%s: %s; retrying in %.1f s", server, reason, delay)
            await asyncio.sleep(delay)

    async def _watch_idle(self, limit: float) -> None:
        """Returns once this render has had no task (and no unacknowledged result) for limit s."""
        while True:
            if self._runners or self._results:
                self._idle_since = time.monotonic()
            idle = time.monotonic() - self._idle_since
            if idle >= limit:
                log.info("no task for %.1f s: exiting (exit_no_task)", idle)
                return
            await asyncio.sleep(min(0.2, limit - idle))

    async def _shut_down(self, serving: asyncio.Future) -> None:
        """SIGTERM/SIGINT with on_exit finish or return: the connection stays up meanwhile.
        finish: take no new task, let the running ones end and their results be acknowledged.
        return: stop the running tasks, their results (error "stopped") put them back to ready
        on the server; wait at most _RETURN_TIMEOUT s for the acknowledgements."""
        mode = self.config.on_exit
        self._draining = True
        log.info("stopping (%s): %d tasks running", mode, len(self._runners))
        ws = self._ws
        if ws is not None:  # register again, draining: the server assigns nothing more
            await ws.close()
        timeout = None
        if mode == "return":
            timeout = _RETURN_TIMEOUT
            for runner in list(self._runners.values()):
                runner.stop()
        deadline = None if timeout is None else time.monotonic() + timeout
        while (self._runners or self._results or self._refusing) and not serving.done():
            if deadline is not None and time.monotonic() >= deadline:
                log.warning("%d results not acknowledged: exiting anyway", len(self._results))
                break
            await asyncio.sleep(0.05)

    async def _connection(self, session: aiohttp.ClientSession) -> None:
        """One connection: register, then exchange messages until the socket closes."""
        timeout = aiohttp.ClientWSTimeout(ws_close=_CLOSE_TIMEOUT)
        url = self.config.ws_url
        credential = self._token or self.config.farm_secret
        headers = {"Authorization": f"Bearer {credential}"} if credential else None
        try:
            ws = await session.ws_connect(
                url, heartbeat=self.config.heartbeat_period, timeout=timeout, headers=headers
            )
        except aiohttp.WSServerHandshakeError as exc:
            if exc.status == 401 and self._token is not None and self.config.farm_secret:
                log.warning("the server refused this render's token: joining with the farm secret")
                self._token = None
            raise
        async with ws:
            await ws.send_json(self._register_message())
            answer = await ws.receive(timeout=_REGISTER_TIMEOUT)
            registered = _decode(answer.data) if answer.type == aiohttp.WSMsgType.TEXT else None
            if registered is None or registered.get("type") != "registered":
                detail = registered.get("error") if registered is not None else None
                if registered is not None and registered.get("code") == NAME_TAKEN:
                    raise NameTaken(detail)
                raise _Refused(f"registration refused: {detail or answer.type.name}")
            self._on_registered(registered)
            self._ws = ws
            outbox: asyncio.Queue[Message] = asyncio.Queue()
            for result in self._results.values():
                outbox.put_nowait(result)
            self._outbox = outbox
            workers = [
                asyncio.create_task(self._send(ws, outbox)),
                asyncio.create_task(self._beat(outbox)),
            ]
            try:
                async for msg in ws:
                    if msg.type == aiohttp.WSMsgType.TEXT:
                        self._dispatch(msg.data)
                    elif msg.type == aiohttp.WSMsgType.ERROR:
                        raise ConnectionError(f"socket error: {ws.exception()}")
                    else:
                        log.warning("ignored a %s message from the server", msg.type.name)
            finally:
                self._outbox = None
                self._ws = None
                for worker in workers:
                    worker.cancel()
                await asyncio.gather(*workers, return_exceptions=True)  # gone before we return

    def _register_message(self) -> Message:
        message: Message = {
            "type": "register",
            "protocol": RENDER_PROTOCOL,
            "name": self.config.name,
            "identity": self._identity,
            "max_tasks": self.config.max_tasks,
            "capacity": self.config.capacity,
            "host": _host_info(),
            "running": [key_fields(key) for key in self._runners],
            "finished": [key_fields(run_key(result)) for result in self._results.values()],
        }
        if self._draining:
            message["draining"] = True  # the server assigns no new task
        if not self._registered_once and self.config.start_state:
            message["state"] = self.config.start_state
        return message

    def _on_registered(self, message: Message) -> None:
        period = message.get("heartbeat_period")
        if isinstance(period, int | float) and not isinstance(period, bool) and period > 0:
            self._heartbeat_period = float(period)
        max_tasks = message.get("max_tasks")
        if isinstance(max_tasks, int) and not isinstance(max_tasks, bool) and max_tasks > 0:
            self._max_tasks = max_tasks
        stop = message.get("stop")
        for item in stop if isinstance(stop, list) else []:
            try:
                runner = self._runners.get(run_key(item))
            except ValueError as exc:
                log.warning("ignored a bad entry in registered.stop: %s", exc)
                continue
            if runner is not None:
                log.info("stopping task %s: the server no longer wants it", runner.key)
                runner.stop()
        token = message.get("render_token")
        if isinstance(token, str) and token:
            self._keep_token(token)
        self._backoff = self.config.backoff_min
        self._registered_once = True
        log.info(
            "registered on %s as render %s (%d tasks running, %d results to resend)",
            _address(self.config.ws_url),
            message.get("render_id"),
            len(self._runners),
            len(self._results),
        )

    def _keep_token(self, token: str) -> None:
        """The render token the server issued at this render's first join: join with it now."""
        self._token = token
        path = self.config.token_file
        if path is None:
            return
        try:
            save_secret(path, token)
        except OSError as exc:
            log.error("cannot keep the render token in %s (%s): kept in memory only", path, exc)
            return
        log.info("the server gave this render its own token: kept in %s", path)

    async def _send(
        self, ws: aiohttp.ClientWebSocketResponse, outbox: asyncio.Queue[Message]
    ) -> None:
        """The only writer of the socket, so that messages never interleave."""
        while True:
            message = await outbox.get()
            try:
                await ws.send_str(json.dumps(message))
            except (aiohttp.ClientError, ConnectionError) as exc:
                log.debug("send failed: %s", exc)
                await ws.close()
                return

    async def _beat(self, outbox: asyncio.Queue[Message]) -> None:
        while True:
            await asyncio.sleep(self._heartbeat_period)
            beat: Message = {"type": "heartbeat"}
            try:
                beat["resources"] = self._sampler.sample()
                idle = await asyncio.to_thread(idle_seconds)
                if idle is not None:
                    beat["resources"]["idle_seconds"] = idle
            except Exception:  # a heartbeat goes out whatever the sampler thinks
                log.exception("cannot sample this host's resources")
            outbox.put_nowait(beat)

    def _emit(self, message: Message) -> None:
        """Runners' outgoing messages: results are kept until acknowledged, the rest is sent only
        while connected."""
        if message["type"] == "result":
            key = run_key(message)
            self._runners.pop(key, None)
            self._seq += 1
            message["seq"] = self._seq
            self._results[self._seq] = message
            log.debug(
                "task %s done: exit %s, signal %s, error %s",
                key,
                message["exit_code"],
                message["signal"],
                message["error"],
            )
        if self._outbox is not None:
            self._outbox.put_nowait(message)

    def _dispatch(self, data: str) -> None:
        message = _decode(data)
        if message is None:
            return
        kind = message.get("type")
        if ACKS in message:  # any message may carry acknowledgements
            try:
                self._forget_results(message[ACKS])
            except ValueError as exc:  # the message itself still counts
                log.warning("ignored malformed acknowledgements from the server: %s", exc)
        handler = self._handlers.get(kind) if isinstance(kind, str) else None
        if handler is None:
            log.warning("ignored a server message of unknown type %r", kind)
            return
        try:
            handler(message)
        except ValueError as exc:
            log.warning("ignored a malformed %s message from the server: %s", kind, exc)

    def _on_assign(self, message: Message) -> None:
        task = message.get("task")
        key = run_key(task)
        if key in self._runners:
            log.warning("ignored a second assign of running task %s", key)
            return
        if self._draining:  # the refusal puts it back to ready on the server, no error counted
            # Answered late: the server offers a free slot again at once, so this throttles that.
            self._refusing.add(key)
            asyncio.get_running_loop().call_later(_DRAIN_REFUSAL_DELAY, self._refuse_stopped, key)
            return
        if len(self._runners) >= self._max_tasks:
            self._emit(_refusal(key, "render full"))
            return
        try:
            runner = TaskRunner(task, self.config, self._emit, self._task_dirs)
        except ValueError as exc:
            self._emit(_refusal(key, f"failed to start: {exc}"))
            return
        self._runners[key] = runner
        runner.start()

    def _refuse_stopped(self, key: RunKey) -> None:
        if key not in self._refusing:
            return  # already answered
        self._refusing.discard(key)
        self._emit(_refusal(key, STOPPED))

    def _on_stop(self, message: Message) -> None:
        runner = self._runners.get(run_key(message))
        if runner is not None:
            runner.stop()

    def _on_ack(self, message: Message) -> None:
        """Its `acks` were read by _dispatch; an older server acknowledges one `seq` per message."""
        if "seq" in message:
            self._forget_results([message["seq"]])

    def _forget_results(self, acks: Any) -> None:
        """The results with these seqs are committed on the server."""
        if not isinstance(acks, list) or not all(type(seq) is int for seq in acks):
            raise ValueError("acks must be a list of integers")
        for seq in acks:
            self._results.pop(seq, None)

    def _on_exit(self, message: Message) -> None:
        raise _ExitOrdered

    def _on_wake(self, message: Message) -> None:
        macs = message.get("macs")
        if isinstance(macs, list) and all(isinstance(mac, str) for mac in macs):
            sent = send_magic_packets(macs, self.config.wol_target)
            log.info("sent %d wake-on-lan packets to %s", sent, self.config.wol_target)

    def _on_sleep(self, message: Message) -> None:
        if run_sleep_command(self.config.sleep_command):
            raise _ExitOrdered

    def _on_error(self, message: Message) -> None:
        log.warning("the server rejected a message: %s", message.get("error"))

    async def _stop_all(self) -> None:
        runners = list(self._runners.values())
        if runners:
            log.info("stopping %d running tasks", len(runners))
        for runner in runners:
            runner.stop()
        await asyncio.gather(*(runner.wait() for runner in runners))


async def run_render(config: RenderConfig) -> None:
    """Run a render agent until cancelled (the caller handles signals)."""
    await RenderAgent(config).run()


def _decode(data: str) -> Message | None:
    """A JSON object, or None (logged) when the text is not one."""
    try:
        message = json.loads(data)
    except ValueError as exc:
        log.warning("ignored a server message that is not JSON: %s", exc)
        return None
    if not isinstance(message, dict):
        log.warning("ignored a server message that is not a JSON object")
        return None
    return message


def _refusal(key: RunKey, error: str) -> Message:
    """The result of a task that was never started."""
    now = time.time()
    return {
        "type": "result",
        **key_fields(key),
        "exit_code": None,
        "signal": None,
        "error": error,
        "time_start": now,
        "time_done": now,
        "output": "",
    }


def _host_info() -> dict[str, Any]:
    return {
        "os": host_os_string(),
        "user": getpass.getuser(),
        "macs": mac_addresses(),
        "cpu_count": os.cpu_count() or 1,
        "mem_total_mb": psutil.virtual_memory().total // 2**20,
        "version": __version__,
        "time": time.time(),  # the server compares it with its own clock (corral doctor)
    }


def _address(url: str) -> str:
    """host:port of a URL, without any user name or password in it."""
    return urlsplit(url).netloc.rpartition("@")[2]
