"""Click-to-call through Twilio (vendors with ``click_to_call``): ring the agent, bridge to the
respondent with the survey's caller id, record only after consent, keep the recording for QA.

1. :func:`place_call` (the agent's "Call" button): starts the attempt (as "dial" does) and asks
   Twilio to call the **agent's** phone; its TwiML URL is the bridge webhook.
2. :func:`bridge_twiml`: when the agent answers, ``<Dial callerId=...>`` the respondent's number,
   built with the SDK's ``VoiceResponse``. No ``record`` attribute: ``<Dial record=...>`` would
   record from the moment the respondent answers, before the consent text is read, and a
   ``<Dial>`` cannot be changed mid-call without dropping the respondent.
3. :func:`start_recording` (after the respondent accepted the consent text, i.e. once the
   interview has started): the SDK's Recordings API on the live call (``calls(sid).recordings
   .create``), which records the bridged conversation from that moment on.
4. :func:`save_recording`: the signed recording status callback stores RecordingSid and URL on
   the bridge, linked to the interview (``queries.query_recordings``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from flask import current_app
from sqlmodel import Session, select
from twilio.base.exceptions import TwilioException
from twilio.twiml.voice_response import VoiceResponse

from survey_app.callcentre.console import dial
from survey_app.callcentre.models import AgentProfile, CallBridge, QueueEntry, QueueStatus, Vendor
from survey_app.callcentre.queue import QueueError
from survey_app.config import Settings
from survey_app.fieldwork.links import public_url
from survey_app.integrations.twilio_client import build_twilio_client

#: Twilio call states after which the bridge is over.
ENDED = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})


def place_call(
    session: Session, settings: Settings, entry: QueueEntry, agent_id: int, *, now: dt.datetime
) -> CallBridge:
    """Ring the agent's phone for the held case (starting the attempt). Commits.

    :raises QueueError: ``not_held``; ``no_click_to_call`` (not allowed for the vendor);
        ``no_agent_phone``; ``twilio`` (Twilio refused or is not configured: the attempt stays,
        the agent can dial by hand).
    """
    if entry.status != QueueStatus.locked or entry.locked_by != agent_id:
        raise QueueError("not_held")
    vendor = session.get(Vendor, entry.vendor_id)
    if vendor is None or not vendor.click_to_call:
        raise QueueError("no_click_to_call")
    profile = session.get(AgentProfile, agent_id)
    if profile is None or not profile.phone:
        raise QueueError("no_agent_phone")
    attempt = dial(session, entry, agent_id, now=now)
    bridge = session.exec(select(CallBridge).where(CallBridge.attempt_id == attempt.id)).first()
    if bridge is not None and bridge.status not in ENDED:
        return bridge  # pressed twice: one call
    bridge = bridge or CallBridge(
        attempt_id=attempt.id,  # type: ignore[arg-type]
        case_id=entry.case_id,
        vendor_id=entry.vendor_id,
        agent_id=agent_id,
        interview_id=entry.interview_id,
    )
    bridge.status, bridge.updated_at = "queued", now
    session.add(bridge)
    session.commit()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        call = build_twilio_client(settings).calls.create(
            to=profile.phone,
            from_=settings.twilio_from_number,
            url=public_url(app, "callcentre.bridge", query={"bridge": str(bridge.id)}),
            status_callback=public_url(app, "callcentre.bridge_status", query={"bridge": str(bridge.id)}),
            status_callback_event=["initiated", "ringing", "answered", "completed"],
        )
    except (TwilioException, RuntimeError) as error:  # TwilioNotConfigured, PublicUrlMissing too
        bridge.status = "failed"
        session.add(bridge)
        session.commit()
        raise QueueError("twilio") from error
    bridge.call_sid, bridge.updated_at = str(call.sid), now
    session.add(bridge)
    session.commit()
    return bridge


def _bridge_for(session: Session, bridge_id: str | None, call_sid: str | None) -> CallBridge | None:
    """The bridge named in a webhook URL, only if the callback is about its call."""
    if not bridge_id or not bridge_id.isdigit() or not call_sid:
        return None
    bridge = session.get(CallBridge, int(bridge_id))
    return bridge if bridge is not None and bridge.call_sid == call_sid else None


def bridge_twiml(
    session: Session, settings: Settings, bridge_id: str | None, form: Mapping[str, str], *, now: dt.datetime
) -> str:
    """TwiML for the agent's answered leg: dial the respondent with the survey's caller id."""
    response = VoiceResponse()
    bridge = _bridge_for(session, bridge_id, form.get("CallSid"))
    entry = session.get(QueueEntry, bridge.case_id) if bridge else None
    if bridge is None or entry is None or entry.locked_by != bridge.agent_id or bridge.status in ENDED:
        response.say("This call is no longer needed. Goodbye.")
        response.hangup()
        return str(response)
    response.dial(entry.phone, caller_id=settings.twilio_from_number, answer_on_bridge=True)
    bridge.status, bridge.updated_at = "bridging", now
    session.add(bridge)
    session.commit()
    return str(response)


def update_status(
    session: Session, bridge_id: str | None, form: Mapping[str, str], *, now: dt.datetime
) -> None:
    """Call status callback of the agent's leg. Commits."""
    bridge = _bridge_for(session, bridge_id, form.get("CallSid"))
    status = form.get("CallStatus", "")
    if bridge is None or not status or bridge.status in ENDED:
        return
    bridge.status, bridge.updated_at = status[:16], now
    session.add(bridge)
    session.commit()


