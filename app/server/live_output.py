"""The live output of running runs, kept in memory and relayed to monitors as renders stream it.

When a run ends its tail is dropped; its whole output is stored by persistence/outputs.py.
"""

from __future__ import annotations

from collections import deque

from app.protocol import RunKey

LIVE_LIMIT = 1_000_000  # bytes of live output kept per running run
LINE_LIMIT = 300  # characters of a run's last line (its activity)


class LiveOutput:
    """The recent output of running runs, as the render streams it."""

    def __init__(self, limit: int = LIVE_LIMIT) -> None:
        self._limit = limit
        self._chunks: dict[RunKey, deque[str]] = {}
        self._sizes: dict[RunKey, int] = {}

    def append(self, key: RunKey, text: str) -> None:
        chunks = self._chunks.setdefault(key, deque())
        chunks.append(text)
        size = self._sizes.get(key, 0) + len(text)
        while size > self._limit and len(chunks) > 1:
            size -= len(chunks.popleft())
        self._sizes[key] = size

    def get(self, key: RunKey) -> str | None:
        chunks = self._chunks.get(key)
        return None if chunks is None else "".join(chunks)

    def last_line(self, key: RunKey) -> str | None:
        """The last line with text a running run printed (its latest progress bar state after
        a carriage return), at most LINE_LIMIT characters; None before any."""
        for chunk in reversed(self._chunks.get(key, ())):
            for line in reversed(chunk.splitlines()):
                text = line.rsplit("\r", 1)[-1].strip()
                if text:
                    return text[:LINE_LIMIT]
        return None

    def start(self, key: RunKey) -> None:
        self._chunks.setdefault(key, deque())

    def drop(self, key: RunKey) -> None:
        self._chunks.pop(key, None)
        self._sizes.pop(key, None)
