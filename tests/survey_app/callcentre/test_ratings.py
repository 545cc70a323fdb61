"""The respondent's rating of the interviewer: asked in the console, or by an SMS / IVR follow-up
that fieldwork delivery sends; QA reads it per vendor and agent."""

from __future__ import annotations

import html

import pytest
from sqlmodel import select

from survey_app.auth.models import Role
from survey_app.callcentre import call_controllers, console_controllers
from survey_app.callcentre.models import InterviewerRating, QueueEntry, QueueStatus, RatingSurvey
from survey_app.callcentre.queries import rating_summary
from survey_app.callcentre.queue import QueueError
from survey_app.callcentre.ratings import FOLLOW_UP_DELAY, request_rating
from survey_app.fieldwork import sending
from survey_app.fieldwork.models import AttemptState, ContactAttempt, FieldworkCase
from survey_app.surveys.models import Interview
from tests.survey_app.callcentre.helpers import (
    WEDNESDAY_10_SHANGHAI,
    make_agent,
    make_survey,
    make_vendor,
    queue_cases,
)
from tests.survey_app.callcentre.test_console import answer, page, step_key
from tests.survey_app.fieldwork.conftest import fake_twilio  # noqa: F401 (a fixture)
from tests.survey_app.fieldwork.twilio_fixtures import TWILIO_CONFIG, post_signed

NOW = WEDNESDAY_10_SHANGHAI


@pytest.fixture
def completed_call(client, db_session, make_user, login, monkeypatch):
    """An agent holding a case whose interview is complete (outcome not yet recorded)."""
    monkeypatch.setattr(console_controllers, "utcnow", lambda: NOW)
    monkeypatch.setattr(call_controllers, "utcnow", lambda: NOW)
    vendor, survey = make_vendor(db_session), make_survey(db_session)
    agent = make_agent(db_session, make_user, vendor)
    queued = queue_cases(db_session, survey, vendor, first_name="Mei")[0]
    login(agent)
    client.post("/callcentre/console/next")
    client.post("/callcentre/console/case/dial")
    client.post("/callcentre/console/case/start")
    for keys in ({"sat": "4"}, {"channels": "1"}):
        answer(client, keys)
    assert "Thank you, Mei." in page(client)
    return db_session, queued, agent, vendor


def rate(client, data: dict[str, str]) -> str:
    html_page = page(client)
    response = client.post(
        "/callcentre/console/case/rating_answer",
        data={"_step": step_key(html_page.split("Rating of the interviewer")[1]), **data},
        follow_redirects=True,
    )
    return response.get_data(as_text=True)


def test_rating_asked_by_the_agent_after_the_interview(client, completed_call, login):
    session, queued, agent, vendor = completed_call
    console = page(client)
    assert "Rating of the interviewer (optional)" in console
    client.post("/callcentre/console/case/rating", data={"mode": "agent"})
    console = page(client)
    assert "Overall, how satisfied are you with the interviewer" in console
    assert "never the interviewer being rated" in console  # the questionnaire's own instruction
    wrong = rate(client, {"ir_overall": "9"})
    assert "9 is not an answer to this question" in wrong
    for keys in ({"ir_overall": "2"}, {"ir_clear": "4"}, {"ir_courteous": "5"}, {"ir_length": "1"}):
        rate(client, keys)  # one question per step in the agent channel
    console = page(client)
    assert "What went wrong?" in console  # the engine's skip logic: overall <= 3
    rate(client, {"ir_problem": "2"})
    rate(client, {"ir_followup": "1"})
    console = page(client)
    assert "Rating requested (asked in this call)" in console
    client.post("/callcentre/console/case/outcome", data={"outcome": "complete"})

    rating = session.exec(select(InterviewerRating)).one()
    assert (rating.agent_id, rating.vendor_id, rating.mode) == (agent.id, vendor.id, "agent")
    interview = session.exec(select(Interview).where(Interview.case_id == rating.rating_case_id)).one()
    assert interview.status == "complete"
    assert interview.answers["ir_overall"] == 2
    assert interview.answers["ir_problem"] == ["rushed"]
    link = session.exec(select(RatingSurvey)).one()
    assert link.survey_id == queued.entry.survey_id
    assert interview.survey_id == link.rating_survey_id
    [row] = rating_summary(session, vendor.id)
    assert (row.agent_id, row.requested, row.answered) == (agent.id, 1, 1)
    assert (row.overall, row.clarity, row.courtesy) == (2.0, 4.0, 5.0)
    assert (row.length_acceptable, row.low) == (1, 1)
    assert rating_summary(session, vendor.id, mode="sms") == []
    assert rating_summary(session, vendor.id + 1) == []
    # The agent's own pages never show the rating; their vendor manager's QA table does.
    assert "ir_overall" not in page(client, "/callcentre/console")
    assert client.get(f"/callcentre/vendors/{vendor.id}").status_code == 403
    login(Role.vendor_manager, vendor_id=vendor.id)
    table = page(client, f"/callcentre/vendors/{vendor.id}")
    assert "Interviewer ratings by respondents" in table
    assert f"<td>{agent.display_name}</td><td>1</td><td>1</td>" in table
    assert "<td>2.0</td>" in table


