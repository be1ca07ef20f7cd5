"""Validation of what renders send: every field checked before the farm sees it."""

from __future__ import annotations

import math

MAX_NAME = 255
MAX_OUTPUT = 16 * 1024 * 1024
MAX_RUNS_LISTED = 10_000
INT_LIMIT = 2**53


class ProtocolError(ValueError):
    """A render message that does not follow docs/protocol.md."""


def _int(msg: dict, key: str, lo: int = 0, hi: int = INT_LIMIT, optional: bool = False):
    value = msg.get(key)
    if value is None and optional:
        return None
    if type(value) is not int or not lo <= value <= hi:
        raise ProtocolError(f"{key}: expected an integer {lo}..{hi}")
    return value


def _number(msg: dict, key: str) -> float:
    value = msg.get(key)
    if type(value) not in (int, float) or not math.isfinite(value):
        raise ProtocolError(f"{key}: expected a number")
    return float(value)


def _text(msg: dict, key: str, limit: int, optional: bool = False) -> str | None:
    value = msg.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise ProtocolError(f"{key}: expected text of at most {limit} characters")
    return value


def run_key(msg: dict) -> tuple[int, int, int, int]:
    if not isinstance(msg, dict):
        raise ProtocolError("task key: expected an object")
    return (_int(msg, "job", 1), _int(msg, "block"), _int(msg, "task"), _int(msg, "run", 1))


def _run_list(msg: dict, key: str) -> list[dict]:
    items = msg.get(key, [])
    if not isinstance(items, list) or len(items) > MAX_RUNS_LISTED:
        raise ProtocolError(f"{key}: expected a list of at most {MAX_RUNS_LISTED} task keys")
    return [dict(zip(("job", "block", "task", "run"), run_key(i), strict=True)) for i in items]


def register(msg: dict) -> dict:
    name = _text(msg, "name", MAX_NAME)
    if not name or not name.isprintable() or name != name.strip():
        raise ProtocolError("name: expected a printable name without surrounding spaces")
    host = msg.get("host", {})
    if not isinstance(host, dict) or len(str(host)) > 10_000:
        raise ProtocolError("host: expected a small object")
    return {
        "name": name,
        "max_tasks": _int(msg, "max_tasks", 1, 1000, optional=True),  # None: the pool's
        "capacity": _int(msg, "capacity", 1, 10**9, optional=True),
        "host": host,
        "running": _run_list(msg, "running"),
        "finished": _run_list(msg, "finished"),
    }


def result(msg: dict) -> dict:
    return {
        "seq": _int(msg, "seq"),
        "key": run_key(msg),
        "exit_code": _int(msg, "exit_code", -(2**31), 2**32, optional=True),
        "signal": _int(msg, "signal", 0, 1024, optional=True),
        "error": _text(msg, "error", 10_000, optional=True),
        "time_start": _number(msg, "time_start"),
        "time_done": _number(msg, "time_done"),
        "output": _text(msg, "output", MAX_OUTPUT, optional=True) or "",
    }


def output(msg: dict) -> tuple[tuple[int, int, int, int], str]:
    return run_key(msg), _text(msg, "data", MAX_OUTPUT)


def progress(msg: dict) -> tuple[tuple[int, int, int, int], int, int | None]:
    """A running task's progress: percent 0..100 and the frame offset within the task."""
    return run_key(msg), _int(msg, "percent", 0, 100), _int(msg, "frame", 0, INT_LIMIT, True)
