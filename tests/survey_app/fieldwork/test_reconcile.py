"""Settling attempts a stopped worker left ``sending``: never re-send blindly, never skip."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from survey_app.fieldwork.models import AttemptState, ContactAttempt
from survey_app.fieldwork.reconcile import reconcile_attempts
from survey_app.fieldwork.sending import worker_id
from tests.survey_app.fieldwork.conftest import launch, make_case, make_survey, plan

NOW = dt.datetime(2026, 6, 10, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def in_flight(app, db_session):
    """One e-mail and one SMS attempt, each claimed by a worker that then died (10 minutes ago)."""
    survey = make_survey(db_session)
    make_case(db_session, survey, email="ann@example.org", phone="+14155550123")
    launch(db_session, survey, [{"channel": "email", "day": 0}, {"channel": "sms", "day": 0}], now=NOW)
    plan(app, db_session, NOW)
    for attempt in db_session.exec(select(ContactAttempt)):
        attempt.state, attempt.claimed_by = AttemptState.sending, "gone-host:123:dead"
        attempt.claimed_at = NOW - dt.timedelta(minutes=10)
        db_session.add(attempt)
    db_session.commit()
    return survey


def by_channel(session) -> dict[str, ContactAttempt]:
    session.expire_all()
    return {a.channel: a for a in session.exec(select(ContactAttempt))}


def reconcile(app, session, lookup):
    return reconcile_attempts(session, app.config["SURVEY_SETTINGS"], now=NOW, lookup=lookup)


@pytest.mark.usefixtures("in_flight")
def test_an_sms_the_provider_has_is_marked_sent_and_never_resent(app, db_session):
    counts = reconcile(app, db_session, lambda attempt: "SM" + "1" * 32)
    assert counts == {"replanned": 1, "found_sent": 1}
    attempts = by_channel(db_session)
    assert (attempts["sms"].state, attempts["sms"].provider_id) == (AttemptState.sent, "SM" + "1" * 32)
    # E-mail has no lookup: planned again, to go out with the same Message-ID.
    assert attempts["email"].state is AttemptState.planned
    assert attempts["email"].error_message.startswith("re-sent")


@pytest.mark.usefixtures("in_flight")
def test_an_sms_the_provider_does_not_have_is_planned_again(app, db_session):
    reconcile(app, db_session, lambda attempt: None)
    assert by_channel(db_session)["sms"].state is AttemptState.planned


@pytest.mark.usefixtures("in_flight")
def test_when_the_provider_cannot_tell_the_attempt_waits(app, db_session):
    assert reconcile(app, db_session, lambda attempt: False)["still_unknown"] == 1
    assert by_channel(db_session)["sms"].state is AttemptState.unknown
    # Next round, the provider answers.
    reconcile(app, db_session, lambda attempt: "SM" + "2" * 32)
    assert by_channel(db_session)["sms"].state is AttemptState.sent


def test_a_live_workers_call_and_a_recent_claim_are_left_alone(app, db_session, in_flight):
    attempts = by_channel(db_session)
    attempts["email"].claimed_by = worker_id()  # this process: its call is still running
    attempts["sms"].claimed_at = NOW - dt.timedelta(seconds=5)  # another worker, seconds ago
    db_session.add_all(attempts.values())
    db_session.commit()
    assert reconcile(app, db_session, lambda attempt: None) == {}
    assert {a.state for a in by_channel(db_session).values()} == {AttemptState.sending}
