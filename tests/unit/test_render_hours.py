"""Render hours parsing and evaluation (app/core/render_hours.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.core.errors import SpecError
from app.core.render_hours import WEEK, parse_hours

# 2024-01-01 is a Monday
MON, TUE, FRI, SAT, SUN = 1, 2, 5, 6, 7


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 1, day, hour, minute)


@pytest.mark.parametrize("text", ["", "   ", "always", "ALWAYS", "00:00-24:00"])
def test_always(text):
    hours = parse_hours(text)
    assert hours.always
    assert hours.allows(at(MON, 3)) and hours.allows(at(SUN, 23, 59))
    assert hours.next_change(at(MON, 3)) is None


def test_night_crossing_midnight():
    hours = parse_hours("20:00-08:00")
    assert not hours.allows(at(MON, 19, 59))
    assert hours.allows(at(MON, 20, 0))
    assert hours.allows(at(TUE, 0, 0)) and hours.allows(at(TUE, 7, 59))
    assert not hours.allows(at(TUE, 8, 0))
    assert hours.allows(at(MON, 7)) and hours.allows(at(SUN, 23))  # Sunday night wraps
    assert hours.next_change(at(MON, 12)) == at(MON, 20)
    assert hours.next_change(at(MON, 20)) == at(TUE, 8)  # strictly after
    assert hours.next_change(at(SUN, 22)) == datetime(2024, 1, 8, 8)


def test_weekdays_and_weekend():
    hours = parse_hours("mon-fri 19:00-07:00, sat-sun 00:00-24:00")
    assert not hours.allows(at(MON, 6))  # Sunday's window ended at midnight
    assert not hours.allows(at(MON, 18, 59)) and hours.allows(at(MON, 19))
    assert hours.allows(at(TUE, 6, 59)) and not hours.allows(at(TUE, 7))
    assert not hours.allows(at(FRI, 12))
    assert hours.allows(at(FRI, 23)) and hours.allows(at(SAT, 7)) and hours.allows(at(SAT, 12))
    assert hours.allows(at(SUN, 23, 59))
    # Friday night runs into the weekend: one change at Friday 19:00, the next Sunday 24:00
    assert hours.next_change(at(FRI, 12)) == at(FRI, 19)
    assert hours.next_change(at(FRI, 19)) == datetime(2024, 1, 8, 0)
    assert hours.next_change(at(TUE, 3)) == at(TUE, 7)


def test_day_lists_full_names_and_wrapping_ranges():
    hours = parse_hours("Monday wed FRI 12:00-14:00")
    assert hours.allows(at(MON, 13)) and hours.allows(at(3, 13)) and hours.allows(at(FRI, 13))
    assert not hours.allows(at(TUE, 13)) and not hours.allows(at(MON, 14))
    wrap = parse_hours("fri-mon 09:00-10:00")
    assert [wrap.allows(at(d, 9, 30)) for d in range(1, 8)] == [1, 0, 0, 0, 1, 1, 1]


def test_overlapping_windows_merge():
    hours = parse_hours("10:00-12:00, 11:00-13:00")
    assert hours.spans[0] == (10 * 3600, 13 * 3600)
    assert hours.next_change(at(MON, 10)) == at(MON, 13)


def test_every_day_whole_week_is_always():
    assert parse_hours("mon-sun 00:00-24:00").always
    assert parse_hours("12:00-12:01").spans[-1][1] < WEEK


def test_time_zone_suffix():
    hours = parse_hours("20:00-08:00 Europe/Paris")
    winter = datetime(2024, 1, 1, 18, 59, tzinfo=UTC)  # 19:59 in Paris
    assert not hours.allows(winter)
    assert hours.allows(datetime(2024, 1, 1, 19, 0, tzinfo=UTC))
    assert hours.next_change(winter) == datetime(2024, 1, 1, 19, 0, tzinfo=UTC)
    assert parse_hours("09:00-17:00 UTC").allows(datetime(2024, 1, 1, 9, tzinfo=UTC))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("20:00", "must end with HH:MM-HH:MM"),
        ("mon-fri", "must end with HH:MM-HH:MM"),
        ("25:00-08:00", "bad start time"),
        ("20:60-08:00", "bad start time"),
        ("20:00-24:01", "bad end time"),
        ("08:00-08:00", "empty"),
        ("20:00-08:00,", "empty window"),
        ("funday 20:00-08:00", "'funday' is not a day"),
        ("mon-tue-wed 20:00-08:00", "is not a day"),
        ("20:00-08:00 Mars/Olympus", "unknown time zone"),
        ("8pm-8am", "must end with HH:MM-HH:MM"),
        (5, "must be a string"),
        ("1" * 2000, "at most 1024"),
    ],
)
def test_bad_text_names_the_field(text, message):
    with pytest.raises(SpecError) as info:
        parse_hours(text, 'pools["/ws/"].render_hours')
    assert info.value.field == 'pools["/ws/"].render_hours'
    assert message in info.value.message
