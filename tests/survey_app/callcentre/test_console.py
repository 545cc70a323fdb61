"""The agent console in the browser's place (test client): a phone interview end to end."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlmodel import col, select

from survey_app.callcentre import console_controllers
from survey_app.callcentre.models import AlertCase, CallAttempt, QueueEntry, QueueStatus, SkipEvent
from survey_app.callcentre.queries import interview_paradata, supervisor_rows
from survey_app.surveys.models import Interview
from tests.survey_app.callcentre.helpers import (
    WEDNESDAY_10_SHANGHAI,
    make_agent,
    make_survey,
    make_vendor,
    queue_cases,
)


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(WEDNESDAY_10_SHANGHAI)
    monkeypatch.setattr(console_controllers, "utcnow", lambda: clock.now)
    return clock


@pytest.fixture
def setup(db_session, make_user, login, clock):
    vendor, survey = make_vendor(db_session), make_survey(db_session)
    agent = make_agent(db_session, make_user, vendor)
    queued = queue_cases(db_session, survey, vendor, first_name="Mei")[0]
    login(agent)
    return db_session, queued, agent


def page(client, url="/callcentre/console/case") -> str:
    return client.get(url, follow_redirects=True).get_data(as_text=True)


def step_key(html: str) -> str:
    match = re.search(r'name="_step" value="([^"]*)"', html)
    assert match, "no script step on the page"
    return match.group(1).replace("&#34;", '"').replace("&amp;", "&").replace("&#39;", "'")


def answer(client, data: dict[str, str]):
    html = page(client)
    return client.post(
        "/callcentre/console/case/answer", data={"_step": step_key(html), **data}, follow_redirects=True
    )


def test_full_phone_interview_callback_first_then_complete(client, setup, clock, make_user, login):
    session, queued, agent = setup
    phone = queued.entry.phone
    assert client.post("/callcentre/console/next").status_code == 302
    console = page(client)
    assert "Mei Example" in console
    assert phone not in console
    assert phone[-4:] in console
    client.post("/callcentre/console/case/dial")
    console = page(client)
    assert phone in console  # shown while dialling
    assert "Hello Mei, may I ask you three questions?" in console  # intro with the name
    # First attempt: the respondent asks to be called back this evening at 19:30 their time.
    bad = client.post(
        "/callcentre/console/case/outcome",
        data={"outcome": "callback", "callback_at": "2026-12-02T23:00"},
        follow_redirects=True,
    )
    assert "between 08:00 and 21:00" in bad.get_data(as_text=True)
    client.post(
        "/callcentre/console/case/outcome", data={"outcome": "callback", "callback_at": "2026-12-02T19:30"}
    )
    entry = session.get(QueueEntry, queued.case.id)
    session.refresh(entry)
    assert entry.status == QueueStatus.waiting
    assert entry.appointment_at == dt.datetime(2026, 12, 2, 11, 30, tzinfo=dt.UTC)
    clock.now = entry.appointment_at
    # Second attempt, at the appointment: the interview.
    client.post("/callcentre/console/next")
    client.post("/callcentre/console/case/dial")
    client.post("/callcentre/console/case/start")
    console = page(client)
    assert "On a scale of 1 to 5, how satisfied are you?" in console
    assert "Read the scale once." in console
    clock.advance(seconds=12)
    wrong = answer(client, {"sat": "9"}).get_data(as_text=True)
    assert "9 is not an answer to this question" in wrong
    answer(client, {"sat": "4"})  # satisfied: "why" is skipped by the engine
    console = page(client)
    assert "Which channels did you use?" in console
    assert "What went wrong?" not in console
    client.post("/callcentre/console/case/back", data={"_step": step_key(console)})
    clock.advance(seconds=5)
    answer(client, {"sat": "1"})  # changed: strongly dissatisfied
    console = page(client)
    assert "What went wrong?" in console
    assert "Offer a follow-up:" in console
    assert "Very dissatisfied: offer a follow-up call." in console
    client.post("/callcentre/console/case/language", data={"language": "zh-Hans"})
    console = page(client)
    assert "哪里出了问题？" in console
    client.post("/callcentre/console/case/pause")
    clock.advance(seconds=30)
    client.post("/callcentre/console/case/resume")
    clock.advance(seconds=8)
    answer(client, {"why": "等了太久"})
    answer(client, {"channels": "1 3"})
    console = page(client)
    assert "谢谢您，Mei。" in console
    client.post("/callcentre/console/case/outcome", data={"outcome": "complete"})

    interview = session.exec(select(Interview)).one()
    assert interview.status == "complete"
    assert interview.channel == "agent"
    assert interview.language == "zh-Hans"
    assert interview.answers["sat"] == 1
    assert interview.answers["why"] == "等了太久"
    assert sorted(interview.answers["channels"]) == ["shop", "web"]
    alert = session.exec(select(AlertCase)).one()
    assert alert.alert_id == "strong_dissatisfaction"
    assert alert.answers["sat"] == 1
    assert alert.agent_id == agent.id
    session.refresh(entry)
    assert entry.status == QueueStatus.final
    assert entry.final_code == "1.1"
    attempts = session.exec(select(CallAttempt).order_by(col(CallAttempt.id))).all()
    assert [(a.outcome, a.aapor_code) for a in attempts] == [("callback", "2.21"), ("complete", "1.1")]
    paradata = interview_paradata(session, interview.id)
    assert paradata.back_steps == 1
    assert paradata.answer_changes == 1
    assert paradata.pauses == 1
    assert paradata.paused_seconds == 30
    assert paradata.seconds_by_step[0] == ("sat", 12.0)
    assert paradata.seconds_by_step[2] == ("why", 8.0)  # the pause is not time on the question
    assert paradata.agents == (agent.id,)
    assert [a[1] for a in paradata.attempts] == ["complete"]
    history = page(client, "/callcentre/console")
    assert "Complete" in history
    assert "Callback appointment" in history
    assert "Mei" not in history
    rows = supervisor_rows(session, entry.vendor_id, since=WEDNESDAY_10_SHANGHAI, now=clock.now)
    assert [(r.attempts, r.contacts, r.completes, r.refusals) for r in rows] == [(2, 2, 1, 0)]


def test_console_refuses_what_is_not_allowed_and_loses_nothing(client, setup):
    session, queued, agent = setup
    assert page(client, "/callcentre/console").count("Next case") >= 1
    client.post("/callcentre/console/next")
    html = client.post(
        "/callcentre/console/case/outcome", data={"outcome": "no_answer"}, follow_redirects=True
    )
    assert "Dial the number first." in html.get_data(as_text=True)
    html = client.post("/callcentre/console/case/skip", data={"reason": ""}, follow_redirects=True)
    assert "Choose why you skip this case." in html.get_data(as_text=True)
    html = client.post("/callcentre/console/case/skip", data={"reason": "other"}, follow_redirects=True)
    assert "Say why you skip this case." in html.get_data(as_text=True)
    client.post("/callcentre/console/case/dial")
    html = client.post("/callcentre/console/case/skip", data={"reason": "technical"}, follow_redirects=True)
    assert "record the call outcome instead of skipping" in html.get_data(as_text=True)
    html = client.post("/callcentre/console/case/outcome", data={"outcome": ""}, follow_redirects=True)
    assert "Choose the outcome of the call." in html.get_data(as_text=True)
    html = client.post(
        "/callcentre/console/case/outcome", data={"outcome": "complete"}, follow_redirects=True
    )
    assert "The interview is not finished" in html.get_data(as_text=True)
    html = client.post("/callcentre/console/case/language", data={"language": "fr"}, follow_redirects=True)
    assert "Dial the number first." in html.get_data(as_text=True) or "not available" in html.get_data(
        as_text=True
    )
    assert session.exec(select(SkipEvent)).all() == []
    entry = session.get(QueueEntry, queued.case.id)
    session.refresh(entry)
    assert entry.status == QueueStatus.locked
    assert entry.locked_by == agent.id
    client.post("/callcentre/console/case/outcome", data={"outcome": "no_answer"})
    session.refresh(entry)
    assert entry.status == QueueStatus.waiting
    assert entry.attempts == 1


def test_skip_with_reason_through_the_console(client, setup):
    session, queued, agent = setup
    client.post("/callcentre/console/next")
    response = client.post(
        "/callcentre/console/case/skip", data={"reason": "knows_respondent"}, follow_redirects=True
    )
    assert "the reason was recorded" in response.get_data(as_text=True)
    assert session.exec(select(SkipEvent.reason)).all() == ["knows_respondent"]


def test_an_agent_without_a_profile_cannot_take_cases(client, db_session, make_user, login, clock):
    vendor, survey = make_vendor(db_session), make_survey(db_session)
    queue_cases(db_session, survey, vendor)
    from survey_app.auth.models import Role

    login(make_user(Role.agent, vendor_id=vendor.id))
    response = client.post("/callcentre/console/next", follow_redirects=True)
    assert "Your agent profile is not set up yet" in response.get_data(as_text=True)
    assert db_session.exec(select(QueueEntry.locked_by)).all() == [None]
