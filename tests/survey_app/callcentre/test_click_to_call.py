"""Click-to-call through the Twilio SDK against Prism: ring the agent, bridge with the survey's
caller id, record only after consent, keep the recording for QA; signed webhooks only."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from sqlmodel import select

from survey_app.callcentre import call_controllers, console_controllers
from survey_app.callcentre.models import AgentProfile, CallBridge
from survey_app.callcentre.queries import query_recordings
from tests.survey_app.callcentre.helpers import WEDNESDAY_10_SHANGHAI, make_agent, make_survey, queue_cases
from tests.survey_app.callcentre.test_console import page
from tests.survey_app.fieldwork import twilio_fixtures
from tests.survey_app.fieldwork.conftest import _smtp_server, mailbox  # noqa: F401 (prism_app needs them)
from tests.survey_app.fieldwork.twilio_fixtures import ACCOUNT_SID, FROM_NUMBER, PUBLIC_BASE, post_signed

prism = twilio_fixtures.prism
app = twilio_fixtures.prism_app
twilio_requests = twilio_fixtures.twilio_requests

AGENT_PHONE = "+8613900139000"
NOW = WEDNESDAY_10_SHANGHAI


@pytest.fixture
def on_call(client, db_session, make_user, login, monkeypatch):
    """An agent of a click-to-call vendor holding a case (not dialled yet)."""
    monkeypatch.setattr(console_controllers, "utcnow", lambda: NOW)
    monkeypatch.setattr(call_controllers, "utcnow", lambda: NOW)
    from survey_app.callcentre.models import Vendor

    vendor = Vendor(name="Dialler vendor", click_to_call=True)
    db_session.add(vendor)
    db_session.commit()
    survey = make_survey(db_session)
    agent = make_agent(db_session, make_user, vendor)
    profile = db_session.get(AgentProfile, agent.id)
    profile.phone = AGENT_PHONE
    db_session.add(profile)
    db_session.commit()
    queued = queue_cases(db_session, survey, vendor)[0]
    login(agent)
    client.post("/callcentre/console/next")
    return db_session, queued, agent


def twiml(response) -> ET.Element:
    assert response.status_code == 200, response.data
    assert response.mimetype == "application/xml"
    return ET.fromstring(response.get_data(as_text=True))


def test_click_to_call_rings_the_agent_then_bridges_and_records_after_consent(
    client, on_call, twilio_requests
):
    session, queued, agent = on_call
    assert "Call through my phone (click-to-call)" in page(client)
    done = client.post("/callcentre/console/case/call", follow_redirects=True).get_data(as_text=True)
    assert "Your phone is ringing" in done
    assert queued.entry.phone not in done  # click-to-call dials: the number stays masked
    assert queued.entry.phone[-4:] in done
    [request] = twilio_requests
    assert request.url.endswith(f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json")
    assert request.status == 201
    assert (request.data["To"], request.data["From"]) == (AGENT_PHONE, FROM_NUMBER)
    bridge = session.exec(select(CallBridge)).one()
    assert request.data["Url"] == f"{PUBLIC_BASE}/callcentre/twilio/bridge?bridge={bridge.id}"
    assert bridge.call_sid
    assert bridge.call_sid.startswith("CA")
    assert bridge.agent_id == agent.id
    # Twilio fetches the TwiML when the agent answers: dial the respondent, survey caller id, no recording.
    query = {"bridge": str(bridge.id)}
    signed = {"CallSid": bridge.call_sid, "CallStatus": "in-progress", "AccountSid": ACCOUNT_SID}
    root = twiml(post_signed(client, "/callcentre/twilio/bridge", signed, query=query))
    dial = root.find("Dial")
    assert dial is not None
    assert dial.attrib["callerId"] == FROM_NUMBER
    assert "record" not in dial.attrib
    assert (dial.text or "").strip() == queued.entry.phone
    # Recording is refused before the consent was accepted (the interview has not started).
    refused = client.post("/callcentre/console/case/record", follow_redirects=True).get_data(as_text=True)
    assert "Start the interview first" in refused
    assert len(twilio_requests) == 1
    client.post("/callcentre/console/case/start")
    assert "start recording" in page(client)
    started = client.post("/callcentre/console/case/record", follow_redirects=True).get_data(as_text=True)
    assert "Recording started." in started
    recording = twilio_requests[1]
    assert recording.url.endswith(f"/Accounts/{ACCOUNT_SID}/Calls/{bridge.call_sid}/Recordings.json")
    assert 200 <= recording.status < 300  # Prism answers with the spec's first success code
    assert recording.data["RecordingStatusCallback"] == (
        f"{PUBLIC_BASE}/callcentre/twilio/recording?bridge={bridge.id}"
    )
    again = client.post("/callcentre/console/case/record", follow_redirects=True).get_data(as_text=True)
    assert "already started" in again
    assert len(twilio_requests) == 2
    # The signed recording callback links the recording to the interview.
    done_form = {
        "CallSid": bridge.call_sid,
        "AccountSid": ACCOUNT_SID,
        "RecordingSid": "RE" + "1" * 32,
        "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/RE{'1' * 32}",
        "RecordingStatus": "completed",
        "RecordingDuration": "42",
    }
    response = post_signed(client, "/callcentre/twilio/recording", done_form, query=query)
    assert response.status_code == 204
    session.expire_all()
    bridge = session.get(CallBridge, bridge.id)
    assert bridge.interview_id is not None
    [kept] = query_recordings(session, bridge.interview_id)
    assert (kept.recording_sid, kept.recording_seconds) == ("RE" + "1" * 32, 42)
    assert kept.recording_url.endswith("/Recordings/RE" + "1" * 32)
    status = post_signed(
        client, "/callcentre/twilio/bridge/status", {**signed, "CallStatus": "completed"}, query=query
    )
    assert status.status_code == 204
    session.expire_all()
    assert session.get(CallBridge, bridge.id).status == "completed"


@pytest.mark.parametrize("path", ["/callcentre/twilio/bridge", "/callcentre/twilio/recording"])
def test_unsigned_tampered_or_misaddressed_webhooks_get_403(client, on_call, twilio_requests, path):
    session, queued, agent = on_call
    client.post("/callcentre/console/case/call")
    bridge = session.exec(select(CallBridge)).one()
    query = {"bridge": str(bridge.id)}
    form = {"CallSid": bridge.call_sid, "RecordingSid": "RE" + "2" * 32, "RecordingStatus": "completed"}
    assert post_signed(client, path, form, query=query, header="").status_code == 403
    assert post_signed(client, path, form, query=query, header="bad-signature").status_code == 403
    other = f"{PUBLIC_BASE}{path}?bridge={bridge.id + 1}"
    assert post_signed(client, path, form, query=query, signed_url=other).status_code == 403
    tampered = twilio_fixtures.signature(twilio_fixtures.public_url(path, query), form)
    response = client.post(
        f"{path}?bridge={bridge.id}",
        data={**form, "RecordingSid": "RE" + "3" * 32},
        headers={"X-Twilio-Signature": tampered},
    )
    assert response.status_code == 403
    session.expire_all()
    assert session.get(CallBridge, bridge.id).recording_sid is None


def test_a_signed_callback_about_another_call_changes_nothing(client, on_call, twilio_requests):
    session, queued, agent = on_call
    client.post("/callcentre/console/case/call")
    bridge = session.exec(select(CallBridge)).one()
    query = {"bridge": str(bridge.id)}
    foreign = {"CallSid": "CA" + "9" * 32, "RecordingSid": "RE" + "4" * 32, "RecordingStatus": "completed"}
    assert post_signed(client, "/callcentre/twilio/recording", foreign, query=query).status_code == 204
    root = twiml(post_signed(client, "/callcentre/twilio/bridge", foreign, query=query))
    assert root.find("Dial") is None
    assert root.find("Hangup") is not None
    session.expire_all()
    assert session.get(CallBridge, bridge.id).recording_sid is None


def test_click_to_call_is_refused_without_the_vendor_flag_or_the_agent_phone(
    client, on_call, twilio_requests
):
    session, queued, agent = on_call
    profile = session.get(AgentProfile, agent.id)
    profile.phone = None
    session.add(profile)
    session.commit()
    page_text = client.post("/callcentre/console/case/call", follow_redirects=True).get_data(as_text=True)
    assert "Your phone number for click-to-call is not set" in page_text
    from survey_app.callcentre.models import Vendor

    vendor = session.get(Vendor, queued.entry.vendor_id)
    vendor.click_to_call = False
    session.add(vendor)
    session.commit()
    page_text = client.post("/callcentre/console/case/call", follow_redirects=True).get_data(as_text=True)
    assert "Click-to-call is not available for your vendor." in page_text
    assert "Call through my phone" not in page_text
    assert twilio_requests == []
    assert session.exec(select(CallBridge)).all() == []
