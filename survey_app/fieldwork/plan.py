"""A survey's channel plan (mixed mode) as a value object: ordered steps, calling hours, attempt cap.

Stored as JSON on ``fieldwork_plans``; :func:`parse_plan` turns it into a :class:`ChannelPlan` or
raises :class:`PlanError` naming every problem. Example (e-mail day 0, e-mail reminder day 3,
an SMS interview day 5, an automated call day 8)::

    {"steps": [{"channel": "email", "day": 0, "kind": "invite"},
               {"channel": "email", "day": 3, "kind": "reminder"},
               {"channel": "sms", "day": 5, "kind": "interview"},
               {"channel": "ivr", "day": 8, "kind": "interview"}],
     "window": ["08:00", "21:00"], "days": [0, 1, 2, 3, 4, 5], "holidays": ["2026-12-25"],
     "timezone": "Asia/Shanghai", "max_attempts": 4}

Kinds: ``invite`` and ``reminder`` carry the personal web link (e-mail or SMS); ``interview`` is
the survey itself over the medium (a conversational SMS, an automated call).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from survey_app.fieldwork.schedule import ALL_DAYS, DEFAULT_END, DEFAULT_START, ContactWindow, is_valid_zone

CHANNELS = ("email", "sms", "ivr")
KINDS: dict[str, tuple[str, ...]] = {
    "email": ("invite", "reminder"),
    "sms": ("invite", "reminder", "interview"),
    "ivr": ("interview",),
}
#: Address each channel needs.
ADDRESS_OF = {"email": "email", "sms": "phone", "ivr": "phone"}
DEFAULT_MAX_ATTEMPTS = 6


class PlanError(ValueError):
    """The plan cannot be used; ``problems`` says what to fix, one line each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class PlanStep:
    """One contact in the sequence: a channel, a day offset from the wave launch, and a kind."""

    index: int
    channel: str
    day: int
    kind: str


@dataclass(frozen=True)
class ChannelPlan:
    """The ordered steps, the contact window and the per-case cap on attempts."""

    steps: tuple[PlanStep, ...]
    window: ContactWindow
    timezone: str = "UTC"
    """The time zone of respondents whose own zone is unknown."""
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    """Contacts actually made to one case across all steps; further steps are skipped."""

    def steps_for(self, preferred_channel: str | None) -> tuple[PlanStep, ...]:
        """Return the steps a case gets: only its preferred channel's, when the plan has any."""
        if preferred_channel:
            preferred = tuple(s for s in self.steps if s.channel == preferred_channel)
            if preferred:
                return preferred
        return self.steps


def _time(value: object, which: str, problems: list[str]) -> dt.time | None:
    try:
        return dt.time.fromisoformat(str(value))
    except ValueError:
        if which == "start":
            problems.append(_("the window start must be a time like 08:00, got %(value)s", value=repr(value)))
        else:
            problems.append(_("the window end must be a time like 21:00, got %(value)s", value=repr(value)))
        return None


def _step(number: int, item: object, previous: PlanStep | None, problems: list[str]) -> PlanStep | None:
    if not isinstance(item, Mapping):
        problems.append(_("step %(number)d must be an object with channel, day and kind", number=number))
        return None
    channel, kind, day = item.get("channel"), item.get("kind"), item.get("day", 0)
    if not isinstance(channel, str) or channel not in KINDS:
        problems.append(
            _(
                "step %(number)d: channel must be one of %(choices)s, got %(value)s",
                number=number,
                choices=", ".join(CHANNELS),
                value=repr(channel),
            )
        )
        return None
    kind = kind or KINDS[channel][0]
    if kind not in KINDS[channel]:
        problems.append(
            _(
                "step %(number)d: %(channel)s kind must be one of %(choices)s",
                number=number,
                channel=channel,
                choices=", ".join(KINDS[channel]),
            )
        )
    if isinstance(day, bool) or not isinstance(day, int) or day < 0:
        problems.append(
            _("step %(number)d: day must be a whole number of days from launch (0 or more)", number=number)
        )
        return None
    if previous is not None and day < previous.day:
        problems.append(
            _(
                "step %(number)d: day %(day)d comes before the previous step's day %(previous)d",
                number=number,
                day=day,
                previous=previous.day,
            )
        )
    return PlanStep(index=number - 1, channel=channel, day=day, kind=str(kind))


