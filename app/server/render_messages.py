"""Validation of what renders send: every field checked before the farm sees it."""

from __future__ import annotations

import base64
import binascii
import json
import math

from app import RENDER_PROTOCOL, __version__, protocol
from app.protocol import KEY_FIELDS, NIMBY_STATES, RunKey

MAX_NAME = 255
MAX_OUTPUT = 16 * 1024 * 1024
MAX_RUNS_LISTED = 10_000
INT_LIMIT = 2**53
MAX_RSS_MB = 2**40  # a task's peak memory (a petabyte and then some)
MAX_CPU_SECONDS = 10**9  # a task's CPU time (decades on a thousand cores)
MAX_CPU_PERCENT = 10**7  # a task's CPU time over its wall time, % of one CPU
MAX_RESOURCES = 16 * 1024  # bytes of a heartbeat's resources, as compact JSON
MAX_FILES = 1000  # output files named in a result
MAX_PATH = 4096
MAX_THUMBNAIL_B64 = 90_000  # a 64 KB JPEG in base64
NESTED_RESOURCES = ("gpu", "custom")  # keys whose value may be an object of plain values
_KEY_LOWEST = (1, 0, 0, 1)  # a run key's lowest job, block, task and run numbers
RULE_RESOURCES = (
    "mem_free_mb",
    "hdd_free_gb",
    "gpu_mem_free_mb",
    "cpu_mhz",
)  # need_* rules read them


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


def _usage(msg: dict, key: str, hi: float) -> float | None:
    """An optional resource figure: null, or a finite number 0..hi."""
    value = msg.get(key)
    if value is None:
        return None
    if type(value) not in (int, float) or not 0 <= value <= hi:  # NaN fails the comparison
        raise ProtocolError(f"{key}: expected null or a number 0..{hi}")
    return float(value)


def _text(msg: dict, key: str, limit: int, optional: bool = False) -> str | None:
    value = msg.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise ProtocolError(f"{key}: expected text of at most {limit} characters")
    return value


def run_key(msg: dict) -> RunKey:
    """The message's run key (app/protocol.py), each number within its range."""
    try:
        key = protocol.run_key(msg)
    except ValueError as error:
        raise ProtocolError(str(error)) from None
    job, block, task, run = key
    job_low, block_low, task_low, run_low = _KEY_LOWEST
    if not (
        job_low <= job <= INT_LIMIT
        and block_low <= block <= INT_LIMIT
        and task_low <= task <= INT_LIMIT
        and run_low <= run <= INT_LIMIT
    ):
        fields = zip(KEY_FIELDS, key, _KEY_LOWEST, strict=True)
        name, lowest = next((f, low) for f, value, low in fields if not low <= value <= INT_LIMIT)
        raise ProtocolError(f"{name}: expected an integer {lowest}..{INT_LIMIT}")
    return key


def _run_list(msg: dict, key: str) -> list[RunKey]:
    items = msg.get(key, [])
    if not isinstance(items, list) or len(items) > MAX_RUNS_LISTED:
        raise ProtocolError(f"{key}: expected a list of at most {MAX_RUNS_LISTED} run keys")
    return [run_key(item) for item in items]


def register(msg: dict) -> dict:
    host = msg.get("host", {})
    if not isinstance(host, dict) or len(str(host)) > 10_000:
        raise ProtocolError("host: expected a small object")
    protocol = msg.get("protocol", 1)  # renders before version 2 sent none
    if protocol != RENDER_PROTOCOL:
        raise ProtocolError(
            f"render protocol {str(protocol)[:20]} "
            f"(Corral {str(host.get('version'))[:20]}), "
            f"server protocol {RENDER_PROTOCOL} (Corral {__version__}): "
            "run the same Corral version on renders and server"
        )
    name = _text(msg, "name", MAX_NAME)
    if not name or not name.isprintable() or name != name.strip():
        raise ProtocolError("name: expected a printable name without surrounding spaces")
    identity = msg.get("identity", "")  # renders before it sent none
    if not isinstance(identity, str) or len(identity) > 64 or not identity.isprintable():
        raise ProtocolError("identity: expected a short printable text")
    return {
        "name": name,
        "identity": identity,
        "max_tasks": _int(msg, "max_tasks", 1, 1000, optional=True),  # None: the pool's
        "capacity": _int(msg, "capacity", 1, 10**9, optional=True),
        "host": host,
        "running": _run_list(msg, "running"),
        "finished": _run_list(msg, "finished"),
        "state": _start_state(msg),
        "draining": _flag(msg, "draining"),
    }


