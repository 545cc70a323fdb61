"""Twilio webhooks: X-Twilio-Signature on the public URL, 403 otherwise, idempotent processing."""

from __future__ import annotations

import pytest
from sqlmodel import select

from survey_app.fieldwork.models import OptOut, ProcessedWebhook
from tests.survey_app.fieldwork.twilio_fixtures import (
    AUTH_TOKEN,
    TWILIO_CONFIG,
    add_attempt,
    add_phone_case,
    attempt_row,
    interview_of,
    library_document,
    make_phone_survey,
    post_signed,
    public_url,
    signature,
    start_sms_interview,
)

# Per test, not module-wide: a test marker would not override a module-wide one.
TWILIO = pytest.mark.app_config(**TWILIO_CONFIG)
PHONE = "+14155550123"


def sms(body: str, sid: str, phone: str = PHONE) -> dict[str, str]:
    return {"MessageSid": sid, "SmsSid": sid, "From": phone, "To": "+14155550100", "Body": body}


@TWILIO
def test_unsigned_requests_get_403_on_every_webhook(client):
    for path in ("/webhooks/twilio/sms", "/webhooks/twilio/status", "/webhooks/twilio/voice"):
        response = post_signed(client, path, sms("1", "SM1"), header="")
        assert response.status_code == 403, path


@TWILIO
def test_tampered_request_gets_403_and_changes_nothing(client, db_session):
    params = sms("STOP", "SM" + "1" * 32)
    good = signature(public_url("/webhooks/twilio/sms"), params)
    tampered = {**params, "Body": "START"}
    response = client.post("/webhooks/twilio/sms", data=tampered, headers={"X-Twilio-Signature": good})
    assert response.status_code == 403
    wrong_key = signature(public_url("/webhooks/twilio/sms"), params, token="another-account-token")
    assert post_signed(client, "/webhooks/twilio/sms", params, header=wrong_key).status_code == 403
    assert db_session.exec(select(OptOut)).all() == []
    assert db_session.exec(select(ProcessedWebhook)).all() == []


@TWILIO
def test_signature_must_be_for_the_public_url_not_the_internal_one(client):
    params = sms("HELP", "SM" + "2" * 32)
    internal = "http://localhost/webhooks/twilio/sms"
    assert post_signed(client, "/webhooks/twilio/sms", params, signed_url=internal).status_code == 403
    assert post_signed(client, "/webhooks/twilio/sms", params).status_code == 200


@pytest.mark.app_config(
    SURVEY_TWILIO_AUTH_TOKEN=AUTH_TOKEN, SURVEY_PROXY_FIX_HOPS=1, SURVEY_PUBLIC_BASE_URL=""
)
def test_behind_a_proxy_the_forwarded_url_is_validated(client):
    """Without a configured base URL, ProxyFix rebuilds the https URL Twilio called."""
    params = sms("HELP", "SM" + "3" * 32)
    url = "https://public.example.net/webhooks/twilio/sms"
    headers = {
        "X-Twilio-Signature": signature(url, params),
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "public.example.net",
    }
    assert client.post("/webhooks/twilio/sms", data=params, headers=headers).status_code == 200
    plain = {"X-Twilio-Signature": signature(url, params)}
    assert client.post("/webhooks/twilio/sms", data=params, headers=plain).status_code == 403


@pytest.mark.app_config(SURVEY_TWILIO_AUTH_TOKEN=None)
def test_without_an_auth_token_every_webhook_is_refused(client):
    assert post_signed(client, "/webhooks/twilio/sms", sms("1", "SM4")).status_code == 403


