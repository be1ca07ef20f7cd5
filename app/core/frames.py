"""Frame math and number patterns (Afanasy semantics).

A numeric block covers the frames ``first, first+inc, ... <= last``; consecutive groups of
``per_task`` frames form one task. Commands, task names and file names carry ``@#@`` style
tokens that are filled with a task's start and end frames.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# One or more '#' between two '@'. The group holds the '#'s: their count is the padding.
_TOKEN = re.compile(r"@(#+)@")


def _check_range(first: int, last: int, per_task: int, inc: int) -> None:
    if per_task < 1:
        raise ValueError(f"per_task must be >= 1 (got {per_task})")
    if inc < 1:
        raise ValueError(f"inc must be >= 1 (got {inc})")
    if last < first:
        raise ValueError(f"last ({last}) must be >= first ({first})")


def numeric_task_count(first: int, last: int, per_task: int, inc: int) -> int:
    """Number of tasks of a numeric block."""
    _check_range(first, last, per_task, inc)
    numframes = (last - first) // inc + 1
    return -(-numframes // per_task)


def task_frames(first: int, last: int, per_task: int, inc: int, n: int) -> tuple[int, int]:
    """(start, end) frames of task ``n``; both are frames of the sequence.

    Raises IndexError when ``n`` is not a task of the block.
    """
    count = numeric_task_count(first, last, per_task, inc)
    if not 0 <= n < count:
        raise IndexError(f"task {n} out of range (block has {count} tasks)")
    start = first + n * per_task * inc
    # The last frame that belongs to the sequence (``last`` itself may fall between frames).
    seq_last = first + (last - first) // inc * inc
    end = min(start + (per_task - 1) * inc, seq_last)
    return start, end


def _pad(number: int, width: int) -> str:
    """Zero-padded to width characters, a minus sign counted (Afanasy's ``-005``)."""
    return f"{number:0{width}d}"


def fill_numbers(pattern: str, numbers: Sequence[int]) -> str:
    """Replace every ``@#@``/``@####@`` token by a number zero-padded to the count of '#'.

    Token k takes ``numbers[k % len(numbers)]``: with ``(start, end)`` the tokens alternate
    start, end, start, end ... The sign of a negative number counts: ``@####@`` of -5 is ``-005``.
    """
    if "@" not in pattern:
        return pattern
    parts = _TOKEN.split(pattern)
    if len(parts) == 1:
        return pattern
    count = len(numbers)
    if count == 0:
        raise ValueError("numbers must not be empty when the pattern has tokens")
    # parts = [text, hashes, text, hashes, ..., text]
    for k, i in enumerate(range(1, len(parts), 2)):
        parts[i] = _pad(numbers[k % count], len(parts[i]))
    return "".join(parts)


def has_number_pattern(s: str) -> bool:
    """True when ``s`` holds at least one ``@#@`` style token."""
    return "@" in s and _TOKEN.search(s) is not None
