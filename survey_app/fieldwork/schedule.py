"""When a respondent may be contacted: pure functions over instants, time zones and calendars.

Calling hours are a half-open window ``[start, end)`` of wall-clock time in the **respondent's**
IANA time zone (default 08:00-21:00, fieldwork standards §4), on allowed days of the week, never
on holidays. Everything here is pure (no database, no Flask) and works on aware UTC datetimes.

DST rule: on a given local date the window opens at the first instant the local clock reads
``start`` and closes at the first instant it reads ``end``. A wall time skipped by a spring-forward
change (02:30 on 8 March 2026 in New York) opens at the end of the gap (03:00 EDT); a repeated
wall time (01:30 on 1 November 2026 in New York) means its first occurrence.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as phone_timezones

#: Monday = 0 ... Sunday = 6 (``date.weekday()``).
ALL_DAYS = frozenset(range(7))
DEFAULT_START = dt.time(8, 0)
DEFAULT_END = dt.time(21, 0)
#: How far ahead to look for an allowed day before giving up (a calendar of only holidays).
MAX_DAYS_AHEAD = 366


class NoContactTime(ValueError):
    """The calendar allows no contact at all within a year (every day excluded)."""


@dataclass(frozen=True)
class ContactWindow:
    """The hours and days a respondent may be contacted, in their own time zone."""

    start: dt.time = DEFAULT_START
    end: dt.time = DEFAULT_END
    days: frozenset[int] = ALL_DAYS
    holidays: frozenset[dt.date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ValueError(f"the window must start before it ends, got {self.start}-{self.end}")
        if not self.days or not self.days <= ALL_DAYS:
            raise ValueError(f"days must be a non-empty subset of 0 (Monday) .. 6 (Sunday), got {self.days}")


def zone(name: str | None, fallback: str = "UTC") -> ZoneInfo:
    """Return the IANA zone ``name``, else ``fallback`` (unknown or missing zones never fail a send)."""
    for candidate in (name, fallback, "UTC"):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def respondent_zone(timezone: str | None, phone_e164: str | None, fallback: str) -> ZoneInfo:
    """Return the respondent's zone: their own, else the one their phone number implies, else ``fallback``.

    A number is used only when its numbering plan maps to exactly one zone (``+86`` → Shanghai,
    a Californian area code → Los Angeles); countries spanning zones without such detail fall back.
    """
    if not timezone and phone_e164:
        try:
            zones = phone_timezones.time_zones_for_number(phonenumbers.parse(phone_e164))
        except phonenumbers.NumberParseException:
            zones = ()
        if len(zones) == 1 and is_valid_zone(zones[0]):
            timezone = zones[0]
    return zone(timezone, fallback)


@functools.lru_cache(maxsize=1024)
def is_valid_zone(name: str) -> bool:
    """Return True when ``name`` is an IANA time zone known to tzdata."""
    # Cached: ZoneInfo caches the zones it finds but not the misses, and phonenumbers answers
    # "Etc/Unknown" for every number it finds invalid (a search of the tzdata files each time).
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _wall(instant: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    return instant.astimezone(tz).replace(tzinfo=None)


def first_instant_at(day: dt.date, wall_time: dt.time, tz: ZoneInfo) -> dt.datetime:
    """Return the first UTC instant at which the clock in ``tz`` reads ``wall_time`` or later on ``day``."""
    naive = dt.datetime.combine(day, wall_time)
    instants = [naive.replace(tzinfo=tz, fold=fold).astimezone(dt.UTC) for fold in (0, 1)]
    exact = [i for i in instants if _wall(i, tz) == naive]
    if exact:
        return min(exact)
    # In a spring-forward gap: fold=1 lands before it, fold=0 after; find the transition (whole seconds).
    low, high = (int(i.timestamp()) for i in sorted(instants))
    while high - low > 1:
        middle = (low + high) // 2
        if _wall(dt.datetime.fromtimestamp(middle, dt.UTC), tz) >= naive:
            high = middle
        else:
            low = middle
    return dt.datetime.fromtimestamp(high, dt.UTC)


def _allowed(day: dt.date, days: Iterable[int], holidays: Iterable[dt.date]) -> bool:
    return day.weekday() in set(days) and day not in set(holidays)


def next_send_time(
    now_utc: dt.datetime,
    tz: ZoneInfo,
    window: tuple[dt.time, dt.time] = (DEFAULT_START, DEFAULT_END),
    days: Iterable[int] = ALL_DAYS,
    holidays: Iterable[dt.date] = (),
) -> dt.datetime:
    """Return the earliest instant at or after ``now_utc`` inside the contact window, in UTC.

    :param tz: the respondent's time zone.
    :param window: ``(start, end)`` wall-clock times, half-open: ``end`` itself is outside.
    :param days: allowed weekdays, Monday = 0.
    :param holidays: local dates on which nobody is contacted.
    :raises NoContactTime: no allowed day within a year.
    """
    if now_utc.tzinfo is None:
        raise ValueError("now_utc must be timezone-aware")
    start, end = window
    days, holidays = frozenset(days), frozenset(holidays)
    now_utc = now_utc.astimezone(dt.UTC)
    today = now_utc.astimezone(tz).date()
    for offset in range(MAX_DAYS_AHEAD + 1):
        day = today + dt.timedelta(days=offset)
        if not _allowed(day, days, holidays):
            continue
        opens, closes = first_instant_at(day, start, tz), first_instant_at(day, end, tz)
        candidate = max(now_utc, opens)
        if candidate < closes:
            return candidate
    raise NoContactTime("no allowed contact day within a year: check the days of week and holidays")


def in_window(instant: dt.datetime, tz: ZoneInfo, window: ContactWindow) -> bool:
    """Return True when ``instant`` may be used for contact."""
    return next_send_time(instant, tz, (window.start, window.end), window.days, window.holidays) == instant


def send_time(now_utc: dt.datetime, tz: ZoneInfo, window: ContactWindow) -> dt.datetime:
    """:func:`next_send_time` with a :class:`ContactWindow`."""
    return next_send_time(now_utc, tz, (window.start, window.end), window.days, window.holidays)


def step_due(base_utc: dt.datetime, day_offset: int, tz: ZoneInfo, window: ContactWindow) -> dt.datetime:
    """Return when a plan step ``day_offset`` calendar days after ``base_utc`` may go out.

    Days are counted on the respondent's calendar (same wall time ``day_offset`` local days later,
    so a DST change in between moves nothing), then moved into the contact window.
    """
    local = base_utc.astimezone(tz)
    target_day = local.date() + dt.timedelta(days=day_offset)
    target = first_instant_at(target_day, local.time().replace(tzinfo=None, fold=0), tz)
    return send_time(max(target, base_utc), tz, window)