@TWILIO
def test_repeated_sms_is_processed_once(client, db_session):
    survey = make_phone_survey(db_session, library_document("interviewer_rating"))
    case = add_phone_case(db_session, survey, PHONE)
    start_sms_interview(db_session, case)
    params = sms("4", "SM" + "5" * 32)
    first = post_signed(client, "/webhooks/twilio/sms", params)
    again = post_signed(client, "/webhooks/twilio/sms", params)
    assert first.status_code == again.status_code == 200
    assert first.data == again.data
    interview = interview_of(db_session, case)
    assert interview is not None
    assert interview.answers == {"ir_overall": 4}
    # The second question was asked once: a retry does not answer it with the same "4".
    different = post_signed(client, "/webhooks/twilio/sms", sms("5", "SM" + "6" * 32))
    assert different.status_code == 200
    assert interview_of(db_session, case).answers == {"ir_overall": 4, "ir_clear": 5}


@TWILIO
def test_repeated_status_callback_is_applied_once(client, db_session):
    survey = make_phone_survey(db_session, library_document("interviewer_rating"))
    case = add_phone_case(db_session, survey, PHONE)
    attempt = add_attempt(db_session, case, channel="sms")
    params = {"MessageSid": "SM" + "7" * 32, "MessageStatus": "delivered", "To": PHONE}
    query = {"attempt": attempt.idempotency_key}
    for _ in range(2):
        response = post_signed(client, "/webhooks/twilio/status", params, query=query)
        assert response.status_code == 204
    row = attempt_row(db_session, attempt.id)
    assert row.state == "delivered"
    assert row.provider_id == params["MessageSid"]
    markers = db_session.exec(select(ProcessedWebhook.key)).all()
    assert markers == [f"status:{params['MessageSid']}:delivered"]


@TWILIO
def test_a_changed_query_string_breaks_the_signature(client, db_session):
    """The attempt key travels in the URL Twilio signs: pointing a report at another attempt fails."""
    survey = make_phone_survey(db_session, library_document("interviewer_rating"))
    case = add_phone_case(db_session, survey, PHONE)
    attempt = add_attempt(db_session, case, channel="sms")
    params = {"MessageSid": "SM" + "8" * 32, "MessageStatus": "failed", "ErrorCode": "21610"}
    signed_for = public_url("/webhooks/twilio/status", {"attempt": "999-999-0-1"})
    query = {"attempt": attempt.idempotency_key}
    response = post_signed(client, "/webhooks/twilio/status", params, query=query, signed_url=signed_for)
    assert response.status_code == 403
    assert attempt_row(db_session, attempt.id).state == "sent"
    assert db_session.exec(select(OptOut)).all() == []


@TWILIO
def test_a_reply_that_loses_a_race_is_recorded_and_never_answers_the_next_question(
    app, client, db_session, monkeypatch
):
    """Two texts read the same question; the second to write stores nothing, and its retry neither."""
    from sqlmodel import Session

    from survey_app.db import get_engine
    from survey_app.fieldwork import conversation
    from survey_app.respond.operations import record_turn, take_turn
    from survey_app.surveys.queries import get_questionnaire, get_survey

    survey = make_phone_survey(db_session, library_document("interviewer_rating"))
    case = add_phone_case(db_session, survey, PHONE)
    start_sms_interview(db_session, case)

    def first_text_commits_meanwhile(*args, **kwargs):
        # After this webhook read the interview, before it writes: the other text's turn commits.
        with Session(get_engine(app)) as other:
            fresh = interview_of(other, case)
            record_turn(
                other,
                get_survey(other, survey.id),
                fresh,
                get_questionnaire(other, survey.version_id),
                replies={"ir_overall": "4"},
                now=kwargs["now"],
            )
        monkeypatch.setattr(conversation, "take_turn", take_turn)
        return take_turn(*args, **kwargs)

    monkeypatch.setattr(conversation, "take_turn", first_text_commits_meanwhile)
    params = sms("5", "SM" + "9" * 32)
    lost = post_signed(client, "/webhooks/twilio/sms", params)
    assert lost.status_code == 200
    assert b"How easy was the interviewer" in lost.data  # where the interview stands now
    retry = post_signed(client, "/webhooks/twilio/sms", params)
    assert retry.data == lost.data
    assert interview_of(db_session, case).answers == {"ir_overall": 4}
