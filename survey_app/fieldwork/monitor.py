"""Reads of the fieldwork monitor: cases per stage by channel and by stratum, today's sends, next steps.

Every figure counts **cases** (people), except "sent today" (messages and calls). Definitions:

* *sampled*: by channel, cases with at least one step on that channel; by stratum, every drawn
  case (pilot links excluded);
* *attempted*: a message or call was handed to the provider (or is being);
* *delivered*: the provider reported delivery; for e-mail, the mail server accepted it (SMTP
  has no receipts);
* *started*: the case opened an interview (any channel); *completed* / *partial*: its interview
  has that status (AAPOR 1.1 / 1.2);
* *refused*: a break-off (AAPOR 2.12), or an opt-out before any interview started (2.11);
* *opted out*: an address of the case is on the opt-out list (every survey, every channel);
* *unreachable*: nothing reached the case (no message accepted) and at least one attempt
  failed, bounced or was undelivered, or it has no address for the channel.

Each table is two grouped queries whatever the number of cases (no per-case reads).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, case, false
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, or_, select

from survey_app.fieldwork import queries
from survey_app.fieldwork.models import AttemptState, ContactAttempt, FieldworkCase, FieldworkPlan, OptOut
from survey_app.fieldwork.plan import CHANNELS
from survey_app.surveys.models import Case, Interview

MADE_STATES = (
    AttemptState.sending,
    AttemptState.sent,
    AttemptState.delivered,
    AttemptState.failed,
    AttemptState.undelivered,
    AttemptState.bounced,
    AttemptState.unknown,
)
#: The provider holds (or may hold) the message: the case was reached as far as we can tell.
REACHED_STATES = (AttemptState.sending, AttemptState.sent, AttemptState.delivered, AttemptState.unknown)
FAILED_STATES = (AttemptState.failed, AttemptState.undelivered, AttemptState.bounced)
NEXT_STEPS_SHOWN = 10


@dataclass
class StageCounts:
    """One row of a monitor table: cases per stage for one channel or one stratum."""

    label: str
    sampled: int = 0
    attempted: int = 0
    delivered: int = 0
    started: int = 0
    completed: int = 0
    partial: int = 0
    refused: int = 0
    opted_out: int = 0
    unreachable: int = 0


@dataclass(frozen=True)
class NextStep:
    """Planned attempts of one step: when the first goes out and how many are waiting."""

    channel: str
    step: int
    kind: str
    due_at: dt.datetime
    count: int


@dataclass
class Monitor:
    """Everything the monitor page shows for one survey."""

    plan_row: FieldworkPlan | None
    #: Drawn cases (pilot links excluded).
    cases: int
    by_channel: list[StageCounts]
    by_stratum: list[StageCounts]
    sent_today: dict[str, int]
    next_steps: list[NextStep]
    waves: list[int]
    paused_channels: set[str] = field(default_factory=set)
    paused_waves: set[int] = field(default_factory=set)


def _flag(condition: Any) -> Any:
    return func.max(case((condition, 1), else_=0))


def _facts(survey_id: int, *keys: Any) -> Any:
    """Per case (and per channel when asked): whether attempted, delivered, reached, failed."""
    state, channel = col(ContactAttempt.state), col(ContactAttempt.channel)
    delivered = or_(state == AttemptState.delivered, and_(channel == "email", state == AttemptState.sent))
    failed = or_(state.in_(FAILED_STATES), col(ContactAttempt.skip_reason) == "no_address")
    return (
        sa_select(
            col(ContactAttempt.case_id).label("case_id"),
            *keys,
            _flag(state.in_(MADE_STATES)).label("made"),
            _flag(delivered).label("delivered"),
            _flag(state.in_(REACHED_STATES)).label("reached"),
            _flag(failed).label("failed"),
        )
        .where(col(ContactAttempt.survey_id) == survey_id)
        .group_by(col(ContactAttempt.case_id), *keys)
        .subquery()
    )


def _opted_out_cases(survey_id: int) -> Any:
    return (
        select(col(FieldworkCase.case_id).label("case_id"))
        .join(
            OptOut,
            or_(col(OptOut.address) == FieldworkCase.email, col(OptOut.address) == FieldworkCase.phone_e164),
        )
        .where(FieldworkCase.survey_id == survey_id)
        .distinct()
        .subquery()
    )


def _stage_columns(facts: Any, opted: Any, sampled: Any) -> list[Any]:
    status = col(Interview.status)
    is_opted = opted.c.case_id.is_not(None)
    started = col(Interview.id).is_not(None)
    reached = func.coalesce(facts.c.reached, 0) == 1
    return [
        sampled,
        func.coalesce(func.sum(facts.c.made), 0),
        func.coalesce(func.sum(facts.c.delivered), 0),
        func.count(col(Interview.id)),
        func.count(case((status == "complete", 1))),
        func.count(case((status == "partial", 1))),
        func.count(case((or_(status == "break_off", and_(is_opted, ~started)), 1))),
        func.count(opted.c.case_id),
        func.count(case((and_(~reached, func.coalesce(facts.c.failed, 0) == 1), 1))),
    ]


def _rows(result: Sequence[Any]) -> list[StageCounts]:
    return [StageCounts(str(label) if label is not None else "", *map(int, rest)) for label, *rest in result]


def query_by_channel(session: Session, survey_id: int) -> list[StageCounts]:
    """Return the stage counts of each channel that has steps planned, in plan channel order."""
    facts = _facts(survey_id, col(ContactAttempt.channel).label("channel"))
    opted = _opted_out_cases(survey_id)
    rows = session.exec(
        select(facts.c.channel, *_stage_columns(facts, opted, func.count()))
        .select_from(facts)
        .outerjoin(Interview, col(Interview.case_id) == facts.c.case_id)
        .outerjoin(opted, opted.c.case_id == facts.c.case_id)
        .group_by(facts.c.channel)
    ).all()
    order = {name: index for index, name in enumerate(CHANNELS)}
    return sorted(_rows(rows), key=lambda r: order.get(r.label, len(order)))


def query_by_stratum(session: Session, survey_id: int) -> list[StageCounts]:
    """Return the stage counts of every stratum of the survey's drawn cases (label "" = none)."""
    facts = _facts(survey_id)
    opted = _opted_out_cases(survey_id)
    rows = session.exec(
        select(col(Case.stratum), *_stage_columns(facts, opted, func.count()))
        .select_from(Case)
        .outerjoin(facts, facts.c.case_id == col(Case.id))
        .outerjoin(Interview, col(Interview.case_id) == col(Case.id))
        .outerjoin(opted, opted.c.case_id == col(Case.id))
        .where(Case.survey_id == survey_id, col(Case.is_test) == false())
        .group_by(col(Case.stratum))
        .order_by(col(Case.stratum))
    ).all()
    return sorted(_rows(rows), key=lambda r: r.label)


