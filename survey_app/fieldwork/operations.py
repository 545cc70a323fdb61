"""Writes of fieldwork: channel plans, launching and pausing, planning attempts, opt-outs, status reports.

Sending itself (claiming attempts, calling providers, reconciling) is in ``fieldwork.sending``;
inbound SMS and calls in ``fieldwork.conversation``. Every function here owns its commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, or_, select

from survey_app.fieldwork import queries
from survey_app.fieldwork.models import (
    AttemptState,
    ContactAttempt,
    FieldworkCase,
    FieldworkPause,
    FieldworkPlan,
    OptOut,
    ProcessedWebhook,
)
from survey_app.fieldwork.plan import CHANNELS, ChannelPlan, parse_plan, plan_document

# Planning a wave lives in ``fieldwork.planning`` (bulk writes); callers use it from here.
from survey_app.fieldwork.planning import attempt_key as attempt_key
from survey_app.fieldwork.planning import plan_waves as plan_waves
from survey_app.surveys.models import Case

#: Twilio status → our state, and its rank: a late "sent" never overwrites "delivered".
PROVIDER_STATES: dict[str, tuple[AttemptState, int]] = {
    "accepted": (AttemptState.sent, 1),
    "scheduled": (AttemptState.sent, 1),
    "queued": (AttemptState.sent, 1),
    "sending": (AttemptState.sent, 1),
    "sent": (AttemptState.sent, 2),
    "initiated": (AttemptState.sent, 1),
    "ringing": (AttemptState.sent, 2),
    "in-progress": (AttemptState.sent, 3),
    "delivered": (AttemptState.delivered, 4),
    "read": (AttemptState.delivered, 4),
    "completed": (AttemptState.delivered, 4),
    "undelivered": (AttemptState.undelivered, 4),
    "failed": (AttemptState.failed, 4),
    "busy": (AttemptState.failed, 4),
    "no-answer": (AttemptState.failed, 4),
    "canceled": (AttemptState.failed, 4),
}
_RANK = {
    AttemptState.sending: 0,
    AttemptState.unknown: 0,
    AttemptState.sent: 2,
    AttemptState.delivered: 4,
    AttemptState.undelivered: 4,
    AttemptState.failed: 4,
}
#: Final outcomes are never overwritten (a late "completed" after we marked an answering machine).
FINAL_RANK = 4
#: Twilio error: the recipient replied STOP to our sender earlier (carrier-level opt-out).
TWILIO_UNSUBSCRIBED = "21610"


def save_plan(
    session: Session, survey_id: int, document: Mapping[str, Any], *, now: dt.datetime
) -> ChannelPlan:
    """Validate and store a survey's channel plan (steps already planned keep their times).

    :raises PlanError: naming every problem; nothing is stored.
    """
    plan = parse_plan(document)
    row = queries.get_plan(session, survey_id)
    if row is None:
        row = FieldworkPlan(survey_id=survey_id, document=plan_document(plan), created_at=now)
    row.document, row.updated_at = plan_document(plan), now
    session.add(row)
    session.commit()
    return plan


def launch(session: Session, survey_id: int, *, now: dt.datetime) -> FieldworkPlan:
    """Start fieldwork: from now on the worker plans and sends every case's steps (idempotent)."""
    row = queries.get_plan(session, survey_id)
    if row is None:
        raise queries.NotFound(f"survey {survey_id} has no channel plan")
    if row.launched_at is None:
        row.launched_at, row.updated_at = now, now
        session.add(row)
        session.commit()
    return row


class PauseError(ValueError):
    """A pause or resume names no channel or wave of the plan (the message says which)."""


def set_paused(
    session: Session,
    survey_id: int,
    paused: bool,
    *,
    now: dt.datetime,
    channel: str | None = None,
    wave: int | None = None,
) -> FieldworkPlan:
    """Pause or resume a survey's sending: all of it, one channel, or one wave (idempotent).

    Paused attempts wait as ``planned`` and go out (within calling hours) once resumed.

    :raises queries.NotFound: the survey has no plan.
    :raises PauseError: ``channel`` is not a channel, or ``wave`` is not a wave number.
    """
    row = queries.get_plan(session, survey_id)
    if row is None:
        raise queries.NotFound(f"survey {survey_id} has no channel plan")
    if channel is None and wave is None:
        row.paused, row.updated_at = paused, now
        session.add(row)
        session.commit()
        return row
    if channel is not None and channel not in CHANNELS:
        raise PauseError(f"unknown channel {channel!r}: use one of {', '.join(CHANNELS)}")
    if wave is not None and (isinstance(wave, bool) or wave < 1):
        raise PauseError(f"a wave is a whole number from 1, got {wave!r}")
    scope, value = ("channel", str(channel)) if channel is not None else ("wave", str(wave))
    existing = session.exec(
        select(FieldworkPause).where(
            FieldworkPause.survey_id == survey_id,
            FieldworkPause.scope == scope,
            FieldworkPause.value == value,
        )
    ).first()
    if paused and existing is None:
        session.add(FieldworkPause(survey_id=survey_id, scope=scope, value=value, created_at=now))
    elif not paused and existing is not None:
        session.delete(existing)
    try:
        session.commit()
    except IntegrityError:  # paused twice at once: it is paused
        session.rollback()
    return row


