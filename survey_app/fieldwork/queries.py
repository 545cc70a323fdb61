"""Reads for fieldwork delivery: plans, delivery details of cases, due attempts, opt-outs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, and_, bindparam, case, cast, exists, false, literal, literal_column, true
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, or_, select

from survey_app.fieldwork.models import (
    CONTACTED_STATES,
    AttemptState,
    ContactAttempt,
    FieldworkCase,
    FieldworkPause,
    FieldworkPlan,
    OptOut,
    ProcessedWebhook,
)
from survey_app.fieldwork.plan import ChannelPlan, parse_plan
from survey_app.surveys.models import Case, Interview, Survey


class NotFound(LookupError):
    """The row asked for does not exist."""


@dataclass
class Delivery:
    """Everything needed to decide on and compose one attempt, read together."""

    attempt: ContactAttempt
    case: Case
    survey: Survey
    plan_row: FieldworkPlan
    details: FieldworkCase | None
    interview: Interview | None

    @property
    def plan(self) -> ChannelPlan:
        return parse_plan(self.plan_row.document)

    def address(self, channel: str) -> str | None:
        """Return the case's address for ``channel`` (e-mail, or the phone for SMS and calls)."""
        if self.details is None:
            return None
        return self.details.email if channel == "email" else self.details.phone_e164


def get_plan(session: Session, survey_id: int) -> FieldworkPlan | None:
    """Return the channel plan row of a survey (None: no plan yet)."""
    return session.exec(select(FieldworkPlan).where(FieldworkPlan.survey_id == survey_id)).first()


def query_launched_plans(session: Session) -> Sequence[FieldworkPlan]:
    """Return the plans that are launched and not paused."""
    return session.exec(
        select(FieldworkPlan).where(
            col(FieldworkPlan.launched_at).is_not(None), col(FieldworkPlan.paused) == false()
        )
    ).all()


def query_unplanned_cases(session: Session, survey_id: int, after_id: int, limit: int) -> Sequence[Any]:
    """Return plain rows of cases (id above ``after_id``) that have no contact attempt yet.

    Columns: ``id``, ``created_at``, ``has_details``, ``email``, ``phone_e164``, ``timezone``,
    ``preferred_channel``, ``wave``, ``link_issued_at``. Rows, not ORM objects: planning a wave
    reads 100,000 of them and needs no identity map. Paged by id (keyset), so each page is an
    index range, not a re-scan of the cases already planned.
    """
    planned = exists().where(
        col(ContactAttempt.survey_id) == survey_id, col(ContactAttempt.case_id) == col(Case.id)
    )
    return session.execute(
        sa_select(
            col(Case.id),
            col(Case.created_at),
            col(FieldworkCase.case_id).is_not(None).label("has_details"),
            col(FieldworkCase.email),
            col(FieldworkCase.phone_e164),
            col(FieldworkCase.timezone),
            col(FieldworkCase.preferred_channel),
            col(FieldworkCase.wave),
            col(FieldworkCase.link_issued_at),
        )
        .outerjoin(FieldworkCase, col(FieldworkCase.case_id) == col(Case.id))
        # Pilot links handed out by hand are never contacted (and keep their token).
        .where(
            col(Case.survey_id) == survey_id,
            col(Case.id) > after_id,
            ~planned,
            col(Case.is_test).is_not(True),
        )
        .order_by(col(Case.id))
        .limit(limit)
    ).all()


def query_due_attempts(
    session: Session, channel: str, now: dt.datetime, limit: int
) -> Sequence[ContactAttempt]:
    """Return planned attempts of ``channel`` that are due, oldest first, of surveys not paused."""
    return session.exec(
        select(ContactAttempt)
        .join(FieldworkPlan, col(FieldworkPlan.survey_id) == col(ContactAttempt.survey_id))
        .where(
            ContactAttempt.channel == channel,
            ContactAttempt.state == AttemptState.planned,
            col(ContactAttempt.due_at) <= now,
            or_(col(ContactAttempt.next_retry_at).is_(None), col(ContactAttempt.next_retry_at) <= now),
            col(FieldworkPlan.paused) == false(),
            ~_paused_part(channel),
        )
        .order_by(col(ContactAttempt.due_at), col(ContactAttempt.id))
        .limit(limit)
    ).all()


