"""Delivery status callbacks (signed) update the contact attempt named in the StatusCallback URL."""

from __future__ import annotations

import pytest
from sqlmodel import select

from survey_app.fieldwork.models import AttemptState, OptOut
from tests.survey_app.fieldwork.twilio_fixtures import (
    TWILIO_CONFIG,
    add_attempt,
    add_phone_case,
    attempt_row,
    library_document,
    make_phone_survey,
    post_signed,
)

pytestmark = pytest.mark.app_config(**TWILIO_CONFIG)
PHONE = "+14155550150"
SID = "SM" + "a" * 32


def report(client, attempt, status: str, **extra: str):
    params = {"MessageSid": SID, "MessageStatus": status, "To": PHONE, "From": "+14155550100", **extra}
    response = post_signed(
        client, "/webhooks/twilio/status", params, query={"attempt": attempt.idempotency_key}
    )
    assert response.status_code == 204
    return response


@pytest.fixture
def attempt(db_session):
    survey = make_phone_survey(db_session, library_document("interviewer_rating"))
    case = add_phone_case(db_session, survey, PHONE, email="ann@example.org")
    row = add_attempt(db_session, case, channel="sms", kind="invite")
    row.state, row.sent_at = AttemptState.sending, None
    row.address = PHONE
    db_session.add(row)
    db_session.commit()
    return row


def test_queued_sent_delivered_in_order(client, db_session, attempt):
    report(client, attempt, "queued")
    assert attempt_row(db_session, attempt.id).state == AttemptState.sent
    report(client, attempt, "sent")
    row = attempt_row(db_session, attempt.id)
    assert row.state == AttemptState.sent
    assert row.provider_id == SID
    assert row.sent_at is not None
    report(client, attempt, "delivered")
    row = attempt_row(db_session, attempt.id)
    assert row.state == AttemptState.delivered
    assert row.finished_at is not None
    report(client, attempt, "sent")  # late and out of order: never moves the outcome back
    assert attempt_row(db_session, attempt.id).state == AttemptState.delivered


@pytest.mark.parametrize(
    ("status", "code", "state"),
    [("undelivered", "30003", AttemptState.undelivered), ("failed", "30006", AttemptState.failed)],
)
def test_undelivered_and_failed_keep_the_error_code(client, db_session, attempt, status, code, state):
    report(client, attempt, "sent")
    report(client, attempt, status, ErrorCode=code)
    row = attempt_row(db_session, attempt.id)
    assert row.state == state
    assert row.error_code == code
    assert db_session.exec(select(OptOut)).all() == []


def test_error_21610_means_the_person_opted_out_at_twilio(client, db_session, attempt):
    report(client, attempt, "failed", ErrorCode="21610")
    assert attempt_row(db_session, attempt.id).error_code == "21610"
    opted = db_session.exec(select(OptOut)).all()
    assert sorted(o.address for o in opted) == [PHONE, "ann@example.org"]
    assert {o.source for o in opted} == {"provider"}


def test_a_callback_without_our_key_is_matched_by_its_sid(client, db_session, attempt):
    attempt.provider_id, attempt.state = SID, AttemptState.sent
    db_session.add(attempt)
    db_session.commit()
    params = {"MessageSid": SID, "MessageStatus": "delivered", "To": PHONE}
    assert post_signed(client, "/webhooks/twilio/status", params).status_code == 204
    assert attempt_row(db_session, attempt.id).state == AttemptState.delivered


def test_an_unknown_status_changes_nothing(client, db_session, attempt):
    report(client, attempt, "exploded")
    assert attempt_row(db_session, attempt.id).state == AttemptState.sending
