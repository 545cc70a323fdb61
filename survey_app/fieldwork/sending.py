"""Sending due contact attempts exactly once, and reconciling attempts a stopped worker left behind.

**The rule.** An attempt is claimed (``planned`` → ``sending``, conditional, committed) *before*
the provider is called, and its outcome is committed right after. A worker killed in between
leaves the attempt ``sending``; nothing is ever re-sent on the strength of that state alone.
``fieldwork.reconcile.reconcile_attempts`` (at every worker start, then periodically) takes attempts left
``sending`` by *another* worker process for longer than ``SURVEY_RECONCILE_AFTER_SECONDS`` and
marks them ``unknown``, then settles each ``unknown`` attempt:

* **SMS / calls**: a status callback carrying the attempt's key (``StatusCallback`` URL) settles it
  as soon as Twilio reports. Otherwise Twilio is asked: the recent messages (calls) from our number
  to that address, matched by body hash (call: creation time after the claim). Found: ``sent``
  with its SID, never re-sent. Provider says none: back to ``planned``, sent again with the same
  key. Provider unreachable: stays ``unknown`` until the next round.
* **E-mail**: SMTP offers no lookup. A message is handed over only when the server answers 250
  to the end of DATA (RFC 5321 §4.1.1.4), and we commit right after that reply, so ``unknown``
  almost always means the 250 never came: the attempt goes back to ``planned`` and is sent again
  with the **same Message-ID**. The remaining window (a kill between the 250 and our commit, RFC
  1047) can duplicate a message; receivers that deduplicate by Message-ID show it once.

Retries: 429 (honouring ``Retry-After``), 503 and connection failures before the request was
sent, SMTP 4xx: back to ``planned`` with exponential back-off, at most ``MAX_RETRIES`` times.
Permanent refusals fail the attempt with the provider's error code; a refused recipient is a
bounce, and so is a report that arrives later by mail (``fieldwork.bounces``): either makes the
address unusable for the case, whose later e-mail steps are then skipped as ``no_address``.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from survey_app.config import Settings
from survey_app.fieldwork import outbound, queries
from survey_app.fieldwork.links import PublicUrlMissing
from survey_app.fieldwork.models import AttemptState, ContactAttempt
from survey_app.fieldwork.operations import TWILIO_UNSUBSCRIBED, record_opt_out
from survey_app.fieldwork.ratelimit import RateLimiter, limiter_for
from survey_app.fieldwork.schedule import respondent_zone, send_time
from survey_app.integrations.smtp import (
    MailNotConfigured,
    PermanentMailError,
    SmtpTransport,
    TemporaryMailError,
    mail_problems,
)
from survey_app.integrations.twilio_client import (
    RedirectingHttpClient,
    TwilioNotConfigured,
    build_twilio_client,
    machine_detection,
    twilio_problems,
)
from survey_app.surveys.queries import SurveyPhase, survey_phase

log = logging.getLogger(__name__)

MAX_RETRIES = 5
BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 3600

_WORKER_ID: tuple[int, str] | None = None


def worker_id() -> str:
    """Return this process's id as recorded on claimed attempts (host, pid and a random part)."""
    global _WORKER_ID
    if _WORKER_ID is None or _WORKER_ID[0] != os.getpid():
        _WORKER_ID = (os.getpid(), f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}")
    return _WORKER_ID[1]


@dataclass
class SendReport:
    """What one run did, by outcome (for logs and tests)."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: str) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + 1


class _Retry(Exception):
    def __init__(self, message: str, code: str | None = None, after: float | None = None) -> None:
        super().__init__(message)
        self.code, self.after = code, after


class _Failed(Exception):
    def __init__(
        self, message: str, code: str | None = None, state: AttemptState = AttemptState.failed
    ) -> None:
        super().__init__(message)
        self.code, self.state = code, state


class _Unknown(Exception):
    """The provider may or may not have the message: reconcile, never resend blindly."""


class Transports:
    """Provider connections for one run, opened on first use and closed at the end."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._smtp: SmtpTransport | None = None
        self._twilio: Client | None = None

    @property
    def smtp(self) -> SmtpTransport:
        if self._smtp is None:
            self._smtp = SmtpTransport(self.settings)
        return self._smtp

    @property
    def twilio(self) -> Client:
        if self._twilio is None:
            self._twilio = build_twilio_client(self.settings)
        return self._twilio

    def close(self) -> None:
        if self._smtp is not None:
            self._smtp.close()


def _rate(settings: Settings, channel: str) -> tuple[str, float]:
    if channel == "email":
        return str(settings.mail_from), settings.email_per_second
    rate = settings.sms_per_second if channel == "sms" else settings.calls_per_second
    return str(settings.twilio_from_number), rate