def _paused_part(channel: str) -> Any:
    """Return the condition "this attempt's channel or wave is paused in its survey"."""
    return exists().where(
        col(FieldworkPause.survey_id) == col(ContactAttempt.survey_id),
        or_(
            and_(col(FieldworkPause.scope) == "channel", col(FieldworkPause.value) == channel),
            and_(
                col(FieldworkPause.scope) == "wave",
                col(FieldworkPause.value) == cast(col(ContactAttempt.wave), String),
            ),
        ),
    )


def query_pauses(session: Session, survey_id: int) -> Sequence[FieldworkPause]:
    """Return the paused channels and waves of a survey."""
    return session.exec(
        select(FieldworkPause)
        .where(FieldworkPause.survey_id == survey_id)
        .order_by(col(FieldworkPause.scope), col(FieldworkPause.value))
    ).all()


def get_delivery(session: Session, attempt: ContactAttempt) -> Delivery:
    """Return the attempt with its case, survey, plan, delivery details and interview."""
    row = session.execute(  # five entities: beyond sqlmodel's typed select overloads
        sa_select(Case, Survey, FieldworkPlan, FieldworkCase, Interview)
        .join(Survey, col(Survey.id) == col(Case.survey_id))
        .join(FieldworkPlan, col(FieldworkPlan.survey_id) == col(Survey.id))
        .outerjoin(FieldworkCase, col(FieldworkCase.case_id) == col(Case.id))
        .outerjoin(Interview, col(Interview.case_id) == col(Case.id))
        .where(col(Case.id) == attempt.case_id)
    ).one()
    case, survey, plan_row, details, interview = row
    return Delivery(attempt, case, survey, plan_row, details, interview)


def get_attempt_by_key(session: Session, key: str) -> ContactAttempt | None:
    """Return the attempt with idempotency key ``key``."""
    return session.exec(select(ContactAttempt).where(ContactAttempt.idempotency_key == key)).first()


def contact_history(session: Session, case_id: int, email: str | None) -> tuple[int, bool]:
    """Return how many messages or calls the provider accepted for ``case_id``, and whether an
    e-mail to ``email`` bounced for good (the address is unusable for this case).

    Bounces are read from the attempts rather than stored on the case, so a corrected address is
    usable at once; one statement, as it runs before every send.
    """
    state = col(ContactAttempt.state)
    bounced = and_(
        col(ContactAttempt.channel) == "email",
        state == AttemptState.bounced,
        col(ContactAttempt.address) == email,
    )
    made, email_bounced = session.execute(
        sa_select(
            func.count(case((state.in_(CONTACTED_STATES), 1))),
            func.count(case((bounced, 1))) if email else literal(0),
        ).where(col(ContactAttempt.case_id) == case_id)
    ).one()
    return int(made), bool(email_bounced)


def query_stale_attempts(
    session: Session, before: dt.datetime, exclude_worker: str
) -> Sequence[ContactAttempt]:
    """Return attempts left ``sending`` by another worker since before ``before``."""
    return session.exec(
        select(ContactAttempt).where(
            ContactAttempt.state == AttemptState.sending,
            col(ContactAttempt.claimed_at) < before,
            or_(col(ContactAttempt.claimed_by).is_(None), col(ContactAttempt.claimed_by) != exclude_worker),
        )
    ).all()


def query_unknown_attempts(session: Session, limit: int = 200) -> Sequence[ContactAttempt]:
    """Return attempts whose outcome must be looked up at the provider."""
    return session.exec(
        select(ContactAttempt)
        .where(ContactAttempt.state == AttemptState.unknown)
        .order_by(col(ContactAttempt.id))
        .limit(limit)
    ).all()


def is_opted_out(session: Session, addresses: Iterable[str | None]) -> bool:
    """Return True when any of ``addresses`` (e-mail or E.164) has opted out of all contact."""
    wanted = [a.lower() for a in addresses if a]
    if not wanted:
        return False
    return session.exec(select(OptOut.id).where(col(OptOut.address).in_(wanted)).limit(1)).first() is not None


def query_addresses_of_phone(session: Session, phone: str) -> list[str]:
    """Return every address of the people using ``phone`` (their e-mails too): one person, one opt-out."""
    rows = session.exec(select(FieldworkCase).where(FieldworkCase.phone_e164 == phone)).all()
    addresses = {phone}
    addresses.update(r.email for r in rows if r.email)
    return sorted(addresses)


def get_case_details(session: Session, case_id: int) -> tuple[Case, FieldworkCase | None] | None:
    """Return a case and its delivery details."""
    row = session.exec(
        select(Case, FieldworkCase)
        .outerjoin(FieldworkCase, col(FieldworkCase.case_id) == col(Case.id))
        .where(Case.id == case_id)
    ).first()
    return (row[0], row[1]) if row is not None else None


