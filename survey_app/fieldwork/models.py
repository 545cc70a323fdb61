"""Fieldwork delivery: channel plans, contact attempts, opt-outs and processed webhooks."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Enum, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from survey_app.db import UTCDateTime, utcnow


class AttemptState(enum.StrEnum):
    """Where a contact attempt stands.

    ``planned`` → ``sending`` (committed before the provider call) → ``sent`` → ``delivered``, or
    ``failed`` / ``undelivered`` / ``bounced``. ``unknown``: the worker stopped during the call and
    the provider has not yet told us whether the message exists (see ``fieldwork.sending``).
    ``skipped``: not sent, on purpose (completed, opted out, no address, attempt cap).
    """

    planned = "planned"
    sending = "sending"
    sent = "sent"
    delivered = "delivered"
    failed = "failed"
    undelivered = "undelivered"
    bounced = "bounced"
    unknown = "unknown"
    skipped = "skipped"


#: States in which the provider holds (or held) a message: each counts as one contact made.
CONTACTED_STATES = frozenset(
    {AttemptState.sent, AttemptState.delivered, AttemptState.undelivered, AttemptState.bounced}
)
FAILED_STATES = frozenset({AttemptState.failed, AttemptState.undelivered, AttemptState.bounced})


def _state_type() -> Enum:
    return Enum(AttemptState, native_enum=False, length=16)


class FieldworkPlan(SQLModel, table=True):
    """A survey's channel plan (``fieldwork.plan`` JSON), whether it is launched and whether paused."""

    __tablename__ = "fieldwork_plans"

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="surveys.id", unique=True)
    document: dict[str, Any] = Field(sa_type=JSON)
    #: Set when the first wave goes out; cases drawn later join with their own start time.
    launched_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    paused: bool = Field(default=False)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class FieldworkCase(SQLModel, table=True):
    """What delivery needs to know about a case until the sampling contacts table provides it."""

    __tablename__ = "fieldwork_cases"

    case_id: int = Field(foreign_key="cases.id", primary_key=True)
    survey_id: int = Field(foreign_key="surveys.id", index=True)
    #: Lower-cased e-mail address.
    email: str | None = Field(default=None, max_length=320, index=True)
    #: E.164 phone number (``+8613800138000``).
    phone_e164: str | None = Field(default=None, max_length=16, index=True)
    #: IANA time zone of the respondent (``Asia/Shanghai``); None: the plan's zone.
    timezone: str | None = Field(default=None, max_length=64)
    preferred_channel: str | None = Field(default=None, max_length=8)
    name: str | None = Field(default=None, max_length=200)
    #: The sampling draw (wave) the case came in with: waves are paused and resumed as a whole.
    wave: int = Field(default=1)
    #: When the personal link became derivable for messages (``fieldwork.links``).
    link_issued_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class ContactAttempt(SQLModel, table=True):
    """One message or call to one case for one step of the plan, recorded before it is made."""

    __tablename__ = "contact_attempts"
    __table_args__ = (
        UniqueConstraint("survey_id", "case_id", "step", "attempt_number", name="step_attempt"),
        Index("ix_contact_attempts_state_due_at", "state", "due_at"),
        # Partial: most attempts of a wave are still planned, without a provider id or send time,
        # and a wave writes 300,000 rows at once; lookups by either are for rows that have one.
        Index(
            "ix_contact_attempts_provider_id",
            "provider_id",
            postgresql_where=text("provider_id IS NOT NULL"),
            sqlite_where=text("provider_id IS NOT NULL"),
        ),
        Index(
            "ix_contact_attempts_sent_at",
            "sent_at",
            postgresql_where=text("sent_at IS NOT NULL"),
            sqlite_where=text("sent_at IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    #: No index of its own: the unique ``step_attempt`` index starts with it.
    survey_id: int = Field(foreign_key="surveys.id")
    case_id: int = Field(foreign_key="cases.id", index=True)
    channel: str = Field(max_length=8)
    #: Index of the step in the channel plan.
    step: int
    kind: str = Field(max_length=16)
    #: The case's wave (copied at planning, so pausing a wave filters attempts without a join).
    wave: int = Field(default=1)
    attempt_number: int = Field(default=1)
    #: ``survey-case-step-attempt``: in the StatusCallback URL and the e-mail Message-ID.
    idempotency_key: str = Field(max_length=80, unique=True)
    state: AttemptState = Field(default=AttemptState.planned, sa_type=_state_type())
    #: Not before this instant (already moved into the respondent's calling hours).
    due_at: dt.datetime = Field(sa_type=UTCDateTime)
    retry_count: int = Field(default=0)
    next_retry_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: The address used (e-mail or E.164), kept for reconciliation lookups.
    address: str | None = Field(default=None, max_length=320)
    #: SHA-256 of the SMS body sent, to recognise our message in the provider's list.
    content_hash: str | None = Field(default=None, max_length=64)
    #: MessageSid / CallSid, or the e-mail Message-ID.
    provider_id: str | None = Field(default=None, max_length=200)
    error_code: str | None = Field(default=None, max_length=32)
    error_message: str | None = Field(default=None, sa_type=Text)
    skip_reason: str | None = Field(default=None, max_length=32)
    #: Which worker process made the provider call (reconciliation leaves live workers' calls alone).
    claimed_by: str | None = Field(default=None, max_length=100)
    claimed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: When the provider reported the final outcome (delivered, undelivered, failed).
    finished_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class FieldworkPause(SQLModel, table=True):
    """A paused part of a survey's sending: one channel (``channel``) or one wave (``wave``).

    The whole survey is paused with ``FieldworkPlan.paused``; a row here holds back only the
    attempts of that channel or that wave (they wait as ``planned`` and go out on resume).
    """

    __tablename__ = "fieldwork_pauses"
    __table_args__ = (UniqueConstraint("survey_id", "scope", "value", name="fieldwork_pause_scope"),)

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="surveys.id", index=True)
    #: ``channel`` or ``wave``.
    scope: str = Field(max_length=8)
    #: The channel name, or the wave number as text.
    value: str = Field(max_length=16)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class OptOut(SQLModel, table=True):
    """An address that must not be contacted again, about any survey, on any channel."""

    __tablename__ = "contact_opt_outs"

    id: int | None = Field(default=None, primary_key=True)
    #: Lower-cased e-mail or E.164 number.
    address: str = Field(max_length=320, unique=True)
    #: ``sms_keyword``, ``email_link``, ``provider`` (Twilio error 21610) or ``staff``.
    source: str = Field(max_length=16)
    survey_id: int | None = Field(default=None, foreign_key="surveys.id")
    #: What recorded it (a MessageSid, an attempt key): rows of one request are removed together.
    event_key: str | None = Field(default=None, max_length=100, index=True)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ProcessedWebhook(SQLModel, table=True):
    """A provider callback already handled: a retried webhook gets the stored response, once."""

    __tablename__ = "processed_webhooks"

    id: int | None = Field(default=None, primary_key=True)
    #: ``sms:<MessageSid>``, ``status:<Sid>:<status>``, ``voice:<CallSid>:<step>``.
    key: str = Field(max_length=120, unique=True)
    response: str = Field(default="", sa_type=Text)
    #: Indexed for the daily purge of records older than ``SURVEY_WEBHOOK_RETENTION_DAYS``.
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
