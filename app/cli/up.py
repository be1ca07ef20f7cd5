"""``corral up``: a whole farm on this machine, a server and one render in one event loop.

The server starts first; the render starts once the server answers ``/api/v1/health``. The same
user's commands find the admin token in the server's data folder by themselves when that folder
is the default one (app/credentials.py); the banner says how otherwise. On cancellation (Ctrl-C)
the render stops first and kills its tasks, then the server stops; those tasks are ready again
when the farm next starts. This module loads the server and the render: only ``corral up``
imports it (app/cli/modes.py), when it runs.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shlex
import socket
import sys
import urllib.request
from pathlib import Path
from typing import Any, TextIO

from app.api import DEFAULT_SERVER
from app.credentials import ADMIN_TOKEN_FILE, TOKEN_ENV, default_data_dir
from app.render.agent import run_render
from app.server.auth import SecretFileError, read_secret
from app.server.config import ServerConfig
from app.server.main import serve

log = logging.getLogger(__name__)


def local_host(config: ServerConfig) -> str:
    """The address a client on this machine reaches the server at."""
    return "127.0.0.1" if config.host in ("", "0.0.0.0", "::") else config.host


def local_url(config: ServerConfig) -> str:
    """The URL a client on this machine uses to reach the server."""
    host = local_host(config)
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{config.port}"


def port_taken(config: ServerConfig) -> tuple[str, bool] | None:
    """Why this farm cannot start on its port, and whether what runs there is this data
    folder's own farm; None when nothing listens there. The why names another Corral farm
    (this data folder's or another's, and its version) or another program."""
    url = local_url(config)
    try:
        socket.create_connection((local_host(config), config.port), timeout=2).close()
    except OSError:
        return None
    fix = f"stop it first, or start this one with --port N (not {config.port})"
    try:
        version = _get(url, "/api/v1/health")["version"]
    except (OSError, ValueError, KeyError, TypeError):
        return f"port {config.port} is taken by another program: {fix}", False
    try:
        _get(url, "/api/v1/whoami", read_secret(config.data_dir / ADMIN_TOKEN_FILE))
        whose, ours = f"this data folder's, {config.data_dir}", True
    except (OSError, ValueError, SecretFileError):
        whose, ours = "another data folder's", False
    why = f"another Corral farm ({whose}; Corral {version}) is already running at {url}: {fix}"
    return why, ours


def _get(url: str, path: str, token: str | None = None) -> dict:
    """A loopback GET's JSON answer (OSError, ValueError on failure)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(urllib.request.Request(url + path, headers=headers), timeout=5) as answer:
        return json.load(answer)


async def wait_until_ready(url: str, server: asyncio.Task, timeout: float = 30.0) -> None:
    """Poll ``GET /api/v1/health`` until it answers; fail if the server task ends first."""
    import aiohttp

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
        while True:
            if server.done():
                server.result()  # raises the server's error
                raise RuntimeError("the server stopped before it was ready")
            try:
                async with session.get(f"{url}/api/v1/health") as answer:
                    if answer.status == 200:
                        return
            except (TimeoutError, aiohttp.ClientError, OSError):
                pass
            if loop.time() > deadline:
                raise RuntimeError(f"the server did not answer at {url} within {timeout:g} s")
            await asyncio.wait({server}, timeout=0.1)


def banner(url: str, render_name: str, data_dir: Path) -> str:
    lines = [f"Corral is up at {url} (server and render {render_name!r})."]
    if url != DEFAULT_SERVER:  # the commands' default server is another
        lines.append(f"  for the commands below:  export CORRAL_SERVER={url}")
    if data_dir != default_data_dir():  # where the commands find the admin token by themselves
        token_file = shlex.quote(str(data_dir / ADMIN_TOKEN_FILE))
        lines.append(f'  for the commands below:  export {TOKEN_ENV}="$(cat {token_file})"')
    lines += [
        "  submit a job:  corral submit --frames 1-10 -- echo frame @#@",
        "  watch it:      corral jobs",
        "  stop:          Ctrl-C",
    ]
    return "\n".join(lines)


async def stop_task(task: asyncio.Task | None, what: str) -> None:
    """Cancel a task and wait for it to finish its cleanup; log a failure, never raise one."""
    if task is None or task.done():
        return  # never started, or already ended (its error, if any, is raised elsewhere)
    task.cancel()
    await asyncio.wait({task})
    if not task.cancelled() and task.exception() is not None:
        log.error("the %s failed while stopping", what, exc_info=task.exception())


async def start_server(config: ServerConfig, ready_timeout: float = 30.0) -> asyncio.Task:
    """The server running on this loop once it answers (stopped again if it never does)."""
    server = asyncio.ensure_future(serve(config))
    try:
        await wait_until_ready(local_url(config), server, ready_timeout)
    except BaseException:
        await stop_task(server, "server")
        raise
    return server


async def run_up(
    server_config: ServerConfig,
    render_config: Any,
    out: TextIO | None = None,
    ready_timeout: float = 30.0,
) -> None:
    """Run the server and a render until cancelled (or until one of them fails)."""
    out = out or sys.stdout
    server = await start_server(server_config, ready_timeout)
    render = None
    try:
        render = asyncio.ensure_future(run_render(render_config))
        url = local_url(server_config)
        print(banner(url, render_config.name, server_config.data_dir), file=out, flush=True)
        done, _ = await asyncio.wait({server, render}, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()  # raises the error that ended it
        what = "server" if server in done else "render"
        raise RuntimeError(f"the {what} stopped by itself")
    finally:
        await stop_task(render, "render")
        await stop_task(server, "server")
