"""At most one log line per kind of failure per interval.

A flood of one failure (a connection refused, an accept that found no free descriptor) must
not flood the log: the first record of a kind (its logger and the first line of its message
template) is written, the next ones within ``interval`` seconds are only counted, and the first
one after it says how many were held back. An OSError is one line with its text instead of a
traceback: the error names what ran out.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable


class LogThrottle(logging.Filter):
    """A filter for the loggers of failures that can come in floods."""

    def __init__(
        self,
        interval: float = 10.0,
        max_kinds: int = 1000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.interval = interval
        self.max_kinds = max_kinds
        self._clock = clock
        self._kinds: dict[tuple[str, str], list] = {}  # kind -> [window start, held back]

    def __len__(self) -> int:
        return len(self._kinds)

    def filter(self, record: logging.LogRecord) -> bool:
        now = self._clock()
        kind = (record.name, str(record.msg).partition("\n")[0])
        entry = self._kinds.get(kind)
        if entry is not None and now - entry[0] < self.interval:
            entry[1] += 1
            return False
        self._kinds.pop(kind, None)
        self._forget_old(now)
        self._kinds[kind] = [now, 0]
        message = record.getMessage()
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, OSError):  # its first line (asyncio adds the socket's) and the error
            message = message.partition("\n")[0] + f": {error}"
            record.exc_info = record.exc_text = None
        if entry is not None and entry[1]:
            message += f" ({entry[1]} more in the last {self.interval:g} s)"
        record.msg, record.args = message, None
        return True

    def _forget_old(self, now: float) -> None:
        """At max_kinds: drop the kinds whose interval passed, then the oldest if still full."""
        kinds = self._kinds
        if len(kinds) < self.max_kinds:
            return
        while kinds and now - next(iter(kinds.values()))[0] >= self.interval:
            del kinds[next(iter(kinds))]
        if len(kinds) >= self.max_kinds:
            del kinds[next(iter(kinds))]