def _steps(raw: object, problems: list[str]) -> list[PlanStep]:
    if not isinstance(raw, list) or not raw:
        problems.append(_("steps must be a non-empty list"))
        return []
    steps: list[PlanStep] = []
    for number, item in enumerate(raw, start=1):
        step = _step(number, item, steps[-1] if steps else None, problems)
        if step is not None:
            steps.append(step)
    return steps


def _window(raw: object, problems: list[str]) -> tuple[dt.time | None, dt.time | None]:
    if raw is None:
        return DEFAULT_START, DEFAULT_END
    if not isinstance(raw, list | tuple) or len(raw) != 2:
        problems.append(_('window must be a list of two times, like ["08:00", "21:00"]'))
        return None, None
    return _time(raw[0], "start", problems), _time(raw[1], "end", problems)


def _days(raw: object, problems: list[str]) -> frozenset[int]:
    if raw is None:
        return ALL_DAYS
    if (
        not isinstance(raw, list)
        or not raw
        or any(isinstance(d, bool) or not isinstance(d, int) or d not in ALL_DAYS for d in raw)
    ):
        problems.append(_("days must list weekdays as numbers, 0 = Monday to 6 = Sunday"))
        return ALL_DAYS
    return frozenset(raw)


def _holidays(raw: object, problems: list[str]) -> frozenset[dt.date]:
    if raw is None:
        return frozenset()
    if not isinstance(raw, list):
        problems.append(_("holidays must be a list of dates like 2026-12-25"))
        return frozenset()
    holidays: set[dt.date] = set()
    for value in raw:
        try:
            holidays.add(dt.date.fromisoformat(str(value)))
        except ValueError:
            problems.append(_("holiday %(value)s must be a date like 2026-12-25", value=repr(value)))
    return frozenset(holidays)


def parse_plan(data: Mapping[str, Any]) -> ChannelPlan:
    """Return the plan described by ``data`` (the stored JSON); raise :class:`PlanError` if invalid.

    Messages are in the interface language of the caller (staff see them on the plan page).
    """
    problems: list[str] = []
    steps = _steps(data.get("steps"), problems)
    start, end = _window(data.get("window"), problems)
    days = _days(data.get("days"), problems)
    holidays = _holidays(data.get("holidays"), problems)
    timezone = str(data.get("timezone") or "UTC")
    if not is_valid_zone(timezone):
        problems.append(
            _(
                "timezone must be an IANA time zone such as Asia/Shanghai, got %(value)s",
                value=repr(timezone),
            )
        )
    max_attempts = data.get("max_attempts", DEFAULT_MAX_ATTEMPTS)
    if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1:
        problems.append(_("max_attempts must be a whole number, at least 1"))
        max_attempts = DEFAULT_MAX_ATTEMPTS
    window: ContactWindow | None = None
    if start is not None and end is not None:
        if start < end:
            window = ContactWindow(start, end, days, holidays)
        else:
            problems.append(
                _(
                    "the window must start before it ends, got %(start)s-%(end)s",
                    start=start.strftime("%H:%M"),
                    end=end.strftime("%H:%M"),
                )
            )
    if problems or window is None:
        raise PlanError([str(p) for p in problems])
    return ChannelPlan(tuple(steps), window, timezone, max_attempts)


def plan_document(plan: ChannelPlan) -> dict[str, Any]:
    """Return the JSON form of ``plan`` (inverse of :func:`parse_plan`)."""
    return {
        "steps": [{"channel": s.channel, "day": s.day, "kind": s.kind} for s in plan.steps],
        "window": [plan.window.start.strftime("%H:%M"), plan.window.end.strftime("%H:%M")],
        "days": sorted(plan.window.days),
        "holidays": sorted(d.isoformat() for d in plan.window.holidays),
        "timezone": plan.timezone,
        "max_attempts": plan.max_attempts,
    }
