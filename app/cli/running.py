"""How a long-running mode runs: logging, SIGINT/SIGTERM, and its exit code."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any


def setup_logging(level: str) -> None:
    import logging

    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def add_json_log(path: Path) -> Any:
    """Also log to path, one JSON object a line: time (epoch), level, logger, message (and
    exception, when there is one). Returns the handler."""
    import json
    import logging

    class JsonLines(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            line = {
                "time": record.created,
                "level": record.levelname,
                "logger": record.name,
                "message": record.getMessage(),
            }
            if record.exc_info:
                line["exception"] = self.formatException(record.exc_info)
            return json.dumps(line, ensure_ascii=False)

    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(JsonLines())
    logging.getLogger().addHandler(handler)
    return handler


def run_service(make_coro: Callable[[], Coroutine[Any, Any, Any]], what: str) -> int:
    """Run a long-lived coroutine until it ends or SIGINT/SIGTERM cancels it.

    The first signal cancels the coroutine, which cleans up (stops tasks, closes sockets) and
    ends; a second signal while it is cleaning up exits at once. Returns the exit code.
    """
    import asyncio
    import signal

    async def runner() -> bool:
        loop = asyncio.get_running_loop()
        task = asyncio.ensure_future(make_coro())
        stopping = []

        def on_signal(signame: str) -> None:
            if stopping:
                print(f"corral: {signame} again: exiting without cleanup", file=sys.stderr)
                sys.stderr.flush()
                os._exit(130)
            stopping.append(signame)
            print(f"corral: {signame}: stopping the {what}...", file=sys.stderr)
            task.cancel()

        installed = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, on_signal, sig.name)
                installed.append(sig)
            except (NotImplementedError, RuntimeError, ValueError):
                pass  # Windows, or not the main thread: KeyboardInterrupt still works
        try:
            await task
        except asyncio.CancelledError:
            if not (stopping and task.cancelled()):
                raise
        finally:
            for sig in installed:
                loop.remove_signal_handler(sig)
        return bool(stopping)

    try:
        stopped = asyncio.run(runner())
    except KeyboardInterrupt:
        stopped = True
    except OSError as exc:  # typically: the port is in use
        print(f"corral: the {what} failed: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        import traceback

        traceback.print_exc()
        print(f"corral: the {what} failed: {exc}", file=sys.stderr)
        return 1
    if stopped:
        print(f"corral: the {what} stopped", file=sys.stderr)
    return 0


def import_failed(what: str, exc: ImportError) -> int:
    print(f"corral: the {what} is not available: {exc}", file=sys.stderr)
    return 1
