"""Late e-mail bounces: delivery status notifications that name an attempt by its VERP token.

SMTP-time refusals are recorded by ``fieldwork.sending``; a server further along reports later,
by mail, to the message's return path. With ``SURVEY_BOUNCE_ADDRESS`` set every invitation goes
out with the envelope sender ``bounces+<token>@domain`` (and an ``X-Survey-Attempt: <token>``
header), the token being the attempt id and its HMAC under ``SECRET_KEY``
(``fieldwork.links.bounce_token``), as Mailman, Sympa and listmonk do. Reports arrive by
``survey fieldwork bounce`` (an MTA pipe alias) or from ``SURVEY_BOUNCE_MAILDIR`` (a worker job).

What a report does (``integrations.dsn`` reads it; the worst recipient counts):

* ``Action: failed`` with ``Status: 5.x.x``: the attempt becomes ``bounced`` (status code in
  ``error_code``, the diagnostic in ``error_message``) and the address is unusable: the case's
  later e-mail steps are skipped as ``no_address`` (``queries.contact_history``), and the monitor
  counts the case as unreachable on e-mail unless something else reached it.
* ``Action: failed`` with a 4.x.x status (the server gave up retrying): ``undelivered``; the
  address stays usable.
* ``Action: delayed``: status and diagnostic recorded on the attempt, nothing else changes.
* ``Action: delivered``: ``delivered``.

Only attempts whose message the server may hold (``sending``, ``sent``, ``unknown``) change,
with the guarded update of ``fieldwork.sending``: processing the same report again changes
nothing. A token that does not verify is ignored (forged reports cannot mark attempts).
"""

from __future__ import annotations

import datetime as dt
import email
import logging
import mailbox
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import Message
from email.policy import default as default_policy

from sqlmodel import Session

from survey_app.fieldwork.links import attempt_from_bounce_token, token_of_verp_address
from survey_app.fieldwork.models import AttemptState, ContactAttempt
from survey_app.fieldwork.outbound import ATTEMPT_HEADER
from survey_app.fieldwork.sending import update_attempt
from survey_app.integrations import dsn

log = logging.getLogger(__name__)

#: States in which the mail server may hold the message: a report about it can settle them.
_HELD = (AttemptState.sending, AttemptState.sent, AttemptState.unknown)
#: Where unreadable messages of the bounce Maildir are kept (a Maildir++ folder, ``.unreadable``).
UNREADABLE_FOLDER = "unreadable"
#: Messages read per run of the Maildir job (the rest wait for the next run).
MAILDIR_BATCH = 1000


@dataclass(frozen=True)
class BounceOutcome:
    """What one message did: ``outcome`` is a word for logs and counts, ``detail`` says why."""

    outcome: str
    detail: str
    attempt_id: int | None = None

    def __str__(self) -> str:
        where = f" (attempt {self.attempt_id})" if self.attempt_id is not None else ""
        return f"{self.outcome}{where}: {self.detail}"


def process_message(
    session: Session,
    raw: bytes,
    *,
    secret_key: str,
    now: dt.datetime,
    envelope_recipients: Iterable[str] = (),
) -> BounceOutcome:
    """Apply one incoming message to the attempt it reports on; anything else is only described.

    :param envelope_recipients: the address the mail server delivered it to, when known (the
        MTA's ``$RECIPIENT``); the ``Delivered-To``/``X-Original-To``/``To`` headers are read too.
    :returns: the outcome; ``unreadable`` when the message could not be parsed at all.
    """
    try:
        message = email.message_from_bytes(raw, policy=default_policy)
        report = dsn.read_report(message)
    except Exception as exc:  # mail from anywhere: any parser failure is the message's, not ours
        return BounceOutcome("unreadable", f"cannot parse the message: {type(exc).__name__}: {exc}")
    if report is None:
        return BounceOutcome("not_a_bounce", f"no delivery status report in it ({_describe(message)})")
    attempt_id, problem = _attempt_id(message, report, envelope_recipients, secret_key)
    if attempt_id is None:
        return BounceOutcome(problem, _describe(message))
    attempt = session.get(ContactAttempt, attempt_id, populate_existing=True)
    if attempt is None or attempt.channel != "email":
        return BounceOutcome("unknown_attempt", "the token names no e-mail attempt", attempt_id)
    recipient = report.worst
    if recipient is None:
        return BounceOutcome("ignored", "the report names no recipient", attempt_id)
    return _apply(session, attempt, recipient, now)


