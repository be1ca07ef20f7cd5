"""Recent resource samples of one render, for graphs (GET /api/v1/renders/{name}/resources).

Only the latest sample matters to the scheduler (Render.resources); this ring keeps the last
hour for people. Memory is bounded twice: by age (older samples are dropped as new ones come) and
by count (a deque with maxlen), so a render that heartbeats faster than the default 5 s keeps a
shorter window, never more memory.

A render sends the same keys in every heartbeat, so a sample is stored as its values alone,
serialized with marshal (five times faster than JSON, and the values are plain numbers, text and
lists that the server validated), next to a tuple of its keys that all samples with the same keys
share. For what the render client sends that is about 0.3 KB a sample with the deque's overhead
(the dict it came from is several KB): an hour at the default 5 s costs about 0.2 MB per render.
The history lives in memory only; a server restart forgets it.
"""

from __future__ import annotations

import marshal
from collections import deque

DEFAULT_MAX_AGE = 3600.0  # seconds
DEFAULT_MAX_SAMPLES = 800  # 800 x 5 s (the default heartbeat) = 4000 s: at least the hour


class ResourceHistory:
    """(time, sample) pairs in arrival order, at most max_samples of them, none older than
    max_age_s before the newest."""

    def __init__(
        self, max_age_s: float = DEFAULT_MAX_AGE, max_samples: int = DEFAULT_MAX_SAMPLES
    ) -> None:
        if max_age_s <= 0 or max_samples < 1:
            raise ValueError("max_age_s must be > 0 and max_samples >= 1")
        self.max_age_s = max_age_s
        self._samples: deque[tuple[float, tuple[str, ...], bytes]] = deque(maxlen=max_samples)
        self._keys: tuple[str, ...] = ()  # the last sample's keys, shared by the next ones

    def __len__(self) -> int:
        return len(self._samples)

    def append(self, time: float, sample: dict) -> None:
        """Add a sample taken at time (epoch seconds); forget those now too old."""
        keys = tuple(sample)
        if keys != self._keys:
            self._keys = keys
        self._samples.append((time, self._keys, marshal.dumps(list(sample.values()))))
        oldest = time - self.max_age_s
        while self._samples[0][0] < oldest:
            self._samples.popleft()

    def since(self, time: float | None = None) -> list[dict]:
        """The samples newer than time (all without it), oldest first, each with its "time"
        (the server's clock when the sample arrived; it wins over a "time" the render sent)."""
        return [
            {
                "time": when,
                **{k: v for k, v in zip(keys, marshal.loads(data), strict=True) if k != "time"},
            }
            for when, keys, data in self._samples
            if time is None or when > time
        ]
