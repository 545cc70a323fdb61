"""Calling rules in the respondent's time zone: calling hours, day parts, when to try again.

Pure functions of an instant and an IANA zone (no database), so the queue and the tests share them.
Calling hours are the half-open interval [08:00, 21:00) local time (``fieldwork-standards.md`` §4);
day parts follow BRFSS: weekday daytime (before 17:00), weeknight (from 17:00), weekend.
"""

from __future__ import annotations

import datetime as dt
import enum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

CALL_START = dt.time(8, 0)
CALL_END = dt.time(21, 0)
WEEKNIGHT_START = dt.time(17, 0)
#: Search step and horizon for the next slot of another day part.
_STEP = dt.timedelta(minutes=15)
_HORIZON = dt.timedelta(days=8)


class DayPart(enum.StrEnum):
    """A calling occasion: attempts rotate across them."""

    weekday = "weekday"
    weeknight = "weeknight"
    weekend = "weekend"


def zone(name: str) -> ZoneInfo:
    """The zone called ``name``; an unknown or empty name falls back to UTC (never fails a call)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local(instant: dt.datetime, zone_name: str) -> dt.datetime:
    """``instant`` (aware) as an aware local time in ``zone_name``."""
    return instant.astimezone(zone(zone_name))


def in_calling_hours(instant: dt.datetime, zone_name: str) -> bool:
    """Whether ``instant`` is within [08:00, 21:00) at the respondent's location."""
    t = local(instant, zone_name).time()
    return CALL_START <= t < CALL_END


def in_working_hours(instant: dt.datetime, start: str, end: str, zone_name: str) -> bool:
    """Whether ``instant`` is within an agent's working hours ``[start, end)`` (local ``HH:MM`` in
    ``zone_name``). Unreadable hours count as closed: a broken profile serves no case."""
    try:
        opens, closes = dt.time.fromisoformat(start), dt.time.fromisoformat(end)
    except ValueError:
        return False
    return opens <= local(instant, zone_name).time() < closes


def day_part(instant: dt.datetime, zone_name: str) -> DayPart:
    """The calling occasion ``instant`` falls in, in the respondent's time zone."""
    moment = local(instant, zone_name)
    if moment.weekday() >= 5:
        return DayPart.weekend
    return DayPart.weeknight if moment.time() >= WEEKNIGHT_START else DayPart.weekday


def next_slot(
    after: dt.datetime, zone_name: str, *, avoid: frozenset[DayPart] = frozenset(), min_delay: dt.timedelta
) -> dt.datetime:
    """The first instant at least ``min_delay`` after ``after`` that is within calling hours and
    in a day part not in ``avoid`` (the rotation: the part just used, parts whose share is used up).

    Falls back to the first calling-hours slot when no other day part is reachable in eight days.
    """
    start = after + min_delay
    fallback: dt.datetime | None = None
    moment = start
    while moment < start + _HORIZON:
        if in_calling_hours(moment, zone_name):
            if fallback is None:
                fallback = moment
            if day_part(moment, zone_name) not in avoid:
                return moment
        moment = _advance(moment, zone_name)
    return fallback or start


def _advance(moment: dt.datetime, zone_name: str) -> dt.datetime:
    # Step on a quarter-hour grid of local time, so a slot found is a round local time.
    here = local(moment, zone_name)
    minutes = here.minute % 15
    step = _STEP - dt.timedelta(minutes=minutes, seconds=here.second, microseconds=here.microsecond)
    return moment + (step if step > dt.timedelta(0) else _STEP)


def parse_local(value: str, zone_name: str) -> dt.datetime:
    """Read a ``YYYY-MM-DDTHH:MM`` local time of the respondent as a UTC instant.

    :raises ValueError: not a date-time, or a time the clocks skip in that zone.
    """
    naive = dt.datetime.fromisoformat(value.strip())
    if naive.tzinfo is not None:
        raise ValueError(value)
    tz = zone(zone_name)
    instant = naive.replace(tzinfo=tz).astimezone(dt.UTC)
    if instant.astimezone(tz).replace(tzinfo=None) != naive:
        raise ValueError(value)
    return instant
