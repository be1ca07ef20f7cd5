"""Sizes as renderers print them (``1.23 GB``, ``1234.56MB``, ``200M``), in MB."""

from __future__ import annotations

import re

_SIZE = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*([KMGT]i?B|[KMGT]\b|B\b)", re.IGNORECASE)
_UNIT_MB = {"B": 1 / (1024 * 1024), "K": 1 / 1024, "M": 1.0, "G": 1024.0, "T": 1024.0 * 1024}


def size_mb(number: str, unit: str) -> float:
    """A size such as ("1.23", "GB") in MB (binary multiples, as renderers print them)."""
    return float(number.replace(",", "")) * _UNIT_MB[unit[0].upper()]


def first_size_mb(text: str) -> float | None:
    """The first size written in a text (``1.23 GB``, ``1234.56MB``, ``200M``) in MB."""
    match = _SIZE.search(text)
    return size_mb(match[1], match[2]) if match else None
