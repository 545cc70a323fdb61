"""The Twilio SDK places interview calls with Prism; Twilio's requests for the call's TwiML follow."""

from __future__ import annotations

import pytest
from sqlmodel import select

from survey_app.fieldwork import operations
from survey_app.fieldwork.models import AttemptState, ContactAttempt
from tests.survey_app.fieldwork import twilio_fixtures
from tests.survey_app.fieldwork.conftest import plan, send
from tests.survey_app.fieldwork.twilio_fixtures import (
    ACCOUNT_SID,
    FROM_NUMBER,
    NOW,
    PUBLIC_BASE,
    Call,
    add_phone_case,
    interview_of,
    library_document,
    make_phone_survey,
)

# Fixtures: Prism, the app sending to it (replacing ``app``), and the requests the SDK made.
prism = twilio_fixtures.prism
app = twilio_fixtures.prism_app
twilio_requests = twilio_fixtures.twilio_requests


def test_interview_call_is_placed_through_the_sdk_and_answered(app, client, db_session, twilio_requests):
    survey = make_phone_survey(
        db_session,
        library_document("interviewer_rating"),
        steps=[{"channel": "ivr", "day": 0, "kind": "interview"}],
    )
    phone = "+8613800138020"
    case = add_phone_case(db_session, survey, phone, language="zh-Hans")
    operations.launch(db_session, survey.id, now=NOW)
    assert plan(app, db_session, NOW) == 1
    counts = send(app, db_session, "ivr", NOW)
    assert counts == {"sent": 1}
    [request] = twilio_requests
    assert request.url.endswith(f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json")
    assert request.status == 201
    assert (request.data["To"], request.data["From"]) == (phone, FROM_NUMBER)
    db_session.expire_all()
    attempt = db_session.exec(select(ContactAttempt)).one()
    assert attempt.state == AttemptState.sent
    assert attempt.provider_id.startswith("CA")
    key = attempt.idempotency_key
    assert request.data["Url"] == f"{PUBLIC_BASE}/webhooks/twilio/voice?attempt={key}"
    assert request.data["StatusCallback"] == f"{PUBLIC_BASE}/webhooks/twilio/status?attempt={key}"
    assert request.data["MachineDetection"] == "Enable"  # hang up on machines (the default)
    # Twilio now requests the URL it was given: the Mandarin introduction and consent.
    call = Call(client, attempt.provider_id, caller=phone)
    call.answer(request.data["Url"])
    assert "感谢您参与调查" in call.spoken()
    call.press("1")
    call.press("3")
    assert interview_of(db_session, case).answers == {"ir_overall": 3}


@pytest.mark.app_config(SURVEY_IVR_ON_MACHINE="message")
def test_to_leave_a_message_the_call_waits_for_the_beep(app, db_session, twilio_requests):
    survey = make_phone_survey(
        db_session,
        library_document("interviewer_rating"),
        steps=[{"channel": "ivr", "day": 0, "kind": "interview"}],
    )
    add_phone_case(db_session, survey, "+14155550172", language="en")
    operations.launch(db_session, survey.id, now=NOW)
    plan(app, db_session, NOW)
    assert send(app, db_session, "ivr", NOW) == {"sent": 1}
    [request] = twilio_requests
    assert request.data["MachineDetection"] == "DetectMessageEnd"
