"""Checks shared by the readers of JSON documents (jobs, pools): the bounded decoder, field
paths, type names."""

from __future__ import annotations

import json
import re

from app.core.errors import SpecError
from app.protocol import type_name

_CONTROL_CLASS = r"\x00-\x08\x0a-\x1f\x7f"  # control characters except tab
_CONTROL = re.compile(f"[{_CONTROL_CLASS}]")
NAME_PATTERN = f"^[^{_CONTROL_CLASS}]*$"  # check_text's rule for a name, as a JSON schema pattern
_SURROGATE = re.compile(r"[\ud800-\udfff]")

MAX_DEPTH = 100  # levels of nesting in a document from the network


def decode(text: str) -> object:
    """``json.loads`` of a document from the network, nested at most MAX_DEPTH levels deep;
    ValueError (a json.JSONDecodeError for bad syntax) when it is not such a document."""
    try:
        value = json.loads(text)
    except RecursionError:
        value = None  # deeper than the interpreter's limit, so deeper than MAX_DEPTH
    else:
        # nesting needs one bracket per level: a document with few (every render message)
        # costs two counts, and only a bigger one is walked
        if text.count("[") + text.count("{") <= MAX_DEPTH or _within_depth(value):
            return value
    raise ValueError(f"nested more than {MAX_DEPTH} levels deep")


def _within_depth(value: object) -> bool:
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            item = item.values()
        elif not isinstance(item, list):
            continue
        if depth > MAX_DEPTH:
            return False
        pending.extend((child, depth + 1) for child in item)
    return True


def join_path(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def key_path(path: str, key: str) -> str:
    """Path of a free-form mapping key, e.g. environment["PATH"]; long keys are shortened."""
    shown = key if len(key) <= 60 else key[:57] + "..."
    return f'{path}["{shown}"]'


def json_integer(value: object) -> int | None:
    """The value as an int when JSON Schema calls it an integer (3, or 3.0), else None (booleans,
    fractions, other types)."""
    if type(value) is int:
        return value
    if type(value) is float and value.is_integer():
        return int(value)
    return None


def check_object(value: object, path: str) -> dict:
    if not isinstance(value, dict):
        raise SpecError(path, f"must be an object, not {type_name(value)}")
    return value


def check_text(value: object, path: str, max_len: int, *, name: bool = False) -> str:
    """A string of at most max_len characters, valid UTF-8, no NUL (names: no control chars)."""
    if not isinstance(value, str):
        raise SpecError(path, f"must be a string, not {type_name(value)}")
    if len(value) > max_len:
        raise SpecError(path, f"must be at most {max_len} characters (got {len(value)})")
    if _SURROGATE.search(value):
        raise SpecError(path, "must be valid UTF-8 text")
    if name and _CONTROL.search(value):
        raise SpecError(path, "must not contain control characters")
    if "\0" in value:
        raise SpecError(path, "must not contain NUL characters")
    return value