def _attempt_id(
    message: Message, report: dsn.DeliveryReport, envelope: Iterable[str], secret_key: str
) -> tuple[int | None, str]:
    """Return the attempt id of the first token that verifies, else None and why none did."""
    tokens = [token_of_verp_address(a) for a in [*envelope, *dsn.recipient_addresses(message)]]
    if report.original is not None:
        # Servers that lost the envelope address still quote our message (or its headers).
        tokens += [str(v) for v in report.original.get_all(ATTEMPT_HEADER) or []]
    found = [t for t in tokens if t]
    for token in found:
        attempt_id = attempt_from_bounce_token(secret_key, token)
        if attempt_id is not None:
            return attempt_id, ""
    return None, "forged" if found else "no_token"


def _apply(
    session: Session, attempt: ContactAttempt, recipient: dsn.RecipientStatus, now: dt.datetime
) -> BounceOutcome:
    attempt_id = attempt.id
    status = recipient.status
    diagnostic = recipient.diagnostic or f"Action: {recipient.action}, Status: {status or 'none'}"
    if recipient.action == "delayed":
        text = f"delayed: {diagnostic}"
        if (attempt.error_code, attempt.error_message) == (status, text):
            return BounceOutcome("already_recorded", f"delay {status} already recorded", attempt_id)
        changed = update_attempt(
            session,
            attempt,
            (*_HELD, AttemptState.delivered),
            error_code=status,
            error_message=text,
            updated_at=now,
        )
        return _said(changed, attempt, "delayed", f"{status}: {diagnostic}")
    if recipient.action == "failed":
        state = AttemptState.bounced if recipient.permanent else AttemptState.undelivered
        changed = update_attempt(
            session,
            attempt,
            _HELD,
            state=state,
            error_code=status,
            error_message=diagnostic,
            finished_at=now,
            updated_at=now,
        )
        return _said(changed, attempt, str(state), f"{status}: {diagnostic}")
    if recipient.action == "delivered":
        changed = update_attempt(
            session, attempt, _HELD, state=AttemptState.delivered, finished_at=now, updated_at=now
        )
        return _said(changed, attempt, "delivered", recipient.final_recipient or "")
    return BounceOutcome("ignored", f"Action: {recipient.action or 'none'} changes nothing", attempt_id)


def _said(changed: bool, attempt: ContactAttempt, outcome: str, detail: str) -> BounceOutcome:
    if changed:
        return BounceOutcome(outcome, detail, attempt.id)
    # Not in a state the report may change: reported before, or a final outcome already stored.
    return BounceOutcome("already_recorded", f"the attempt is {attempt.state}; {detail}", attempt.id)


def _describe(message: Message) -> str:
    sender = " ".join(str(message.get("From", "")).split()) or "no sender"
    subject = " ".join(str(message.get("Subject", "")).split()) or "no subject"
    return f"from {sender[:120]}, subject {subject[:120]!r}"


def drain_maildir(
    session: Session,
    path: str,
    *,
    secret_key: str,
    now: dt.datetime,
    limit: int = MAILDIR_BATCH,
    stop: threading.Event | None = None,
) -> dict[str, int]:
    """Process and remove the messages of the bounce Maildir at ``path``; return counts by outcome.

    A message is removed once its outcome is committed (a crash in between processes it again,
    which changes nothing). An unreadable message is moved to the ``.unreadable`` folder and
    logged, never read again. A database error stops the run and leaves the message in place.
    """
    try:
        box = mailbox.Maildir(path, factory=None, create=False)
    except mailbox.NoSuchMailboxError:
        log.error("bounces not read: SURVEY_BOUNCE_MAILDIR %s is not a Maildir (new/, cur/, tmp/)", path)
        return {"no_maildir": 1}
    counts: dict[str, int] = {}
    for key in list(box.keys())[:limit]:
        if stop is not None and stop.is_set():
            break
        try:
            raw = box.get_bytes(key)
        except KeyError:  # removed meanwhile (a second reader, or a person tidying up)
            continue
        result = process_message(session, raw, secret_key=secret_key, now=now)
        if result.outcome == "unreadable":
            box.add_folder(UNREADABLE_FOLDER).add(raw)
            log.error("bounce message %s kept in folder .%s: %s", key, UNREADABLE_FOLDER, result)
        else:
            log.info("bounce message %s: %s", key, result)
        box.discard(key)
        counts[result.outcome] = counts.get(result.outcome, 0) + 1
    return counts
