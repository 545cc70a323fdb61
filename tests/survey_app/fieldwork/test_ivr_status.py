"""Call status callbacks (signed) record each interview call's progress and outcome."""

from __future__ import annotations

import pytest

from survey_app.fieldwork.models import AttemptState
from tests.survey_app.fieldwork.twilio_fixtures import (
    TWILIO_CONFIG,
    Call,
    add_attempt,
    add_phone_case,
    attempt_row,
    library_document,
    make_phone_survey,
    post_signed,
    public_url,
)

pytestmark = pytest.mark.app_config(**TWILIO_CONFIG)
PHONE = "+14155550180"
SID = "CA" + "c" * 32


@pytest.fixture
def attempt(db_session):
    survey = make_phone_survey(
        db_session,
        library_document("interviewer_rating"),
        steps=[{"channel": "ivr", "day": 0, "kind": "interview"}],
    )
    case = add_phone_case(db_session, survey, PHONE)
    row = add_attempt(db_session, case, channel="ivr")
    row.state, row.sent_at, row.address = AttemptState.sending, None, PHONE
    db_session.add(row)
    db_session.commit()
    return row


def call_status(client, attempt, status: str, **extra: str) -> None:
    params = {"CallSid": SID, "CallStatus": status, "To": PHONE, "Direction": "outbound-api", **extra}
    query = {"attempt": attempt.idempotency_key}
    assert post_signed(client, "/webhooks/twilio/status", params, query=query).status_code == 204


def test_initiated_ringing_answered_completed(client, db_session, attempt):
    call_status(client, attempt, "initiated")
    assert attempt_row(db_session, attempt.id).state == AttemptState.sent
    call_status(client, attempt, "ringing")
    call_status(client, attempt, "in-progress")
    row = attempt_row(db_session, attempt.id)
    assert row.state == AttemptState.sent
    assert row.provider_id == SID
    call_status(client, attempt, "completed", CallDuration="95")
    row = attempt_row(db_session, attempt.id)
    assert row.state == AttemptState.delivered
    assert row.finished_at is not None
    assert row.error_code is None


@pytest.mark.parametrize("status", ["busy", "no-answer", "canceled"])
def test_calls_nobody_answered_keep_why(client, db_session, attempt, status):
    call_status(client, attempt, "initiated")
    call_status(client, attempt, status)
    row = attempt_row(db_session, attempt.id)
    assert row.state == AttemptState.failed
    assert row.error_code == status


def test_a_failed_call_keeps_twilios_error_code(client, db_session, attempt):
    call_status(client, attempt, "failed", ErrorCode="13224")
    row = attempt_row(db_session, attempt.id)
    assert (row.state, row.error_code) == (AttemptState.failed, "13224")


def test_completed_after_an_answering_machine_keeps_the_machine_outcome(client, db_session, attempt):
    call = Call(client, SID, caller=PHONE)
    call.answer(public_url("/webhooks/twilio/voice", {"attempt": attempt.idempotency_key}), "machine_start")
    call_status(client, attempt, "completed")
    row = attempt_row(db_session, attempt.id)
    assert (row.state, row.error_code) == (AttemptState.failed, "answering_machine")
