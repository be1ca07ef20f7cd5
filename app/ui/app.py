"""Starting and ending a Qt mode (`corral monitor`, `corral tray`) on one qasync loop.

`run_qt(main)` owns the QApplication and the loop: an
`asyncio.Runner(loop_factory=QEventLoop)`, the last window closing does *not* quit Qt, and
SIGINT/SIGTERM set the `stop` event that `main(stop)` awaits. `main` then cleans up (closes its
client: websockets, background tasks, session) while the loop still runs, and returns the exit
code. Any mode with windows can use it:

    async def main(stop: asyncio.Event) -> int:
        window = SomeWindow()
        window.closed.connect(stop.set)
        window.show()
        await stop.wait()
        ...clean up...
        return 0

    sys.exit(run_qt(main))
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QApplication

if TYPE_CHECKING:
    from app.ui.client import FarmClient

FREEZE_EVERY_MS = 5000


def run_qt(main: Callable[[asyncio.Event], Awaitable[int | None]]) -> int:
    """Run main(stop) on a qasync loop in the QApplication; its result is the exit code."""
    import qasync

    app = QApplication.instance() or QApplication(sys.argv)
    app.setQuitOnLastWindowClosed(False)  # quitting Qt first would stop the loop mid-cleanup
    collector = quiet_collector()

    async def guarded() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows
                loop.add_signal_handler(sig, stop.set)
        return await main(stop) or 0

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        try:
            return runner.run(guarded())
        finally:
            collector.stop()


def quiet_collector(every_ms: int = FREEZE_EVERY_MS) -> QTimer:
    """Keep the garbage collector's full passes short: what has lived a few seconds (the
    imports' ~60,000 objects, the loaded jobs, the widgets) moves out of them now and every
    `every_ms`. A full pass over 5,000 jobs' summaries otherwise stops the UI for 35-55 ms now
    and then. The price: a reference cycle that survives the young collections and is then
    frozen is never freed; the monitor's data (JSON summaries) has no cycles and is freed by
    reference counting as usual. Returns the timer (keep it alive)."""
    gc.freeze()
    timer = QTimer(interval=every_ms)
    timer.timeout.connect(gc.freeze)
    timer.start()
    return timer


def run_monitor(
    server_url: str | None = None,
    user: str | None = None,
    token: str | None = None,
    ca_file: str | None = None,
) -> int:
    """The monitor window until it is closed (or SIGINT/SIGTERM); the saved settings fill in
    what is not given, app/credentials.py finds the token when ``token`` is None."""
    from app.ui.main_window import MainWindow
    from app.ui.settings import load_settings
    from app.ui.theme import apply_theme

    async def main(stop: asyncio.Event) -> int:
        settings = load_settings()
        settings.server = server_url or settings.server
        settings.user = user if user is not None else settings.user
        apply_theme(settings.theme)
        client, problem = farm_client(settings.server, settings.user, token, ca_file)
        await client.start()
        window = MainWindow(client, settings)
        window.closed.connect(stop.set)
        window.show()
        if problem:
            window.statusBar().showMessage(problem)
        try:
            await stop.wait()
        finally:
            window.hide()
            await client.close()
        return 0

    return run_qt(main)


def farm_client(
    server: str, user: str = "", token: str | None = None, ca_file: str | None = None
) -> tuple[FarmClient, str]:
    """The FarmClient of the monitor or tray with the token app/credentials.py finds for the
    server (``token`` first), and what went wrong looking for it ("" when nothing did)."""
    from app.credentials import CredentialsError, find_token
    from app.ui.client import FarmClient

    client = FarmClient(server, user, ca_file=ca_file)
    try:
        client.set_token(find_token(client.base_url, token) or "")
    except CredentialsError as exc:
        return client, str(exc)
    return client, ""
