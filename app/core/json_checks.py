"""Checks shared by the readers of JSON documents (jobs, pools): field paths, type names."""

from __future__ import annotations

import re

from app.core.errors import SpecError

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # control characters except tab
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def join_path(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def key_path(path: str, key: str) -> str:
    """Path of a free-form mapping key, e.g. environment["PATH"]; long keys are shortened."""
    shown = key if len(key) <= 60 else key[:57] + "..."
    return f'{path}["{shown}"]'


def type_name(value: object) -> str:
    """How an error message names the JSON type of a value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


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
