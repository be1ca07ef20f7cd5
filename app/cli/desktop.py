"""``corral up`` on a desktop: the server, the local render, the monitor window and the tray in
one process, on one qasync loop (app/ui/app.py:run_qt).

The server starts first (app/cli/up.py:start_server); the window and the tray (whose controller
runs the render) come once it answers. The farm ends when the window or the tray asks to quit,
on SIGINT/SIGTERM, or when the server or the render stops by itself: the render stops first,
then the server, as in the headless ``corral up``. Only ``corral up`` imports this module (it
loads PyQt6: without it, ``corral up`` runs headless).
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from app.cli import up
from app.credentials import ADMIN_TOKEN_FILE
from app.server.auth import read_secret
from app.server.config import ServerConfig
from app.ui.app import farm_client, run_qt  # PyQt6: an ImportError here means no window
from app.ui.desktop import Desktop


async def run_desktop_farm(
    server_config: ServerConfig, render_config: Any, stop: asyncio.Event
) -> int:
    """The desktop farm until ``stop`` is set or the window or tray quits; the exit code."""
    server = await up.start_server(server_config)
    url = up.local_url(server_config)
    client, _ = farm_client(url, token=read_secret(server_config.data_dir / ADMIN_TOKEN_FILE))
    desktop = None
    try:
        await client.start()
        desktop = Desktop(client, render_config)
        desktop.quit_requested.connect(stop.set)
        desktop.start()
        print(up.banner(url, render_config.name, server_config.data_dir), flush=True)
        waiting = asyncio.ensure_future(stop.wait())
        await asyncio.wait({server, waiting}, return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
        if server.done():
            server.result()  # raises the error that ended it
            raise RuntimeError("the server stopped by itself")
    finally:
        if desktop is not None:
            await desktop.stop()
        await client.close()
        await up.stop_task(server, "server")
    if desktop.tray.failure:
        print(f"corral: the render stopped: {desktop.tray.failure}", file=sys.stderr)
        return 1
    return 0


def run_desktop(server_config: ServerConfig, render_config: Any) -> int:
    """`corral up` with its window: run_desktop_farm in the QApplication until it ends."""
    try:
        return run_qt(lambda stop: run_desktop_farm(server_config, render_config, stop))
    except Exception as exc:  # the server could not start or failed: said without a traceback
        print(f"corral: the farm failed: {exc}", file=sys.stderr)
        return 1