def query_sent_today(session: Session, survey_id: int, since: dt.datetime) -> dict[str, int]:
    """Return the messages and calls handed to the provider since ``since``, by channel."""
    rows = session.exec(
        select(ContactAttempt.channel, func.count())
        .where(ContactAttempt.survey_id == survey_id, col(ContactAttempt.sent_at) >= since)
        .group_by(col(ContactAttempt.channel))
    ).all()
    return {channel: int(count) for channel, count in rows}


def query_next_steps(session: Session, survey_id: int, limit: int = NEXT_STEPS_SHOWN) -> list[NextStep]:
    """Return the planned steps waiting to go out, the soonest first."""
    first_due = func.min(col(ContactAttempt.due_at))
    rows = session.execute(
        sa_select(
            col(ContactAttempt.channel),
            col(ContactAttempt.step),
            col(ContactAttempt.kind),
            first_due,
            func.count(),
        )
        .where(col(ContactAttempt.survey_id) == survey_id, col(ContactAttempt.state) == AttemptState.planned)
        .group_by(col(ContactAttempt.channel), col(ContactAttempt.step), col(ContactAttempt.kind))
        .order_by(first_due)
        .limit(limit)
    ).all()
    return [NextStep(ch, int(step), kind, _aware(due), int(n)) for ch, step, kind, due, n in rows]


def _aware(value: dt.datetime | str) -> dt.datetime:
    # MIN() loses the column type, so SQLite hands back text or naive values (stored as UTC).
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def query_waves(session: Session, survey_id: int) -> list[int]:
    """Return the wave numbers of the survey's planned cases."""
    rows = session.exec(
        select(ContactAttempt.wave).where(ContactAttempt.survey_id == survey_id).distinct()
    ).all()
    return sorted(int(w) for w in rows)


def get_monitor(session: Session, survey_id: int, today_start: dt.datetime) -> Monitor:
    """Return everything the monitor page shows; ``today_start``: midnight in the staff time zone."""
    pauses = queries.query_pauses(session, survey_id)
    by_stratum = query_by_stratum(session, survey_id)
    return Monitor(
        plan_row=queries.get_plan(session, survey_id),
        cases=sum(row.sampled for row in by_stratum),
        by_channel=query_by_channel(session, survey_id),
        by_stratum=by_stratum,
        sent_today=query_sent_today(session, survey_id, today_start),
        next_steps=query_next_steps(session, survey_id),
        waves=query_waves(session, survey_id),
        paused_channels={p.value for p in pauses if p.scope == "channel"},
        paused_waves={int(p.value) for p in pauses if p.scope == "wave"},
    )
