"""Click-to-call when Twilio cannot place the call: the attempt stays and the agent dials by hand."""

from __future__ import annotations

from sqlmodel import select

from survey_app.callcentre import call_controllers, console_controllers
from survey_app.callcentre.models import AgentProfile, CallAttempt, CallBridge, Vendor
from tests.survey_app.callcentre.helpers import WEDNESDAY_10_SHANGHAI, make_agent, make_survey, queue_cases
from tests.survey_app.callcentre.test_console import page


def test_without_twilio_the_number_is_shown_to_dial_by_hand(
    client, db_session, make_user, login, monkeypatch
):
    monkeypatch.setattr(console_controllers, "utcnow", lambda: WEDNESDAY_10_SHANGHAI)
    monkeypatch.setattr(call_controllers, "utcnow", lambda: WEDNESDAY_10_SHANGHAI)
    vendor = Vendor(name="No Twilio vendor", click_to_call=True)
    db_session.add(vendor)
    db_session.commit()
    agent = make_agent(db_session, make_user, vendor)
    profile = db_session.get(AgentProfile, agent.id)
    profile.phone = "+8613900139001"
    db_session.add(profile)
    db_session.commit()
    queued = queue_cases(db_session, make_survey(db_session), vendor)[0]
    login(agent)
    client.post("/callcentre/console/next")
    response = client.post("/callcentre/console/case/call", follow_redirects=True).get_data(as_text=True)
    assert "The call could not be placed: dial the number by hand" in response
    assert queued.entry.phone in page(client)  # unmasked: the agent dials by hand
    assert [b.status for b in db_session.exec(select(CallBridge)).all()] == ["failed"]
    assert len(db_session.exec(select(CallAttempt)).all()) == 1  # the attempt stands; outcome as usual
    client.post("/callcentre/console/case/outcome", data={"outcome": "no_answer"})
    assert db_session.exec(select(CallAttempt.outcome)).all() == ["no_answer"]
