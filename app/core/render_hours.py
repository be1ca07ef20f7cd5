"""Render hours: when the farm may use a pool's renders (the pool key ``render_hours``).

Pure. The text is a comma-separated list of windows, each ``[DAYS] HH:MM-HH:MM``, optionally
followed by a time zone name::

    20:00-08:00                                   every night (crosses midnight)
    mon-fri 19:00-07:00, sat-sun 00:00-24:00      weeknights and whole weekends
    mon wed fri 12:00-14:00                       several days
    20:00-08:00 Europe/Paris                      in that zone's local time (zoneinfo)

- DAYS: day names (``mon`` .. ``sun``, or full names, any case) and ranges (``mon-fri``,
  ``fri-mon`` wraps), separated by spaces; none means every day.
- A window starts on each of its days at the first time and ends at the second, the next day
  when the end is not after the start (``19:00-07:00``). ``24:00`` is allowed as an end.
- Without a zone the times are the **server's local time** (the clock the server reads; the
  server cannot know a render's own zone). Naive datetimes are taken as local time.
- ``""`` or ``always``: no restriction.

:func:`parse_hours` raises :class:`SpecError` with the given field path on bad input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.core.errors import SpecError

DAY = 86400
WEEK = 7 * DAY
MAX_LEN = 1024
MAX_WINDOWS = 100
DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_RANGE = re.compile(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_ZONE = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*")
_EXAMPLE = "e.g. '20:00-08:00' or 'mon-fri 19:00-07:00, sat-sun 00:00-24:00'"


@dataclass(frozen=True)
class Hours:
    """Parsed render hours: allowed spans in seconds of the week (Monday 00:00 = 0), sorted,
    merged, within 0..WEEK; ``zone`` None = the server's local time."""

    text: str
    spans: tuple[tuple[int, int], ...]
    zone: tzinfo | None = None

    @property
    def always(self) -> bool:
        return self.spans == ((0, WEEK),)

    @property
    def never(self) -> bool:
        return not self.spans

    def allows(self, when: datetime) -> bool:
        """Whether the farm may use the render at ``when`` (naive = server local time)."""
        second = _week_second(self._wall(when))
        return any(start <= second < end for start, end in self.spans)

    def next_change(self, when: datetime) -> datetime | None:
        """The first moment after ``when`` at which :meth:`allows` flips; None if it never
        does (always, or no window). Aware in, aware out; naive in, naive (local) out."""
        if self.always or self.never:
            return None
        wall = self._wall(when)
        second = _week_second(wall)
        bounds = sorted({b % WEEK for span in self.spans for b in span} - self._seams())
        later = [b for b in bounds if b > second]
        step = (later[0] if later else bounds[0] + WEEK) - second
        out = wall + timedelta(seconds=step)  # wall-clock arithmetic
        if self.zone is not None:
            out = out.replace(tzinfo=self.zone)
            return (
                out.astimezone(when.tzinfo)
                if when.tzinfo
                else out.astimezone().replace(tzinfo=None)
            )
        return out.astimezone(when.tzinfo) if when.tzinfo else out

    def _seams(self) -> set[int]:
        """Week wrap points that are not changes (a span ending at WEEK and one at 0)."""
        if self.spans[0][0] == 0 and self.spans[-1][1] == WEEK:
            return {0}
        return set()

    def _wall(self, when: datetime) -> datetime:
        """Naive wall-clock time in the hours' zone (the server's local zone by default)."""
        if self.zone is not None:
            return when.astimezone(self.zone).replace(tzinfo=None)
        if when.tzinfo is not None:
            return when.astimezone().replace(tzinfo=None)
        return when


def _week_second(wall: datetime) -> float:
    return (
        wall.weekday() * DAY
        + wall.hour * 3600
        + wall.minute * 60
        + wall.second
        + wall.microsecond / 1e6
    )


def parse_hours(text: object, field: str = "render_hours") -> Hours:
    """:class:`Hours` from the text; :class:`SpecError` (with ``field``) if it is bad."""
    if not isinstance(text, str):
        raise SpecError(field, f"must be a string of render hours, not {type(text).__name__}")
    if len(text) > MAX_LEN:
        raise SpecError(field, f"must be at most {MAX_LEN} characters (got {len(text)})")
    return _parse(text, field)


@lru_cache(maxsize=256)
def _parse(text: str, field: str) -> Hours:
    body = text.strip()
    if body.lower() in ("", "always"):
        return Hours(text, ((0, WEEK),))
    zone = None
    words = body.split()
    last = words[-1]
    if ":" not in last and len(words) > 1 and not _is_days(last) and _ZONE.fullmatch(last):
        zone = _zone(last, field)
        body = body[: body.rfind(last)].rstrip()
    rules = body.split(",")
    if len(rules) > MAX_WINDOWS:
        raise SpecError(field, f"must have at most {MAX_WINDOWS} windows")
    spans: list[tuple[int, int]] = []
    for rule in rules:
        spans.extend(_rule(rule.strip(), field))
    return Hours(text, _merge(spans), zone)


def _zone(name: str, field: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise SpecError(field, f"unknown time zone {name!r} (e.g. 'Europe/Paris')") from None


def _rule(rule: str, field: str) -> list[tuple[int, int]]:
    if not rule:
        raise SpecError(field, f"empty window (windows are separated by ','; {_EXAMPLE})")
    match = _RANGE.search(rule)
    if match is None:
        raise SpecError(field, f"window {rule!r} must end with HH:MM-HH:MM ({_EXAMPLE})")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59:
        raise SpecError(field, f"window {rule!r}: bad start time (00:00..23:59)")
    if m2 > 59 or h2 > 24 or (h2 == 24 and m2):
        raise SpecError(field, f"window {rule!r}: bad end time (00:00..24:00)")
    start, end = h1 * 3600 + m1 * 60, h2 * 3600 + m2 * 60
    if start == end % DAY and end != DAY:
        raise SpecError(field, f"window {rule!r} is empty (use 00:00-24:00 for a whole day)")
    if end <= start:
        end += DAY
    days: set[int] = set()
    for word in rule[: match.start()].split():
        days |= _days(word, rule, field)
    out = []
    for day in sorted(days) if days else range(7):
        lo, hi = day * DAY + start, day * DAY + end
        if hi > WEEK:  # Sunday night into Monday
            out += [(lo, WEEK), (0, hi - WEEK)]
        else:
            out.append((lo, hi))
    return out


def _day(word: str) -> int | None:
    word = word.lower()
    for i, name in enumerate(DAY_NAMES):
        if len(word) >= 3 and name.startswith(word):
            return i
    return None


def _is_days(word: str) -> bool:
    parts = word.split("-")
    return len(parts) <= 2 and all(_day(p) is not None for p in parts)


def _days(word: str, rule: str, field: str) -> set[int]:
    parts = word.split("-")
    numbers = [_day(p) for p in parts]
    if len(parts) > 2 or None in numbers:
        raise SpecError(
            field, f"window {rule!r}: {word!r} is not a day or day range (mon..sun, mon-fri)"
        )
    first, last = numbers[0], numbers[-1]
    span = (last - first) % 7
    return {(first + i) % 7 for i in range(span + 1)}


def _merge(spans: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    out: list[list[int]] = []
    for lo, hi in sorted(spans):
        if out and lo <= out[-1][1]:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return tuple((lo, hi) for lo, hi in out)
