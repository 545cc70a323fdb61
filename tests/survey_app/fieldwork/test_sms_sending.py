"""The Twilio SDK sends SMS invitations and SMS interviews to Prism serving Twilio's own API spec."""

from __future__ import annotations

import hashlib
import html

import pytest
from sqlmodel import select

from survey_app.fieldwork import operations
from survey_app.fieldwork.models import AttemptState, ContactAttempt
from survey_app.fieldwork.outbound import sms_link_text  # noqa: F401  (the invitation's wording)
from tests.survey_app.fieldwork import twilio_fixtures
from tests.survey_app.fieldwork.conftest import plan, send
from tests.survey_app.fieldwork.twilio_fixtures import (
    ACCOUNT_SID,
    FROM_NUMBER,
    NOW,
    PUBLIC_BASE,
    add_phone_case,
    interview_of,
    library_document,
    make_phone_survey,
    post_signed,
)

# Fixtures: Prism, the app sending to it (replacing ``app``), and the requests the SDK made.
prism = twilio_fixtures.prism
app = twilio_fixtures.prism_app
twilio_requests = twilio_fixtures.twilio_requests


def attempts(db_session) -> list[ContactAttempt]:
    db_session.expire_all()
    return list(db_session.exec(select(ContactAttempt).order_by(ContactAttempt.id)).all())


def test_sms_invitation_goes_through_the_sdk(app, db_session, twilio_requests):
    survey = make_phone_survey(
        db_session,
        library_document("interviewer_rating"),
        steps=[{"channel": "sms", "day": 0, "kind": "invite"}],
    )
    add_phone_case(db_session, survey, "+14155550170", language="zh-Hans")
    operations.launch(db_session, survey.id, now=NOW)
    assert plan(app, db_session, NOW) == 1
    assert send(app, db_session, "sms", NOW) == {"sent": 1}
    [request] = twilio_requests
    assert request.method == "POST"
    assert request.url.endswith(f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json")
    assert request.status == 201
    assert request.data["To"] == "+14155550170"
    assert request.data["From"] == FROM_NUMBER
    assert f"{PUBLIC_BASE}/s/" in request.data["Body"]  # the personal web link
    assert "访问员服务评价" in request.data["Body"]  # the title, in the case's language
    [attempt] = attempts(db_session)
    assert (
        request.data["StatusCallback"]
        == f"{PUBLIC_BASE}/webhooks/twilio/status?attempt={attempt.idempotency_key}"
    )
    assert attempt.state == AttemptState.sent
    assert attempt.provider_id.startswith("SM")  # what Prism answered
    assert attempt.content_hash == hashlib.sha256(request.data["Body"].encode()).hexdigest()


def test_sms_interview_starts_through_the_sdk_and_continues_by_webhook(
    app, client, db_session, twilio_requests
):
    survey = make_phone_survey(db_session, library_document("interviewer_rating"))  # an SMS interview step
    phone = "+14155550171"
    case = add_phone_case(db_session, survey, phone, language="en")
    operations.launch(db_session, survey.id, now=NOW)
    plan(app, db_session, NOW)
    assert send(app, db_session, "sms", NOW) == {"sent": 1}
    [request] = twilio_requests
    body = request.data["Body"]
    assert "Reply STOP to opt out" in body
    assert "How satisfied are you with the interviewer" in body  # the first question's SMS text
    interview = interview_of(db_session, case)
    assert interview is not None
    assert interview.channel == "sms"
    params = {"MessageSid": "SM" + "b" * 32, "From": phone, "To": FROM_NUMBER, "Body": "5"}
    reply = html.unescape(post_signed(client, "/webhooks/twilio/sms", params).get_data(as_text=True))
    assert "How easy was the interviewer" in reply
    assert interview_of(db_session, case).answers == {"ir_overall": 5}
    assert len(twilio_requests) == 1  # replies go back as TwiML, not as new API calls


def test_a_missing_twilio_mock_fails_under_ci(monkeypatch):
    """On CI the Twilio tests must run: a missing Node or Prism fails them instead of skipping."""
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        twilio_fixtures._missing_tool("Node.js is not installed")
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception):
        twilio_fixtures._missing_tool("Node.js is not installed")
