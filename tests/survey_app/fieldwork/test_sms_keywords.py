"""Twilio's SMS keywords in the middle of an interview: STOP stops everything, START resumes, HELP helps."""

from __future__ import annotations

import html

import pytest
from sqlmodel import select

from channels.keywords import OPT_IN, OPT_OUT
from channels.texts import text
from survey_app.fieldwork.models import AttemptState, ContactAttempt, OptOut
from tests.survey_app.fieldwork.conftest import plan, send
from tests.survey_app.fieldwork.twilio_fixtures import (
    NOW,
    TWILIO_CONFIG,
    add_phone_case,
    interview_of,
    library_document,
    make_phone_survey,
    post_signed,
    start_sms_interview,
)

pytestmark = pytest.mark.app_config(**TWILIO_CONFIG)
PHONE = "+14155550140"
_sids = iter(range(10**6))


def text_in(client, body: str, phone: str = PHONE) -> str:
    sid = f"SM{next(_sids):032d}"
    params = {"MessageSid": sid, "From": phone, "To": "+14155550100", "Body": body}
    response = post_signed(client, "/webhooks/twilio/sms", params)
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def interviewing(db_session, language="en", email=None):
    survey = make_phone_survey(db_session, library_document("interviewer_rating"))
    case = add_phone_case(db_session, survey, PHONE, language=language, email=email)
    start_sms_interview(db_session, case)
    return survey, case


@pytest.mark.parametrize("keyword", sorted(OPT_OUT) + ["stop", " Stop! ", "退订", "TD"])
def test_each_opt_out_keyword_mid_interview_records_an_opt_out(client, db_session, keyword):
    survey, case = interviewing(db_session, email="ann@example.org")
    text_in(client, "4")
    reply = text_in(client, keyword)
    assert "<Message>" not in reply  # Twilio confirms the opt-out itself
    rows = db_session.exec(select(OptOut)).all()
    assert sorted(r.address for r in rows) == ["+14155550140", "ann@example.org"]
    assert {r.source for r in rows} == {"sms_keyword"}
    assert {r.survey_id for r in rows} == {survey.id}
    # Whatever they text next is not read as an answer, and nothing more is asked.
    assert "<Message>" not in text_in(client, "5")
    assert interview_of(db_session, case).answers == {"ir_overall": 4}


def test_a_keyword_inside_a_sentence_is_not_a_keyword(client, db_session):
    interviewing(db_session)
    reply = text_in(client, "STOP PLEASE")
    assert text("err_choice", "en", low=1, high=5) in reply
    assert db_session.exec(select(OptOut)).all() == []


def test_stop_by_sms_stops_every_channel_in_every_survey(app, client, db_session):
    """An SMS STOP in one survey skips the person's planned e-mail, SMS and calls in another."""
    interviewing(db_session)
    other = make_phone_survey(
        db_session,
        library_document("touchpoint_event"),
        steps=[
            {"channel": "email", "day": 0, "kind": "invite"},
            {"channel": "sms", "day": 0, "kind": "invite"},
            {"channel": "ivr", "day": 0, "kind": "interview"},
        ],
    )
    add_phone_case(db_session, other, PHONE, email="ann@example.org")
    launch_existing(db_session, other.id)
    assert plan(app, db_session, NOW) == 3
    text_in(client, "STOP")
    counts = {channel: send(app, db_session, channel, NOW) for channel in ("email", "sms", "ivr")}
    assert counts == {channel: {"skipped:opted_out": 1} for channel in ("email", "sms", "ivr")}
    attempts = db_session.exec(select(ContactAttempt).where(ContactAttempt.survey_id == other.id)).all()
    assert {(a.state, a.skip_reason) for a in attempts} == {(AttemptState.skipped, "opted_out")}


def launch_existing(db_session, survey_id: int) -> None:
    from survey_app.fieldwork import operations

    operations.launch(db_session, survey_id, now=NOW)


@pytest.mark.parametrize("keyword", sorted(OPT_IN))
def test_start_re_subscribes_and_the_interview_goes_on(client, db_session, keyword):
    _survey, case = interviewing(db_session)
    text_in(client, "4")
    text_in(client, "STOP")
    reply = text_in(client, keyword)
    assert db_session.exec(select(OptOut)).all() == []
    assert "interviewer to understand" in reply  # where they stopped
    assert "courteous" in text_in(client, "5")
    assert interview_of(db_session, case).answers == {"ir_overall": 4, "ir_clear": 5}


def test_yes_is_an_answer_unless_the_sender_opted_out(client, db_session):
    """YES opts back in only an opted-out number; otherwise it answers a yes/no question."""
    _survey, case = interviewing(db_session)
    for body in ("1", "1", "1", "3", "1"):  # low ratings, far too long: the problem page
        text_in(client, body)
    assert "Thank you" in text_in(client, "YES")
    assert interview_of(db_session, case).answers["ir_followup"] is True
    assert db_session.exec(select(OptOut)).all() == []


def test_help_is_answered_in_and_outside_an_interview(client, db_session):
    interviewing(db_session, language="zh-Hans")
    assert text("sms_help", "zh-Hans") in text_in(client, "HELP")
    assert text("sms_help", "zh-Hans") in text_in(client, "info")
    reply = text_in(client, "HELP", phone="+14155550141")  # no interview for this number
    assert "Reply STOP to opt out" in reply