def set_delivery_details(
    session: Session,
    case: Case,
    *,
    email: str | None = None,
    phone_e164: str | None = None,
    timezone: str | None = None,
    preferred_channel: str | None = None,
    name: str | None = None,
    wave: int = 1,
) -> FieldworkCase:
    """Store how to reach a case (until the sampling contacts table holds it)."""
    assert case.id is not None
    details = session.get(FieldworkCase, case.id) or FieldworkCase(case_id=case.id, survey_id=case.survey_id)
    details.email = email.strip().lower() if email else None
    details.phone_e164, details.timezone = phone_e164, timezone
    details.preferred_channel, details.name, details.wave = preferred_channel, name, wave
    session.add(details)
    session.commit()
    return details


def record_opt_out(
    session: Session,
    addresses: Iterable[str],
    *,
    source: str,
    survey_id: int | None,
    event_key: str,
    now: dt.datetime,
    commit: bool = True,
) -> None:
    """Record that the person behind ``addresses`` wants no more contact, about any survey.

    Planned attempts are left in place and skipped at send time (so the monitor shows why).
    """
    existing = set(session.exec(select(OptOut.address).where(col(OptOut.address).in_(list(addresses)))).all())
    for address in sorted({a.lower() for a in addresses} - existing):
        session.add(
            OptOut(address=address, source=source, survey_id=survey_id, event_key=event_key, created_at=now)
        )
    if commit:
        try:
            session.commit()
        except IntegrityError:  # the same opt-out arriving twice at once: it is recorded
            session.rollback()


def remove_opt_out(session: Session, phone: str, *, commit: bool = True) -> None:
    """Opt a phone back in (SMS START): remove its opt-out and those recorded with it."""
    keys = [k for k in session.exec(select(OptOut.event_key).where(OptOut.address == phone)).all() if k]
    session.execute(delete(OptOut).where(or_(col(OptOut.address) == phone, col(OptOut.event_key).in_(keys))))
    if commit:
        session.commit()


def apply_provider_status(
    session: Session,
    attempt: ContactAttempt,
    *,
    sid: str,
    status: str,
    error_code: str | None,
    now: dt.datetime,
) -> bool:
    """Apply a Twilio status report (StatusCallback) to an attempt; never move an outcome backwards.

    A report for an attempt left ``sending``/``unknown`` by a stopped worker settles it: the
    provider holds the message, so it is never sent again.

    :returns: whether the attempt changed.
    """
    mapped = PROVIDER_STATES.get(status)
    if mapped is None:
        return False
    state, rank = mapped
    current = _RANK.get(attempt.state)
    if current is None or current == FINAL_RANK or rank < current or attempt.state is state:
        return False
    values: dict[str, Any] = {"state": state, "provider_id": sid, "updated_at": now}
    if attempt.sent_at is None:
        values["sent_at"] = now
    if rank == FINAL_RANK:
        values["finished_at"] = now
    if error_code:
        values["error_code"] = error_code
    result = session.execute(
        update(ContactAttempt)
        .where(col(ContactAttempt.id) == attempt.id, col(ContactAttempt.state) == attempt.state)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if error_code == TWILIO_UNSUBSCRIBED and attempt.address:
        record_opt_out(
            session,
            queries.query_addresses_of_phone(session, attempt.address),
            source="provider",
            survey_id=attempt.survey_id,
            event_key=sid,
            now=now,
            commit=False,
        )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def unsubscribe_case(
    session: Session, case: Case, details: FieldworkCase | None, *, now: dt.datetime
) -> None:
    """Opt the person of ``case`` out of all contact (the e-mail one-click link); idempotent."""
    addresses = [a for a in ((details.email, details.phone_e164) if details else ()) if a]
    record_opt_out(
        session,
        addresses,
        source="email_link",
        survey_id=case.survey_id,
        event_key=f"unsubscribe:{case.id}",
        now=now,
    )


def handle_status_callback(
    session: Session, key: str | None, form: Mapping[str, str], *, now: dt.datetime
) -> bool:
    """Apply a Twilio status callback (messages and calls) once, even when Twilio retries it.

    :param key: the attempt's idempotency key from the StatusCallback URL.
    :returns: whether an attempt changed.
    """
    sid = form.get("MessageSid") or form.get("CallSid") or ""
    status = form.get("MessageStatus") or form.get("SmsStatus") or form.get("CallStatus") or ""
    marker = f"status:{sid}:{status}"
    if not sid or queries.get_processed_webhook(session, marker) is not None:
        return False
    attempt = queries.get_attempt_by_key(session, key) if key else None
    if attempt is None:
        attempt = session.exec(select(ContactAttempt).where(ContactAttempt.provider_id == sid)).first()
    changed = False
    if attempt is not None:
        error_code = form.get("ErrorCode") or None
        changed = apply_provider_status(
            session, attempt, sid=sid, status=status, error_code=error_code, now=now
        )
    session.add(ProcessedWebhook(key=marker))
    try:
        session.commit()
    except IntegrityError:  # the same report handled concurrently
        session.rollback()
        return False
    return changed