def send_due_attempts(
    session: Session,
    settings: Settings,
    channel: str,
    *,
    batch_size: int = 100,
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    stop: threading.Event | None = None,
) -> SendReport:
    """Send every due attempt of ``channel``, a batch at a time, until none is due (or ``stop``)."""
    report = SendReport()
    # Checked before anything is claimed: a claimed attempt must reach the provider call.
    missing = mail_problems(settings) if channel == "email" else twilio_problems(settings)
    if missing:
        if queries.query_due_attempts(session, channel, clock(), 1):
            log.error("%s attempts not sent: set %s", channel, ", ".join(missing))
            report.add("not_configured")
        return report
    transports = Transports(settings)
    sender, rate = _rate(settings, channel)
    limiter = limiter_for(channel, sender, rate)
    try:
        while not (stop and stop.is_set()):
            due = queries.query_due_attempts(session, channel, clock(), batch_size)
            for attempt in due:
                if stop and stop.is_set():
                    break
                report.add(_process(session, transports, limiter, attempt, clock()))
            if len(due) < batch_size:
                break
    except (TwilioNotConfigured, MailNotConfigured, PublicUrlMissing) as exc:
        session.rollback()
        log.error("%s attempts not sent: %s", channel, exc)
        report.add("not_configured")
    finally:
        transports.close()
    return report


def _skip_reason(session: Session, delivery: queries.Delivery, now: dt.datetime) -> str | None:
    interview, plan = delivery.interview, delivery.plan
    if interview is not None and interview.completed_at is not None:
        return "completed"
    if survey_phase(delivery.survey, now) is SurveyPhase.closed:
        return "closed"
    details = delivery.details
    if queries.is_opted_out(session, (details.email, details.phone_e164) if details else ()):
        return "opted_out"
    channel = delivery.attempt.channel
    address = delivery.address(channel)
    if not address:
        return "no_address"
    made, bounced = queries.contact_history(
        session, delivery.case.id or 0, address if channel == "email" else None
    )
    # A hard bounce (at SMTP time or reported later by fieldwork.bounces) made the address unusable.
    if bounced:
        return "no_address"
    if made >= plan.max_attempts:
        return "max_attempts"
    if delivery.attempt.channel == "ivr" and interview is not None and interview.channel != "ivr":
        return "started"
    return None