def start_recording(
    session: Session, settings: Settings, entry: QueueEntry, agent_id: int, *, now: dt.datetime
) -> CallBridge:
    """Start recording the bridged call: only after consent (the interview has started). Commits.

    :raises QueueError: ``not_held``; ``not_started`` (consent not yet accepted); ``no_bridge``
        (no live click-to-call in this attempt); ``recording_exists``; ``twilio``.
    """
    if entry.status != QueueStatus.locked or entry.locked_by != agent_id or entry.attempt_id is None:
        raise QueueError("not_held")
    if entry.interview_id is None:
        raise QueueError("not_started")
    bridge = session.exec(select(CallBridge).where(CallBridge.attempt_id == entry.attempt_id)).first()
    if bridge is None or bridge.call_sid is None or bridge.status in ENDED:
        raise QueueError("no_bridge")
    if bridge.consent_at is not None:
        raise QueueError("recording_exists")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        build_twilio_client(settings).calls(bridge.call_sid).recordings.create(
            recording_status_callback=public_url(
                app, "callcentre.recording_status", query={"bridge": str(bridge.id)}
            ),
            recording_status_callback_event=["completed"],
        )
    except (TwilioException, RuntimeError) as error:
        raise QueueError("twilio") from error
    bridge.consent_at, bridge.interview_id, bridge.updated_at = now, entry.interview_id, now
    session.add(bridge)
    session.commit()
    return bridge


def save_recording(
    session: Session, bridge_id: str | None, form: Mapping[str, str], *, now: dt.datetime
) -> bool:
    """Recording status callback: keep RecordingSid and URL for QA. Idempotent. Commits.

    Returns False when the callback names no bridge of ours (ignored)."""
    bridge = _bridge_for(session, bridge_id, form.get("CallSid"))
    sid = form.get("RecordingSid", "")
    if bridge is None or not sid or form.get("RecordingStatus", "completed") != "completed":
        return False
    bridge.recording_sid = sid[:64]
    bridge.recording_url = form.get("RecordingUrl", "")[:500] or None
    duration = form.get("RecordingDuration", "")
    bridge.recording_seconds = int(duration) if duration.isdigit() else None
    bridge.updated_at = now
    session.add(bridge)
    session.commit()
    return True
