"""Survey dates as staff see them: local date-times in ``SURVEY_TIMEZONE``, stored in UTC."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app

#: Offered in the time zone field (any IANA name is accepted).
COMMON_ZONES = (
    "UTC",
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Taipei",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
)


class NonexistentLocalTime(ValueError):
    """The local time falls in a daylight-saving gap: the clocks skip it in that time zone."""


def configured_zone_name() -> str:
    """The ``SURVEY_TIMEZONE`` of the current app (default UTC)."""
    return str(current_app.config["SURVEY_SETTINGS"].timezone)


def zone(name: str) -> ZoneInfo:
    """The time zone called ``name``; raises ValueError for an unknown name."""
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(name) from None


def to_utc(local: dt.datetime, zone_name: str) -> dt.datetime:
    """Interpret the naive ``local`` date-time in ``zone_name`` and return it in UTC.

    An ambiguous time (clocks go back) means its first occurrence.

    :raises NonexistentLocalTime: the time does not exist there (clocks go forward over it).
    :raises ValueError: ``zone_name`` is not a time zone.
    """
    tz = zone(zone_name)
    aware = local.replace(tzinfo=tz, fold=0)
    instant = aware.astimezone(dt.UTC)
    if instant.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise NonexistentLocalTime(local.isoformat(timespec="minutes"))
    return instant


def to_local(instant: dt.datetime | None, zone_name: str | None = None) -> dt.datetime | None:
    """``instant`` as a naive local date-time in ``zone_name`` (default ``SURVEY_TIMEZONE``)."""
    if instant is None:
        return None
    return instant.astimezone(zone(zone_name or configured_zone_name())).replace(tzinfo=None)


def format_local(instant: dt.datetime | None) -> str:
    """``2026-11-22 16:00`` in ``SURVEY_TIMEZONE``, for tables and detail pages; empty for None."""
    local = to_local(instant)
    return local.strftime("%Y-%m-%d %H:%M") if local is not None else ""
