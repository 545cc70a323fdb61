"""Planning a wave in bulk gives every case the due times computed one by one, in every zone.

``plan_waves`` memoises due times per (zone, step, base instant) and reads cases as plain rows;
this checks the result against ``step_due`` called for each case and step (the slow way), for
explicit zones, zones implied by a phone number, the plan's fallback, a DST change within the
plan, and a case drawn after the launch (its own base instant).
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from survey_app.fieldwork.models import ContactAttempt, FieldworkCase
from survey_app.fieldwork.plan import parse_plan
from survey_app.fieldwork.schedule import respondent_zone, step_due
from survey_app.surveys.models import Case
from tests.survey_app.fieldwork.conftest import launch, make_case, make_survey, plan

# 28 October 2026: Europe leaves summer time on 25 October, New York on 1 November (day 4 step).
NOW = dt.datetime(2026, 10, 28, 23, 30, tzinfo=dt.UTC)
STEPS = [
    {"channel": "email", "day": 0, "kind": "invite"},
    {"channel": "email", "day": 4, "kind": "reminder"},
    {"channel": "sms", "day": 6, "kind": "reminder"},
]
EXTRA = {"window": ["09:00", "20:00"], "days": [0, 1, 2, 3, 4], "timezone": "Europe/London"}


def test_a_wave_in_several_zones_gets_the_due_times_of_the_step_by_step_computation(app, db_session):
    survey = make_survey(db_session)
    cases = [
        make_case(db_session, survey, email="a@example.org", timezone="Asia/Shanghai"),
        make_case(db_session, survey, email="b@example.org", timezone="Asia/Shanghai"),
        make_case(db_session, survey, email="c@example.org", timezone="America/New_York"),
        make_case(db_session, survey, email="d@example.org", phone="+8613800138000"),  # → Shanghai
        make_case(db_session, survey, email="e@example.org", phone="+14155550123"),  # → Los Angeles
        make_case(db_session, survey, email="f@example.org"),  # the plan's zone
        make_case(db_session, survey, email="g@example.org", timezone="Asia/Taipei", phone="+14155550124"),
        make_case(db_session, survey, email="h@example.org", timezone="Australia/Sydney"),
        # Drawn after the launch: counted from its own creation.
        make_case(
            db_session,
            survey,
            email="i@example.org",
            timezone="Asia/Shanghai",
            created_at=NOW + dt.timedelta(hours=5),
        ),
    ]
    launch(db_session, survey, STEPS, now=NOW, **EXTRA)
    assert plan(app, db_session, NOW) == 3 * len(cases)

    parsed = parse_plan({"steps": STEPS, **EXTRA})
    expected = {}
    for case in cases:
        details = db_session.get(FieldworkCase, case.id)
        stored_case = db_session.get(Case, case.id)
        tz = respondent_zone(details.timezone, details.phone_e164, parsed.timezone)
        base = max(NOW, stored_case.created_at)
        for step in parsed.steps:
            expected[(case.id, step.index)] = step_due(base, step.day, tz, parsed.window)
    db_session.expire_all()
    stored = {(a.case_id, a.step): a.due_at for a in db_session.exec(select(ContactAttempt))}
    assert stored == expected
    # The zones really differ (the check is not passing on one shared value).
    assert len({stored[(case.id, 0)] for case in cases}) >= 4


def test_a_wave_larger_than_one_batch_plans_every_case_once(app, db_session, monkeypatch):
    monkeypatch.setattr("survey_app.fieldwork.planning.PLAN_BATCH", 3)
    survey = make_survey(db_session)
    cases = [
        make_case(db_session, survey, email=f"p{n}@example.org", timezone="Asia/Taipei") for n in range(7)
    ]
    launch(db_session, survey, STEPS[:1], now=NOW, **EXTRA)
    assert plan(app, db_session, NOW) == 7
    assert plan(app, db_session, NOW) == 0  # idempotent
    db_session.expire_all()
    planned = sorted(a.case_id for a in db_session.exec(select(ContactAttempt)))
    assert planned == sorted(case.id for case in cases)


def test_cases_the_caller_already_loaded_show_the_issued_link_after_planning(app, db_session):
    from survey_app.fieldwork.links import personal_link_token
    from survey_app.surveys.tokens import token_hash

    survey = make_survey(db_session)
    case = make_case(db_session, survey, email="ann@example.org")
    details = db_session.get(FieldworkCase, case.id)
    assert details.link_issued_at is None
    launch(db_session, survey, STEPS[:1], now=NOW, **EXTRA)
    assert plan(app, db_session, NOW) == 1
    # Written by Core statements; the session's own copies were expired, not left stale.
    assert case.token_hash == token_hash(personal_link_token(app.config["SECRET_KEY"], case.id))
    assert details.link_issued_at == NOW
