"""Calling hours in the respondent's own time zone: zones, DST changes, days of week, holidays."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from survey_app.fieldwork.schedule import (
    ContactWindow,
    NoContactTime,
    first_instant_at,
    in_window,
    next_send_time,
    send_time,
    step_due,
)

UTC = dt.UTC
NEW_YORK = ZoneInfo("America/New_York")
SHANGHAI = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")
WINDOW = ContactWindow()  # 08:00-21:00, every day


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def test_the_same_instant_is_inside_for_one_respondent_and_outside_for_another() -> None:
    # 2026-06-10 13:00 UTC = 21:00 in Shanghai (closed: the window is half-open), 09:00 in New York.
    instant = utc(2026, 6, 10, 13, 0)
    assert in_window(instant, NEW_YORK, WINDOW)
    assert not in_window(instant, SHANGHAI, WINDOW)
    # Shanghai waits for 08:00 next morning, local time (00:00 UTC).
    assert send_time(instant, SHANGHAI, WINDOW) == utc(2026, 6, 11, 0, 0)
    assert send_time(instant, NEW_YORK, WINDOW) == instant


@pytest.mark.parametrize(
    ("local", "expected_local"),
    [
        (dt.datetime(2026, 6, 10, 7, 59), dt.datetime(2026, 6, 10, 8, 0)),  # before opening
        (dt.datetime(2026, 6, 10, 8, 0), dt.datetime(2026, 6, 10, 8, 0)),  # opening is inside
        (dt.datetime(2026, 6, 10, 20, 59), dt.datetime(2026, 6, 10, 20, 59)),
        (dt.datetime(2026, 6, 10, 21, 0), dt.datetime(2026, 6, 11, 8, 0)),  # closing is outside
        (dt.datetime(2026, 6, 10, 23, 30), dt.datetime(2026, 6, 11, 8, 0)),
    ],
)
def test_window_edges_in_local_time(local: dt.datetime, expected_local: dt.datetime) -> None:
    now = local.replace(tzinfo=NEW_YORK).astimezone(UTC)
    assert send_time(now, NEW_YORK, WINDOW).astimezone(NEW_YORK).replace(tzinfo=None) == expected_local


def test_opening_follows_the_spring_forward_change() -> None:
    # 8 March 2026: New York moves from EST (UTC-5) to EDT (UTC-4) at 02:00.
    before = utc(2026, 3, 7, 14)  # Saturday 09:00 EST
    assert first_instant_at(dt.date(2026, 3, 7), dt.time(8), NEW_YORK) == utc(2026, 3, 7, 13)
    assert first_instant_at(dt.date(2026, 3, 8), dt.time(8), NEW_YORK) == utc(2026, 3, 8, 12)
    # Sunday 01:00 UTC = Saturday 20:00 EST (inside); 02:00 UTC = 21:00 EST (outside) -> 08:00 EDT.
    assert send_time(utc(2026, 3, 8, 1), NEW_YORK, WINDOW) == utc(2026, 3, 8, 1)
    assert send_time(utc(2026, 3, 8, 2), NEW_YORK, WINDOW) == utc(2026, 3, 8, 12)
    assert in_window(before, NEW_YORK, WINDOW)


def test_a_wall_time_inside_the_gap_opens_at_the_end_of_the_gap() -> None:
    night = ContactWindow(dt.time(2, 30), dt.time(5, 0))
    # 02:30 does not exist on 8 March 2026 in New York: the window opens at 03:00 EDT = 07:00 UTC.
    assert first_instant_at(dt.date(2026, 3, 8), dt.time(2, 30), NEW_YORK) == utc(2026, 3, 8, 7)
    assert send_time(utc(2026, 3, 8, 5), NEW_YORK, night) == utc(2026, 3, 8, 7)


def test_a_repeated_wall_time_means_its_first_occurrence() -> None:
    # 1 November 2026: 01:30 happens twice in New York (EDT, then EST); the first is 05:30 UTC.
    assert first_instant_at(dt.date(2026, 11, 1), dt.time(1, 30), NEW_YORK) == utc(2026, 11, 1, 5, 30)


def test_autumn_change_in_london_moves_the_utc_opening_by_an_hour() -> None:
    # 25 October 2026: BST (UTC+1) ends. 08:00 local is 07:00 UTC before, 08:00 UTC after.
    assert send_time(utc(2026, 10, 24, 6), LONDON, WINDOW) == utc(2026, 10, 24, 7)
    assert send_time(utc(2026, 10, 25, 6), LONDON, WINDOW) == utc(2026, 10, 25, 8)


def test_step_days_count_on_the_respondents_calendar_across_dst() -> None:
    # Launched Friday 6 March 2026 10:00 EST; "day 3" is Monday 9 March 10:00 EDT (only 71 hours later).
    base = dt.datetime(2026, 3, 6, 10, tzinfo=NEW_YORK).astimezone(UTC)
    due = step_due(base, 3, NEW_YORK, WINDOW)
    assert due.astimezone(NEW_YORK).replace(tzinfo=None) == dt.datetime(2026, 3, 9, 10, 0)
    assert due - base == dt.timedelta(hours=71)


def test_step_due_late_in_the_evening_moves_to_next_morning() -> None:
    base = dt.datetime(2026, 6, 1, 22, 30, tzinfo=SHANGHAI).astimezone(UTC)
    due = step_due(base, 0, SHANGHAI, WINDOW)
    assert due.astimezone(SHANGHAI).replace(tzinfo=None) == dt.datetime(2026, 6, 2, 8, 0)


def test_days_of_week_skip_the_weekend() -> None:
    weekdays = ContactWindow(days=frozenset(range(5)))
    # Saturday 13 June 2026 10:00 in Shanghai -> Monday 15 June 08:00.
    saturday = dt.datetime(2026, 6, 13, 10, tzinfo=SHANGHAI).astimezone(UTC)
    assert send_time(saturday, SHANGHAI, weekdays).astimezone(SHANGHAI).replace(tzinfo=None) == dt.datetime(
        2026, 6, 15, 8, 0
    )


def test_the_weekday_is_the_respondents_not_utcs() -> None:
    weekdays = ContactWindow(days=frozenset(range(5)))
    # Friday 23:30 UTC is already Saturday 07:30 in Shanghai: wait until Monday there.
    friday_night = utc(2026, 6, 12, 23, 30)
    assert send_time(friday_night, SHANGHAI, weekdays) == dt.datetime(2026, 6, 15, 8, tzinfo=SHANGHAI)
    # ...but it is still Friday 19:30 in New York, inside the window.
    assert send_time(friday_night, NEW_YORK, weekdays) == friday_night


def test_holidays_are_local_dates() -> None:
    christmas = ContactWindow(holidays=frozenset({dt.date(2026, 12, 25)}))
    # 25 Dec 01:00 UTC is Christmas morning 09:00 in Shanghai, still 24 Dec 20:00 in New York.
    instant = utc(2026, 12, 25, 1)
    assert send_time(instant, SHANGHAI, christmas) == dt.datetime(2026, 12, 26, 8, tzinfo=SHANGHAI)
    assert send_time(instant, NEW_YORK, christmas) == instant


def test_a_calendar_with_no_allowed_day_says_so() -> None:
    every_day = frozenset(dt.date(2026, 1, 1) + dt.timedelta(days=n) for n in range(400))
    with pytest.raises(NoContactTime, match="no allowed contact day within a year"):
        next_send_time(utc(2026, 1, 1), UTC, holidays=every_day)


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next_send_time(dt.datetime(2026, 1, 1), UTC)


@pytest.mark.parametrize(
    ("window", "message"),
    [
        ({"start": dt.time(21), "end": dt.time(8)}, "the window must start before it ends"),
        ({"days": frozenset({9})}, "days must be a non-empty subset"),
    ],
)
def test_invalid_windows_are_refused(window: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ContactWindow(**window)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("timezone", "phone", "expected"),
    [
        ("Europe/London", "+8613800138000", "Europe/London"),  # their own zone wins
        (None, "+8613800138000", "Asia/Shanghai"),
        (None, "+14155550123", "America/Los_Angeles"),  # the area code decides
        (None, "+15555555555", "UTC"),  # no single zone: the plan's
        (None, "not a number", "UTC"),
        (None, None, "UTC"),
        ("Nowhere/Atlantis", None, "UTC"),
    ],
)
def test_the_respondents_zone(timezone: str | None, phone: str | None, expected: str) -> None:
    from survey_app.fieldwork.schedule import respondent_zone

    assert respondent_zone(timezone, phone, "UTC") == ZoneInfo(expected)
