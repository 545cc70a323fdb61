"""Settling attempts a stopped worker left ``sending``: the rule is in ``fieldwork.sending``'s docstring.

In short: never re-send on the strength of ``sending`` alone. SMS and calls are looked up at Twilio
(or settled by a status callback carrying the attempt's key); only when Twilio shows no such
message is the attempt planned again. E-mail has no lookup: it is sent again with the same
Message-ID.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

import requests
from sqlmodel import Session
from twilio.base.exceptions import TwilioException
from twilio.rest import Client

from survey_app.config import Settings
from survey_app.fieldwork import queries
from survey_app.fieldwork.models import AttemptState, ContactAttempt
from survey_app.fieldwork.outbound import Outgoing
from survey_app.fieldwork.sending import update_attempt, worker_id
from survey_app.integrations.twilio_client import TwilioNotConfigured, build_twilio_client

log = logging.getLogger(__name__)

#: How far back (before the claim) a provider's record may be dated and still be ours.
CLOCK_SLACK = dt.timedelta(minutes=5)
LOOKUP_LIMIT = 20

#: A lookup answers with the SID found, None (the provider has no such message) or False (cannot tell now).
Lookup = Callable[[ContactAttempt], "str | None | bool"]


def reconcile_attempts(
    session: Session,
    settings: Settings,
    *,
    now: dt.datetime,
    lookup: Lookup | None = None,
) -> dict[str, int]:
    """Settle attempts a stopped worker left ``sending`` (see the module docstring for the rule).

    :param lookup: for tests; default asks Twilio. Returns the SID found, None when the provider
        has no such message, False when it cannot tell now.
    :returns: counts by outcome.
    """
    counts: dict[str, int] = {}
    stale_before = now - dt.timedelta(seconds=settings.reconcile_after_seconds)
    for attempt in queries.query_stale_attempts(session, stale_before, worker_id()):
        update_attempt(session, attempt, (AttemptState.sending,), state=AttemptState.unknown, updated_at=now)
    find = lookup or _twilio_lookup(settings)
    for attempt in queries.query_unknown_attempts(session):
        if attempt.channel == "email":
            found: str | None | bool = None
        else:
            found = find(attempt)
        if found is False:
            outcome = "still_unknown"
        elif found:
            update_attempt(
                session,
                attempt,
                (AttemptState.unknown,),
                state=AttemptState.sent,
                provider_id=found,
                sent_at=attempt.claimed_at,
                updated_at=now,
            )
            outcome = "found_sent"
        else:
            update_attempt(
                session,
                attempt,
                (AttemptState.unknown,),
                state=AttemptState.planned,
                next_retry_at=None,
                error_message="re-sent: the previous worker stopped before the provider accepted it",
                updated_at=now,
            )
            outcome = "replanned"
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def _twilio_lookup(settings: Settings) -> Lookup:
    client: list[Client] = []

    def find(attempt: ContactAttempt) -> str | None | bool:
        try:
            if not client:
                client.append(build_twilio_client(settings))
            return find_at_twilio(client[0], attempt, str(settings.twilio_from_number))
        except (TwilioNotConfigured, TwilioException, requests.exceptions.RequestException) as exc:
            log.warning("cannot reconcile attempt %s now: %s", attempt.idempotency_key, exc)
            return False

    return find


def find_at_twilio(client: Client, attempt: ContactAttempt, sender: str) -> str | None:
    """Return the SID of the message or call Twilio made for ``attempt``, or None if it has none."""
    since = (attempt.claimed_at or attempt.created_at) - CLOCK_SLACK
    if attempt.channel == "sms":
        for message in client.messages.list(to=attempt.address, from_=sender, limit=LOOKUP_LIMIT):
            body_hash = Outgoing("sms", "", body=message.body or "").content_hash
            created = message.date_created
            if body_hash == attempt.content_hash and (created is None or created >= since):
                return str(message.sid)
        return None
    for call in client.calls.list(to=attempt.address, from_=sender, limit=LOOKUP_LIMIT):
        created = call.date_created
        if created is None or created >= since:
            return str(call.sid)
    return None