def test_rating_requests_that_cannot_be_done_are_refused(client, db_session, make_user, login, monkeypatch):
    monkeypatch.setattr(console_controllers, "utcnow", lambda: NOW)
    vendor, survey = make_vendor(db_session), make_survey(db_session)
    agent = make_agent(db_session, make_user, vendor)
    queue_cases(db_session, survey, vendor)
    login(agent)
    client.post("/callcentre/console/next")
    client.post("/callcentre/console/case/dial")
    client.post("/callcentre/console/case/start")
    too_early = client.post("/callcentre/console/case/rating", data={"mode": "sms"}, follow_redirects=True)
    assert "The interview is not finished" in too_early.get_data(as_text=True)
    for keys in ({"sat": "4"}, {"channels": "1"}):
        answer(client, keys)
    bad = client.post("/callcentre/console/case/rating", data={"mode": "fax"}, follow_redirects=True)
    assert "Choose how the respondent rates the interview" in bad.get_data(as_text=True)
    nothing = client.post(
        "/callcentre/console/case/rating_answer", data={"_step": "x"}, follow_redirects=True
    )
    assert "No rating is being asked in this call." in nothing.get_data(as_text=True)
    assert db_session.exec(select(InterviewerRating)).all() == []
    client.post("/callcentre/console/case/rating", data={"mode": "sms"})
    twice = client.post("/callcentre/console/case/rating", data={"mode": "ivr"}, follow_redirects=True)
    assert "already requested" in twice.get_data(as_text=True)
    assert [r.mode for r in db_session.exec(select(InterviewerRating)).all()] == ["sms"]


def test_request_rating_needs_the_held_case(db_session, make_user):
    vendor, survey = make_vendor(db_session), make_survey(db_session)
    agent = make_agent(db_session, make_user, vendor)
    entry = queue_cases(db_session, survey, vendor)[0].entry
    with pytest.raises(QueueError, match="not_held"):
        request_rating(db_session, entry, agent.id, mode="sms", now=NOW)


@pytest.mark.parametrize("mode", ["sms", "ivr"])
def test_follow_up_request_is_a_planned_attempt_for_fieldwork_delivery(client, completed_call, mode):
    session, queued, agent, vendor = completed_call
    client.post("/callcentre/console/case/rating", data={"mode": mode})
    rating = session.exec(select(InterviewerRating)).one()
    attempt = session.get(ContactAttempt, rating.contact_attempt_id)
    assert attempt is not None
    assert (attempt.channel, attempt.kind, attempt.state) == (mode, "interview", AttemptState.planned)
    assert attempt.case_id == rating.rating_case_id
    assert attempt.due_at == NOW + FOLLOW_UP_DELAY
    details = session.get(FieldworkCase, rating.rating_case_id)
    assert (details.phone_e164, details.timezone) == (queued.entry.phone, "Asia/Shanghai")
    label = {"sms": "by text message", "ivr": "by automated call"}[mode]
    assert f"Rating requested ({label})" in page(client)


@pytest.mark.app_config(**TWILIO_CONFIG)
def test_sms_follow_up_is_sent_by_fieldwork_and_answered_by_text(app, client, completed_call, fake_twilio):  # noqa: F811
    session, queued, agent, vendor = completed_call
    client.post("/callcentre/console/case/rating", data={"mode": "sms"})
    client.post("/callcentre/console/case/outcome", data={"outcome": "complete"})
    session.expire_all()
    assert session.get(QueueEntry, queued.case.id).status == QueueStatus.final
    # Only the REST base moves to the fake: webhooks stay signed with TWILIO_CONFIG's token.
    settings = app.config["SURVEY_SETTINGS"]
    app.config["SURVEY_SETTINGS"] = settings.model_copy(update={"twilio_api_base_url": fake_twilio.url})
    due = NOW + FOLLOW_UP_DELAY
    with app.app_context():
        report = sending.send_due_attempts(session, app.config["SURVEY_SETTINGS"], "sms", clock=lambda: due)
    assert report.counts == {"sent": 1}
    [(_method, _path, form)] = fake_twilio.requests
    assert form["To"] == [queued.entry.phone]
    assert "How satisfied are you with the interviewer" in form["Body"][0]
    phone = queued.entry.phone
    for number, body in enumerate(("5", "4", "5", "1")):
        reply = post_signed(
            client,
            "/webhooks/twilio/sms",
            {"MessageSid": f"SM{number:032d}", "From": phone, "To": "+14155550100", "Body": body},
        )
        assert reply.status_code == 200
    assert "Thank you" in html.unescape(reply.get_data(as_text=True))
    [row] = rating_summary(session, vendor.id, mode="sms")
    assert (row.answered, row.overall, row.clarity, row.courtesy, row.low) == (1, 5.0, 4.0, 5.0, 0)


@pytest.mark.app_config(**TWILIO_CONFIG)
def test_ivr_follow_up_is_called_by_fieldwork_delivery(app, client, completed_call, fake_twilio):  # noqa: F811
    session, queued, agent, vendor = completed_call
    client.post("/callcentre/console/case/rating", data={"mode": "ivr"})
    client.post("/callcentre/console/case/outcome", data={"outcome": "complete"})
    settings = app.config["SURVEY_SETTINGS"]
    app.config["SURVEY_SETTINGS"] = settings.model_copy(update={"twilio_api_base_url": fake_twilio.url})
    with app.app_context():
        early = sending.send_due_attempts(session, app.config["SURVEY_SETTINGS"], "ivr", clock=lambda: NOW)
        assert early.counts == {}  # not before the call has ended
        due = NOW + FOLLOW_UP_DELAY
        report = sending.send_due_attempts(session, app.config["SURVEY_SETTINGS"], "ivr", clock=lambda: due)
    assert report.counts == {"sent": 1}
    [(_method, path, form)] = fake_twilio.requests
    assert path.endswith("/Calls.json")
    assert form["To"] == [queued.entry.phone]
    rating = session.exec(select(InterviewerRating)).one()
    attempt = session.get(ContactAttempt, rating.contact_attempt_id)
    session.refresh(attempt)
    assert attempt.state == AttemptState.sent
    assert form["Url"] == [
        f"https://survey.example.org/webhooks/twilio/voice?attempt={attempt.idempotency_key}"
    ]
