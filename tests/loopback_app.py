"""An aiohttp application served on loopback in a thread of its own, for stand-in servers.

Blocking clients (app/api.py) and asynchronous ones (the monitor's FarmClient) can both call
it. A subclass builds its application in ``application()``; ``with Server() as server:`` serves
it on a free port at ``server.url`` until the block ends.
"""

from __future__ import annotations

import asyncio
import ssl
import threading

from aiohttp import WSMsgType, web


class LoopbackApp:
    """Serve ``self.application()`` on 127.0.0.1 (https with ``ssl_context``)."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self.url = ""
        self._ssl = ssl_context
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None

    def application(self) -> web.Application:
        raise NotImplementedError

    def __enter__(self):
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    def __exit__(self, *exc_info) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _start(self) -> None:
        self._runner = web.AppRunner(self.application(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self._ssl)
        await site.start()
        scheme = "https" if self._ssl else "http"
        self.url = f"{scheme}://127.0.0.1:{self._runner.addresses[0][1]}"


async def hold_socket(request: web.Request) -> web.WebSocketResponse:
    """A WebSocket route that accepts and keeps the connection until the client closes it."""
    socket = web.WebSocketResponse()
    await socket.prepare(request)
    async for message in socket:
        if message.type == WSMsgType.ERROR:
            break
    return socket
