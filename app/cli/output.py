"""What the verbs print: aligned tables and field lists for people, the raw JSON for scripts."""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from app.cli.parsing import PROG

Column = tuple[str, str | Callable[[dict], Any]]  # HEADER, and the item's key or a getter


def cell(value: Any) -> str:
    """A value as table or field text: ``-`` for none, ``yes``/``no``, lists space-separated."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return " ".join(cell(v) for v in value) or "-"
    return str(value)


_NUMERIC_CELL_RE = re.compile(r"^-?\d+(\.\d+)?(/-?\d+(\.\d+)?)?$")


def format_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Plain aligned columns, two spaces apart; columns holding only numbers align right."""
    cells = [[cell(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, text in enumerate(row):
            widths[i] = max(widths[i], len(text))
    right = [
        bool(cells) and all(_NUMERIC_CELL_RE.match(row[i]) or row[i] == "-" for row in cells)
        for i in range(len(headers))
    ]

    def line(texts: Sequence[str]) -> str:
        parts = [
            t.rjust(widths[i]) if right[i] else t.ljust(widths[i]) for i, t in enumerate(texts)
        ]
        return "  ".join(parts).rstrip()

    return "\n".join([line(list(headers))] + [line(row) for row in cells])


def table(items: Iterable[dict], columns: Sequence[Column]) -> str:
    """The table of every list: a row per item, a column per (HEADER, key or getter)."""
    return format_table(
        [header for header, _ in columns],
        [[get(item) if callable(get) else item.get(get) for _, get in columns] for item in items],
    )


def format_fields(pairs: Iterable[tuple[str, Any]]) -> str:
    """``key  value`` lines with the values aligned."""
    pairs = [(k, cell(v)) for k, v in pairs]
    width = max((len(k) for k, _ in pairs), default=0)
    return "\n".join(f"{k.ljust(width)}  {v}".rstrip() for k, v in pairs)


def format_record(head: str, pairs: Iterable[tuple[str, Any]], more: str = "") -> str:
    """One job, task, render, user or pool: its head line, then its fields (and ``more``
    lines) indented."""
    lines = (format_fields(pairs) + more).splitlines()
    return head + "\n" + "\n".join("  " + line for line in lines)


def format_time(value: Any) -> str:
    """Epoch seconds (or milliseconds) as local time; strings pass through; empty as ``-``."""
    if value in (None, "", 0):
        return "-"
    if isinstance(value, (int, float)):
        seconds = value / 1000 if value > 1e11 else value
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(seconds))
    return str(value)


def format_duration(start: Any, end: Any) -> str:
    if not isinstance(start, (int, float)) or not isinstance(end, (int, float)) or end < start:
        return "-"
    seconds = int(round(end - start))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


def print_answer(args: argparse.Namespace, answer: Any, text: Callable[[Any], str]) -> int:
    """The server's answer as JSON (--json) or as text(answer); exit code 0."""
    if args.json:
        print_json(answer)
    else:
        print(text(answer))
    return 0


def print_list(args: argparse.Namespace, items: list, columns: Sequence[Column], empty: str) -> int:
    """A list verb's output: the JSON list (--json), the ``empty`` line, or the table."""
    return print_answer(args, items, lambda _: table(items, columns) if items else empty)


def print_error(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr)
