"""Calling hours, day parts and the next slot, in the respondent's time zone."""

from __future__ import annotations

import datetime as dt

import pytest

from survey_app.callcentre.schedule import DayPart, day_part, in_calling_hours, next_slot, parse_local

UTC = dt.UTC


@pytest.mark.parametrize(
    ("instant", "zone", "expected"),
    [
        (dt.datetime(2026, 12, 2, 0, 0, tzinfo=UTC), "Asia/Shanghai", True),  # 08:00 local: opens
        (dt.datetime(2026, 12, 1, 23, 59, tzinfo=UTC), "Asia/Shanghai", False),  # 07:59
        (dt.datetime(2026, 12, 2, 13, 0, tzinfo=UTC), "Asia/Shanghai", False),  # 21:00: closed
        (dt.datetime(2026, 12, 2, 12, 59, tzinfo=UTC), "Asia/Shanghai", True),  # 20:59
        (dt.datetime(2026, 12, 2, 2, 0, tzinfo=UTC), "America/New_York", False),  # 21:00 the day before
        (dt.datetime(2026, 12, 2, 14, 0, tzinfo=UTC), "America/New_York", True),  # 09:00 EST
        (dt.datetime(2026, 7, 2, 12, 30, tzinfo=UTC), "America/New_York", True),  # 08:30 EDT (DST)
        (dt.datetime(2026, 1, 2, 12, 30, tzinfo=UTC), "America/New_York", False),  # 07:30 EST
        (dt.datetime(2026, 12, 2, 10, 0, tzinfo=UTC), "Not/AZone", True),  # unknown zone: UTC
    ],
)
def test_calling_hours_are_local_to_the_respondent(instant, zone, expected):
    assert in_calling_hours(instant, zone) is expected


def test_day_parts_follow_the_local_clock_and_calendar():
    # Friday 4 Dec 2026 10:00 UTC: Friday 18:00 in Shanghai (weeknight), 05:00 in New York (weekday).
    friday = dt.datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    assert day_part(friday, "Asia/Shanghai") is DayPart.weeknight
    assert day_part(friday, "America/New_York") is DayPart.weekday
    # Friday 17:00 UTC is already Saturday 01:00 in Shanghai.
    assert day_part(dt.datetime(2026, 12, 4, 17, 0, tzinfo=UTC), "Asia/Shanghai") is DayPart.weekend


def test_next_slot_rotates_to_another_day_part_within_calling_hours():
    now = dt.datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # Wednesday 10:00 Shanghai, weekday daytime
    slot = next_slot(
        now, "Asia/Shanghai", avoid=frozenset({DayPart.weekday}), min_delay=dt.timedelta(hours=3)
    )
    assert slot == dt.datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # 17:00 local, weeknight
    late = dt.datetime(2026, 12, 2, 12, 30, tzinfo=UTC)  # 20:30 local weeknight; +3 h is 23:30
    slot = next_slot(
        late, "Asia/Shanghai", avoid=frozenset({DayPart.weeknight}), min_delay=dt.timedelta(hours=3)
    )
    assert slot == dt.datetime(2026, 12, 3, 0, 0, tzinfo=UTC)  # Thursday 08:00 local, weekday
    assert in_calling_hours(slot, "Asia/Shanghai")


def test_parse_local_reads_the_respondents_local_time_and_refuses_gaps():
    assert parse_local("2026-12-02T18:30", "Asia/Shanghai") == dt.datetime(2026, 12, 2, 10, 30, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_local("2026-03-08T02:30", "America/New_York")  # skipped by the DST change
    with pytest.raises(ValueError):
        parse_local("tomorrow", "Asia/Shanghai")
