"""What the verbs print: aligned tables and field lists for people, the raw JSON for scripts.

On a terminal (and without ``NO_COLOR``) lists are rich tables with coloured states; otherwise
they are the plain aligned columns that scripts and tests read. rich is imported only when a
terminal is there to draw on, so that ``corral --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from app.cli.parsing import PROG

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

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


def _numeric_columns(cells: list[list[str]], count: int) -> list[bool]:
    """Which of count columns hold only numbers (they align right)."""
    return [
        bool(cells) and all(_NUMERIC_CELL_RE.match(row[i]) or row[i] == "-" for row in cells)
        for i in range(count)
    ]


def format_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Plain aligned columns, two spaces apart; columns holding only numbers align right."""
    cells = [[cell(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, text in enumerate(row):
            widths[i] = max(widths[i], len(text))
    right = _numeric_columns(cells, len(headers))

    def line(texts: Sequence[str]) -> str:
        parts = [
            t.rjust(widths[i]) if right[i] else t.ljust(widths[i]) for i, t in enumerate(texts)
        ]
        return "  ".join(parts).rstrip()

    return "\n".join([line(list(headers))] + [line(row) for row in cells])


def _rows(items: Iterable[dict], columns: Sequence[Column]) -> list[list[Any]]:
    return [[get(item) if callable(get) else item.get(get) for _, get in columns] for item in items]


def table(items: Iterable[dict], columns: Sequence[Column]) -> str:
    """The table of every list: a row per item, a column per (HEADER, key or getter)."""
    return format_table([header for header, _ in columns], _rows(items, columns))


# The colour of each state code of jobs, blocks, tasks and renders (a cell may hold several).
STATE_STYLES = {
    "RUN": "bold cyan",
    "DON": "green",
    "ERR": "bold red",
    "RER": "red",
    "AVD": "yellow",
    "WDP": "magenta",
    "WTM": "magenta",
    "WRC": "magenta",
    "SUS": "dim",
    "OFF": "dim",
    "PPA": "dim",
    "SKP": "dim",
    "ONL": "green",
    "NbY": "yellow",
    "NBY": "yellow",
    "PAU": "dim",
    "SIC": "bold red",
}


def terminal() -> Console | None:
    """A rich console when stdout is a terminal and ``NO_COLOR`` is not set; else None (plain
    output)."""
    if os.environ.get("NO_COLOR") or not sys.stdout.isatty():
        return None
    from rich.console import Console

    return Console(highlight=False)


def styled_state(text: str) -> Any:
    """A state cell as rich text, each known code in its colour."""
    from rich.text import Text

    out = Text()
    for i, word in enumerate(text.split(" ")):
        if i:
            out.append(" ")
        out.append(word, style=STATE_STYLES.get(word, ""))
    return out


def rich_table(items: Iterable[dict], columns: Sequence[Column]) -> Table:
    """The rich form of table(): the same rows, aligned the same way, states coloured."""
    from rich import box
    from rich.table import Table

    headers = [header for header, _ in columns]
    cells = [[cell(v) for v in row] for row in _rows(items, columns)]
    out = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False)
    for header, numeric in zip(headers, _numeric_columns(cells, len(headers)), strict=True):
        out.add_column(header, justify="right" if numeric else "left")
    state = headers.index("STATE") if "STATE" in headers else None
    for row in cells:
        out.add_row(*(styled_state(t) if i == state else t for i, t in enumerate(row)))
    return out


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
    """A list verb's output: the JSON list (--json), the ``empty`` line, or the table (a rich
    one on a terminal)."""
    console = None if args.json or not items else terminal()
    if console is None:
        return print_answer(args, items, lambda _: table(items, columns) if items else empty)
    console.print(rich_table(items, columns))
    return 0


def print_error(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr)