def update_attempt(
    session: Session, attempt: ContactAttempt, expected: tuple[AttemptState, ...], **values: Any
) -> bool:
    """Change an attempt only if it is still in one of the ``expected`` states; commit.

    The in-memory ``attempt`` gets the new values as *committed* state: a plain ``setattr`` would
    mark it dirty, and the next flush would repeat the change as an unguarded ``UPDATE … WHERE
    id = ?``, overwriting whatever a status callback stored meanwhile (``delivered``).
    """
    result = session.execute(
        update(ContactAttempt)
        .where(col(ContactAttempt.id) == attempt.id, col(ContactAttempt.state).in_(expected))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    changed = bool(result.rowcount)  # type: ignore[attr-defined]
    if changed:
        for key, value in values.items():
            set_committed_value(attempt, key, value)
    return changed


def _process(
    session: Session, transports: Transports, limiter: RateLimiter, attempt: ContactAttempt, now: dt.datetime
) -> str:
    delivery = queries.get_delivery(session, attempt)
    planned = (AttemptState.planned,)
    reason = _skip_reason(session, delivery, now)
    if reason is not None:
        update_attempt(
            session, attempt, planned, state=AttemptState.skipped, skip_reason=reason, updated_at=now
        )
        return f"skipped:{reason}"
    details = delivery.details
    tz = respondent_zone(
        details.timezone if details else None, details.phone_e164 if details else None, delivery.plan.timezone
    )
    # A survey not open yet: wait for its opening (an invitation to a closed door is wasted).
    opens_at = delivery.survey.opens_at
    allowed = send_time(max(now, opens_at) if opens_at else now, tz, delivery.plan.window)
    if allowed > now:  # calling hours: wait in the respondent's zone
        update_attempt(session, attempt, planned, due_at=allowed, updated_at=now)
        return "deferred"
    address = str(delivery.address(attempt.channel))
    outgoing = _compose(session, delivery, address, now)
    claimed = update_attempt(
        session,
        attempt,
        planned,
        state=AttemptState.sending,
        claimed_by=worker_id(),
        claimed_at=now,
        address=address,
        content_hash=outgoing.content_hash,
        provider_id=outgoing.provider_ref,
        updated_at=now,
    )
    if not claimed:
        return "taken"
    limiter.wait()
    in_flight = (AttemptState.sending, AttemptState.unknown)
    try:
        provider_id = _call_provider(transports, outgoing)
    except _Retry as exc:
        return _retry_later(session, attempt, exc, now)
    except _Failed as exc:
        update_attempt(
            session,
            attempt,
            in_flight,
            state=exc.state,
            error_code=exc.code,
            error_message=str(exc),
            finished_at=now,
            updated_at=now,
        )
        if exc.code == TWILIO_UNSUBSCRIBED:
            record_opt_out(
                session,
                queries.query_addresses_of_phone(session, address),
                source="provider",
                survey_id=attempt.survey_id,
                event_key=attempt.idempotency_key,
                now=now,
            )
        return str(exc.state)
    except _Unknown as exc:
        update_attempt(
            session, attempt, in_flight, state=AttemptState.unknown, error_message=str(exc), updated_at=now
        )
        return "unknown"
    update_attempt(
        session,
        attempt,
        in_flight,
        state=AttemptState.sent,
        provider_id=provider_id,
        sent_at=now,
        updated_at=now,
    )
    return "sent"


def _compose(
    session: Session, delivery: queries.Delivery, address: str, now: dt.datetime
) -> outbound.Outgoing:
    channel = delivery.attempt.channel
    if channel == "email":
        return outbound.compose_email(session, delivery, address)
    if channel == "sms":
        return outbound.compose_sms(session, delivery, address, now=now)
    return outbound.compose_call(delivery, address)


def _retry_later(session: Session, attempt: ContactAttempt, exc: _Retry, now: dt.datetime) -> str:
    in_flight = (AttemptState.sending, AttemptState.unknown)
    if attempt.retry_count >= MAX_RETRIES:
        update_attempt(
            session,
            attempt,
            in_flight,
            state=AttemptState.failed,
            error_code=exc.code,
            error_message=f"gave up after {MAX_RETRIES} retries: {exc}",
            finished_at=now,
            updated_at=now,
        )
        return "failed"
    delay = max(exc.after or 0.0, min(BACKOFF_BASE_SECONDS * 2**attempt.retry_count, BACKOFF_CAP_SECONDS))
    update_attempt(
        session,
        attempt,
        in_flight,
        state=AttemptState.planned,
        retry_count=attempt.retry_count + 1,
        next_retry_at=now + dt.timedelta(seconds=delay),
        error_code=exc.code,
        error_message=str(exc),
        updated_at=now,
    )
    return "retry"


def _call_provider(transports: Transports, outgoing: outbound.Outgoing) -> str | None:
    if outgoing.channel == "email":
        assert outgoing.email is not None
        try:
            transports.smtp.send(outgoing.email, envelope_sender=outgoing.envelope_sender)
        except PermanentMailError as exc:
            code = str(exc.code) if exc.code else None
            raise _Failed(
                str(exc), code, AttemptState.bounced if exc.recipient else AttemptState.failed
            ) from exc
        except TemporaryMailError as exc:
            raise _Retry(str(exc), str(exc.code) if exc.code else None) from exc
        return outgoing.provider_ref
    client = transports.twilio
    sender = str(transports.settings.twilio_from_number)
    try:
        if outgoing.channel == "sms":
            message = client.messages.create(
                to=outgoing.address,
                from_=sender,
                body=outgoing.body,
                status_callback=outgoing.status_callback,
            )
            return str(message.sid)
        call = client.calls.create(
            to=outgoing.address,
            from_=sender,
            url=outgoing.call_url,
            status_callback=outgoing.status_callback,
            status_callback_event=["initiated", "ringing", "answered", "completed"],
            machine_detection=machine_detection(transports.settings),
        )
        return str(call.sid)
    except TwilioRestException as exc:
        raise _twilio_error(exc, client) from exc
    except requests.exceptions.ConnectTimeout as exc:
        raise _Retry(f"Twilio unreachable: {exc}") from exc
    except (requests.exceptions.RequestException, TwilioException) as exc:
        raise _Unknown(f"no answer from Twilio: {exc}") from exc


def _twilio_error(exc: TwilioRestException, client: Client) -> Exception:
    code = str(exc.code) if exc.code else str(exc.status)
    if exc.status in (429, 503):
        http = client.http_client
        after = http.retry_after() if isinstance(http, RedirectingHttpClient) else None
        return _Retry(f"Twilio {exc.status}: {exc.msg}", code, after)
    if exc.status >= 500:
        return _Unknown(f"Twilio {exc.status}: {exc.msg}")
    return _Failed(f"Twilio {exc.status}: {exc.msg}", code)
