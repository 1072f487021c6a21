"""The shift calendar: shift S of a local date, back to back from shift_start, through DST."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seamline.model.factory import Factory
from seamline.production.shifts import ShiftError, shift_window, shifts_per_day


def utc(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M")


def with_calendar(factory: Factory, tz: str, start: dt.time, minutes: int = 480) -> Factory:
    return dataclasses.replace(factory, timezone=tz, shift_start=start, shift_minutes=minutes)


def test_the_reference_factory_works_three_shifts_from_eight_in_dhaka(factory: Factory) -> None:
    assert (factory.timezone, factory.shift_start, factory.shift_minutes) == ("Asia/Dhaka", dt.time(8), 480)
    day = dt.date(2026, 11, 2)
    # Dhaka is UTC+6 all year: 08:00 local is 02:00 UTC
    assert [tuple(map(utc, shift_window(factory, day, s))) for s in (1, 2, 3)] == [
        ("2026-11-02 02:00", "2026-11-02 10:00"),
        ("2026-11-02 10:00", "2026-11-02 18:00"),
        ("2026-11-02 18:00", "2026-11-03 02:00"),  # the night shift ends the next morning
    ]


@pytest.mark.parametrize(("minutes", "shifts"), [(480, 3), (600, 2), (720, 2), (1440, 1), (450, 3), (360, 4)])
def test_as_many_whole_shifts_as_fit_in_a_day(factory: Factory, minutes: int, shifts: int) -> None:
    f = with_calendar(factory, "Asia/Dhaka", dt.time(8), minutes)
    assert shifts_per_day(f) == shifts
    shift_window(f, dt.date(2026, 1, 1), shifts)
    with pytest.raises(ShiftError) as got:
        shift_window(f, dt.date(2026, 1, 1), shifts + 1)
    assert got.value.field == "shift"
    assert f"give a shift from 1 to {shifts}" in got.value.message


@pytest.mark.parametrize("shift", [0, -1, 4])
def test_a_shift_outside_the_calendar_is_refused(factory: Factory, shift: int) -> None:
    with pytest.raises(ShiftError) as got:
        shift_window(factory, dt.date(2026, 11, 2), shift)
    assert got.value.exit_code == 2
    assert got.value.details() == {"field": "shift", "value": str(shift)}


def test_shifts_across_the_spring_change_last_their_minutes_not_the_wall_clock(factory: Factory) -> None:
    # Berlin: 2026-03-29 02:00 CET (UTC+1) becomes 03:00 CEST (UTC+2)
    night = with_calendar(factory, "Europe/Berlin", dt.time(22))
    start, end = shift_window(night, dt.date(2026, 3, 28), 1)
    assert (utc(start), utc(end)) == ("2026-03-28 21:00", "2026-03-29 05:00")  # 22:00 CET to 07:00 CEST
    day = with_calendar(factory, "Europe/Berlin", dt.time(8))
    assert utc(shift_window(day, dt.date(2026, 3, 28), 1)[0]) == "2026-03-28 07:00"  # 08:00 CET
    assert utc(shift_window(day, dt.date(2026, 3, 29), 1)[0]) == "2026-03-29 06:00"  # 08:00 CEST


def test_a_start_the_clocks_skip_or_repeat(factory: Factory) -> None:
    early = with_calendar(factory, "Europe/Berlin", dt.time(2, 30))
    # 02:30 does not exist on 2026-03-29: read with the offset before the change, 03:30 CEST
    assert utc(shift_window(early, dt.date(2026, 3, 29), 1)[0]) == "2026-03-29 01:30"
    # 02:30 happens twice on 2026-10-25: the first time, still summer time (UTC+2)
    assert utc(shift_window(early, dt.date(2026, 10, 25), 1)[0]) == "2026-10-25 00:30"


def test_an_unknown_time_zone_says_where_to_fix_it(factory: Factory) -> None:
    f = dataclasses.replace(factory, timezone="Asia/Nowhere")
    with pytest.raises(ShiftError) as got:
        shift_window(f, dt.date(2026, 11, 2), 1)
    assert got.value.field == "timezone"
    assert "factory file" in got.value.message


ZONES = ("Asia/Dhaka", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC")


@given(
    zone=st.sampled_from(ZONES),
    day=st.dates(dt.date(2020, 1, 1), dt.date(2035, 12, 31)),
    start=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    minutes=st.sampled_from([360, 450, 480, 600, 720]),
)
def test_shifts_follow_each_other_and_last_their_minutes(
    factory: Factory, zone: str, day: dt.date, start: dt.time, minutes: int
) -> None:
    f = with_calendar(factory, zone, start, minutes)
    windows = [shift_window(f, day, s) for s in range(1, shifts_per_day(f) + 1)]
    assert all(b - a == minutes * 60_000 for a, b in windows)
    assert all(windows[i][1] == windows[i + 1][0] for i in range(len(windows) - 1))
    assert windows[-1][1] - windows[0][0] <= 24 * 3_600_000
    first = dt.datetime.fromtimestamp(windows[0][0] / 1000, dt.UTC).astimezone(ZoneInfo(zone))
    if first.replace(tzinfo=None) == dt.datetime.combine(day, start):  # not a start the clocks skipped
        assert (first.date(), first.time()) == (day, start)