@dataclass(frozen=True)
class SmsConversation:
    """The SMS interview in progress for a phone number: the columns a turn reads (no ORM objects)."""

    interview_id: int
    state: dict[str, Any]
    #: The step on record: the turn's write is conditional on it (a lost race stores nothing).
    step_key: str
    updated_at: dt.datetime
    language: str
    survey_id: int
    version_id: int
    partial_threshold: float


@dataclass(frozen=True)
class InboundSms:
    """What an inbound text needs to know, read in one statement (:func:`get_inbound_sms`)."""

    #: The reply given when this message was first handled (None: not handled yet).
    earlier: str | None
    #: The sender's number has opted out of all contact.
    opted_out: bool
    #: The sender's most recently active unfinished SMS interview (None: none).
    active: SmsConversation | None


def _inbound_sms_statement() -> Any:
    """Build the statement of :func:`get_inbound_sms` (once: building it costs more than running it)."""
    interview, survey, details = Interview.__table__, Survey.__table__, FieldworkCase.__table__  # type: ignore[attr-defined]
    active = (
        sa_select(
            interview.c.id.label("interview_id"),
            interview.c.state,
            interview.c.step_key,
            interview.c.updated_at,
            interview.c.language,
            survey.c.id.label("survey_id"),
            survey.c.version_id,
            survey.c.partial_threshold,
        )
        .join(details, details.c.case_id == interview.c.case_id)
        .join(survey, survey.c.id == interview.c.survey_id)
        .where(
            details.c.phone_e164 == bindparam("phone"),
            interview.c.channel == "sms",
            interview.c.completed_at.is_(None),
        )
        .order_by(interview.c.updated_at.desc(), interview.c.id.desc())
        .limit(1)
        .subquery("active")
    )
    earlier = (
        sa_select(col(ProcessedWebhook.response))
        .where(col(ProcessedWebhook.key) == bindparam("key"))
        .scalar_subquery()
    )
    opted_out = exists().where(col(OptOut.address) == bindparam("address"))
    # A one-row anchor, outer-joined to the interview: the marker and the opt-out are read
    # whether or not the number has an interview, and every path costs this one statement.
    anchor = sa_select(literal_column("1").label("one")).subquery("anchor")
    return sa_select(earlier.label("earlier"), opted_out.label("opted_out"), *active.c).select_from(
        anchor.outerjoin(active, true())
    )


_INBOUND_SMS = _inbound_sms_statement()


def get_inbound_sms(session: Session, key: str, phone: str) -> InboundSms:
    """Read in one statement the reply stored for webhook ``key``, the opt-out and the interview of ``phone``.

    The interview is the most recently active unfinished SMS interview of the person texting
    from ``phone``. Plain rows on the session's connection: nothing here needs the ORM's
    identity map, and its loading cost more CPU than the statement.
    """
    row = (
        session.connection()
        .execute(_INBOUND_SMS, {"key": key, "phone": phone, "address": phone.lower()})
        .one()
    )
    active = None
    if row.interview_id is not None:
        active = SmsConversation(
            row.interview_id,
            row.state,
            row.step_key,
            row.updated_at,
            row.language,
            row.survey_id,
            row.version_id,
            row.partial_threshold,
        )
    # An empty sender matches no opt-out (as ``is_opted_out`` reads it).
    return InboundSms(row.earlier, bool(phone) and bool(row.opted_out), active)


def get_interview_state(session: Session, interview_id: int) -> dict[str, Any]:
    """Return the stored engine state of an interview (re-read after a turn lost a race)."""
    statement = sa_select(col(Interview.state)).where(col(Interview.id) == interview_id)
    state: dict[str, Any] = session.execute(statement).scalar_one()
    return state


def get_processed_webhook(session: Session, key: str) -> ProcessedWebhook | None:
    """Return the record of an already handled webhook."""
    return session.exec(select(ProcessedWebhook).where(ProcessedWebhook.key == key)).first()


def query_surveys_with_plans(session: Session) -> Sequence[tuple[Survey, FieldworkPlan | None]]:
    """Return every survey with its channel plan (None when it has none), newest first."""
    return session.exec(
        select(Survey, FieldworkPlan)
        .outerjoin(FieldworkPlan, col(FieldworkPlan.survey_id) == col(Survey.id))
        .order_by(col(Survey.id).desc())
    ).all()