def _start_state(msg: dict) -> dict:
    """A render's start flags (`corral render --nimby|--NIMBY|--paused`): nimby and/or paused,
    each optional; {} when the render sent none."""
    state = msg.get("state")
    if state is None:
        return {}
    if not isinstance(state, dict) or set(state) - {"nimby", "paused"}:
        raise ProtocolError("state: expected an object with only nimby and paused")
    out: dict = {}
    if state.get("nimby") is not None:
        if state["nimby"] not in NIMBY_STATES:
            raise ProtocolError(f"state.nimby: expected one of {', '.join(NIMBY_STATES)}")
        out["nimby"] = state["nimby"]
    if state.get("paused") is not None:
        if type(state["paused"]) is not bool:
            raise ProtocolError("state.paused: expected true or false")
        out["paused"] = state["paused"]
    return out


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
        "peak_rss_mb": _usage(msg, "peak_rss_mb", MAX_RSS_MB),
        "cpu_seconds": _usage(msg, "cpu_seconds", MAX_CPU_SECONDS),
        "cpu_avg_percent": _usage(msg, "cpu_avg_percent", MAX_CPU_PERCENT),
        "fatal": _flag(msg, "fatal"),
        "success": _flag(msg, "success"),
        "skipped": _text(msg, "skipped", 1000, optional=True),
        "warnings": _int(msg, "warnings", optional=True) or 0,
        "files": _paths(msg, "files"),
        "thumbnail": _thumbnail(msg),
    }


def _flag(msg: dict, key: str) -> bool:
    """An optional true/false (absent or null: false)."""
    value = msg.get(key)
    if value is not None and type(value) is not bool:
        raise ProtocolError(f"{key}: expected true or false")
    return bool(value)


def _paths(msg: dict, key: str) -> list[str]:
    value = msg.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_FILES:
        raise ProtocolError(f"{key}: expected a list of at most {MAX_FILES} paths")
    if not all(isinstance(path, str) and 0 < len(path) <= MAX_PATH for path in value):
        raise ProtocolError(f"{key}: expected paths of 1 to {MAX_PATH} characters")
    return value


def _thumbnail(msg: dict) -> bytes | None:
    """The result's JPEG thumbnail (base64 on the wire), or None."""
    text = _text(msg, "thumbnail", MAX_THUMBNAIL_B64, optional=True)
    if text is None:
        return None
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ProtocolError("thumbnail: expected base64 text") from None
    if not data.startswith(b"\xff\xd8"):
        raise ProtocolError("thumbnail: expected a JPEG image")
    return data


def output(msg: dict) -> tuple[RunKey, str]:
    return run_key(msg), _text(msg, "data", MAX_OUTPUT)


def progress(msg: dict) -> tuple[RunKey, int, int | None]:
    """A running task's progress: percent 0..100 and the frame offset within the task."""
    return run_key(msg), _int(msg, "percent", 0, 100), _int(msg, "frame", 0, INT_LIMIT, True)


def heartbeat(msg: dict, text_size: int | None = None) -> dict | None:
    """A heartbeat's resources (None when it has none): an object of at most MAX_RESOURCES bytes
    whose values are finite numbers, text, null or lists of text; "gpu" and "custom" may also be
    objects of such values. The keys the scheduler compares must be numbers (or null).

    text_size: the length of the message as received, which bounds the resources' size without
    encoding them again (the costliest step at thousands of heartbeats a second)."""
    resources = msg.get("resources")
    if resources is None:
        return None
    if not isinstance(resources, dict) or len(resources) > MAX_RESOURCES // 4:
        raise ProtocolError("resources: expected a small object")
    for key, value in resources.items():
        if key in NESTED_RESOURCES and isinstance(value, dict):
            if len(value) > MAX_RESOURCES // 4:
                raise ProtocolError(f"resources.{key}: expected a small object")
            for inner, item in value.items():
                if not _plain(item):
                    raise _not_plain(f"resources.{key}.{inner[:64]}")
        elif not _plain(value):
            raise _not_plain(f"resources.{key[:64]}")
    for key in RULE_RESOURCES:
        if resources.get(key) is not None and type(resources[key]) not in (int, float):
            raise ProtocolError(f"resources.{key}: expected a number")
    if text_size is not None and text_size <= MAX_RESOURCES:
        return resources
    size = len(json.dumps(resources, separators=(",", ":"), ensure_ascii=False).encode())
    if size > MAX_RESOURCES:
        raise ProtocolError(f"resources: {size} bytes, more than {MAX_RESOURCES}")
    return resources


def _plain(value) -> bool:
    """A resource value: a finite number, text, null or a list of texts (checked thousands of
    times a second: the key's path is only made for an error)."""
    kind = type(value)
    return (
        value is None
        or kind is str
        or (kind is int and abs(value) <= INT_LIMIT)
        or (kind is float and math.isfinite(value))
        or (kind is list and len(value) <= MAX_RESOURCES and all(type(v) is str for v in value))
    )


def _not_plain(where: str) -> ProtocolError:
    return ProtocolError(f"{where}: expected a finite number, text, null or a list of texts")
