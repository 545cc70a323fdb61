"""Channel plans: a valid plan round-trips; every kind of mistake is named in a clear message."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from survey_app.fieldwork.plan import PlanError, parse_plan, plan_document

GOOD: dict[str, Any] = {
    "steps": [
        {"channel": "email", "day": 0, "kind": "invite"},
        {"channel": "email", "day": 3, "kind": "reminder"},
        {"channel": "sms", "day": 5, "kind": "interview"},
        {"channel": "ivr", "day": 8, "kind": "interview"},
    ],
    "window": ["09:00", "20:00"],
    "days": [0, 1, 2, 3, 4],
    "holidays": ["2026-12-25"],
    "timezone": "Asia/Shanghai",
    "max_attempts": 4,
}


def test_a_full_plan_parses_and_round_trips() -> None:
    plan = parse_plan(GOOD)
    assert [(s.index, s.channel, s.day, s.kind) for s in plan.steps] == [
        (0, "email", 0, "invite"),
        (1, "email", 3, "reminder"),
        (2, "sms", 5, "interview"),
        (3, "ivr", 8, "interview"),
    ]
    assert plan.window.start == dt.time(9)
    assert plan.window.end == dt.time(20)
    assert plan.window.days == frozenset({0, 1, 2, 3, 4})
    assert plan.window.holidays == frozenset({dt.date(2026, 12, 25)})
    assert plan.timezone == "Asia/Shanghai"
    assert plan.max_attempts == 4
    assert parse_plan(plan_document(plan)) == plan


def test_defaults_are_the_standard_calling_hours_every_day() -> None:
    plan = parse_plan({"steps": [{"channel": "email"}]})
    assert (plan.window.start, plan.window.end) == (dt.time(8), dt.time(21))
    assert plan.window.days == frozenset(range(7))
    assert plan.steps[0].kind == "invite"
    assert plan.timezone == "UTC"


def test_preferred_channel_keeps_only_its_steps_when_the_plan_has_some() -> None:
    plan = parse_plan(GOOD)
    assert [s.channel for s in plan.steps_for("sms")] == ["sms"]
    assert len(plan.steps_for("fax")) == 4
    assert len(plan.steps_for(None)) == 4


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"steps": []}, "steps must be a non-empty list"),
        ({"steps": "email"}, "steps must be a non-empty list"),
        ({"steps": ["email"]}, "step 1 must be an object with channel, day and kind"),
        ({"steps": [{"channel": "fax"}]}, "step 1: channel must be one of email, sms, ivr, got 'fax'"),
        (
            {"steps": [{"channel": "email", "kind": "interview"}]},
            "step 1: email kind must be one of invite, reminder",
        ),
        (
            {"steps": [{"channel": "email", "day": -1}]},
            "step 1: day must be a whole number of days from launch",
        ),
        (
            {"steps": [{"channel": "email", "day": "3"}]},
            "step 1: day must be a whole number of days from launch",
        ),
        (
            {"steps": [{"channel": "email", "day": 3}, {"channel": "sms", "day": 1}]},
            "step 2: day 1 comes before the previous step's day 3",
        ),
        ({"window": ["8am", "21:00"]}, "the window start must be a time like 08:00, got '8am'"),
        ({"window": ["21:00", "08:00"]}, "the window must start before it ends"),
        ({"days": [7]}, "days must list weekdays as numbers, 0 = Monday to 6 = Sunday"),
        ({"days": []}, "days must list weekdays as numbers"),
        ({"holidays": ["25/12/2026"]}, "holiday '25/12/2026' must be a date like 2026-12-25"),
        (
            {"timezone": "Mars/Olympus"},
            "timezone must be an IANA time zone such as Asia/Shanghai, got 'Mars/Olympus'",
        ),
        ({"window": "08:00-21:00"}, 'window must be a list of two times, like ["08:00", "21:00"]'),
        ({"window": ["08:00", "12:00", "21:00"]}, "window must be a list of two times"),
        ({"days": [[1]]}, "days must list weekdays as numbers"),
        ({"days": [True]}, "days must list weekdays as numbers"),
        ({"holidays": "2026-12-25"}, "holidays must be a list of dates like 2026-12-25"),
        (
            {"steps": [{"channel": ["email"]}]},
            "step 1: channel must be one of email, sms, ivr, got ['email']",
        ),
        ({"max_attempts": 0}, "max_attempts must be a whole number, at least 1"),
        ({"max_attempts": True}, "max_attempts must be a whole number, at least 1"),
    ],
)
def test_each_mistake_is_named(change: dict[str, Any], message: str) -> None:
    with pytest.raises(PlanError) as error:
        parse_plan({**GOOD, **change})
    assert any(message in problem for problem in error.value.problems), error.value.problems


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(PlanError) as error:
        parse_plan({"steps": [{"channel": "fax"}], "timezone": "Nowhere", "max_attempts": -2})
    assert len(error.value.problems) == 3
