"""Task states: one byte per task, with Afanasy's codes."""

from __future__ import annotations

RDY = 0  # ready to run
RUN = 1  # running on a render
DON = 2  # done
ERR = 3  # failed, out of automatic retries
SKP = 4  # skipped (counts as done)
RER = 5  # failed, ready again for an automatic retry
WRC = 6  # was running when the server stopped; waiting for its render to reconnect
WDP = 7  # waiting for the tasks it depends on
SUS = 8  # suspended: like skipped, but the job is not done while it stays

CODES = ("RDY", "RUN", "DON", "ERR", "SKP", "RER", "WRC", "WDP", "SUS")
COUNT = len(CODES)
READY = frozenset({RDY, RER})
FINISHED = frozenset({DON, SKP})
ACTIVE = frozenset({RUN, WRC})


def code(state: int) -> str:
    """The three-letter code of a state."""
    return CODES[state]
