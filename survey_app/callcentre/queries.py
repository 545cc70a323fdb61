"""Reads of the call-centre pages: vendor scoping, agents, histories, supervisor figures, paradata.

Vendor isolation lives here: :func:`vendor_scope` turns the viewer into the one vendor they may
see (managers: their own; admins: any), and every read below takes that vendor id, so a manager of
vendor A asking for anything of vendor B gets a 404 from the same place.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, func
from sqlalchemy import select as sa_select  # more columns than sqlmodel's overloads
from sqlmodel import Session, col, select
from werkzeug.exceptions import NotFound

from survey_app.auth.models import Role, User
from survey_app.callcentre.dispositions import CONTACTS, REFUSALS, aapor_category
from survey_app.callcentre.models import (
    AgentProfile,
    AlertCase,
    CallAttempt,
    CallBridge,
    InterviewerRating,
    ParadataEvent,
    QueueEntry,
    QueueStatus,
    Vendor,
)
from survey_app.callcentre.queue import Assignment
from survey_app.fieldwork.models import FieldworkCase
from survey_app.frames.models import Contact
from survey_app.sampling.models import Assignment as CaseAssignment
from survey_app.surveys.models import Case, Interview

#: An agent seen by the console within this time counts as online.
ONLINE_WINDOW = dt.timedelta(minutes=5)


def vendor_scope(session: Session, viewer: User, requested: int | None) -> Vendor:
    """The vendor ``viewer`` may look at: managers their own (asking for another is a 404),
    admins the one requested. Raises NotFound for a vendor that does not exist or is not theirs."""
    vendor_id = viewer.vendor_id if viewer.role == Role.vendor_manager else requested
    if vendor_id is None or (requested is not None and requested != vendor_id):
        raise NotFound()
    vendor = session.get(Vendor, vendor_id)
    if vendor is None:
        raise NotFound()
    return vendor


def query_vendors(session: Session) -> list[Vendor]:
    """Every vendor by name."""
    return list(session.exec(select(Vendor).order_by(col(Vendor.name))))


def query_agents(session: Session, vendor_id: int) -> list[tuple[User, AgentProfile | None]]:
    """The vendor's agents with their profiles (None: not set up yet)."""
    rows = session.exec(
        select(User, AgentProfile)
        .join(AgentProfile, col(AgentProfile.user_id) == col(User.id), isouter=True)
        .where(User.vendor_id == vendor_id, User.role == Role.agent)
        .order_by(col(User.display_name))
    )
    return [(user, profile) for user, profile in rows]


def get_agent(session: Session, user_id: int, vendor: Vendor) -> tuple[User, AgentProfile | None]:
    """An agent of ``vendor`` and their profile; NotFound for anyone else."""
    user = session.get(User, user_id)
    if user is None or user.role != Role.agent or user.vendor_id != vendor.id:
        raise NotFound()
    return user, session.get(AgentProfile, user_id)


def get_profile(session: Session, user: User) -> AgentProfile | None:
    """The profile of a signed-in agent, if it matches their vendor (else they cannot work)."""
    profile = session.get(AgentProfile, user.id)
    return profile if profile is not None and profile.vendor_id == user.vendor_id else None


def query_my_attempts(session: Session, agent_id: int, limit: int = 50) -> list[CallAttempt]:
    """The agent's own latest attempts (their history; no respondent details)."""
    return list(
        session.exec(
            select(CallAttempt)
            .where(CallAttempt.agent_id == agent_id)
            .order_by(col(CallAttempt.started_at).desc())
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class AgentFigures:
    """One agent's line on the supervisor page."""

    user: User
    online: bool
    case_seconds: float | None
    attempts: int
    contacts: int
    completes: int
    refusals: int
    contacts_per_hour: float


def supervisor_rows(
    session: Session, vendor_id: int, *, since: dt.datetime, now: dt.datetime
) -> list[AgentFigures]:
    """Per agent of the vendor: online, how long the current case has been held, and today's
    attempts, contacts (outcomes that reached the household or respondent), completes and refusals."""
    contact = case((col(CallAttempt.outcome).in_(CONTACTS), 1), else_=0)
    totals = {
        agent_id: (attempts, contacts or 0, completes or 0, refusals or 0, first)
        for agent_id, attempts, contacts, completes, refusals, first in session.execute(
            sa_select(
                col(CallAttempt.agent_id),
                func.count(),
                func.sum(contact),
                func.sum(case((col(CallAttempt.outcome) == "complete", 1), else_=0)),
                func.sum(case((col(CallAttempt.outcome).in_(REFUSALS), 1), else_=0)),
                func.min(col(CallAttempt.started_at)),
            )
            .where(col(CallAttempt.vendor_id) == vendor_id, col(CallAttempt.started_at) >= since)
            .group_by(col(CallAttempt.agent_id))
        )
    }
    # .all(): a Result has keys(), so dict() would treat it as a mapping.
    held = dict(
        session.exec(
            select(QueueEntry.locked_by, QueueEntry.locked_at).where(
                QueueEntry.vendor_id == vendor_id, QueueEntry.status == QueueStatus.locked
            )
        ).all()
    )
    rows = []
    for user, profile in query_agents(session, vendor_id):
        attempts, contacts, completes, refusals, first = totals.get(user.id, (0, 0, 0, 0, None))
        hours = max((now - first).total_seconds() / 3600, 1.0) if first else 1.0
        locked_at = held.get(user.id)
        seen = profile.last_seen_at if profile else None
        rows.append(
            AgentFigures(
                user=user,
                online=seen is not None and now - seen <= ONLINE_WINDOW,
                case_seconds=(now - locked_at).total_seconds() if locked_at else None,
                attempts=attempts,
                contacts=int(contacts),
                completes=int(completes),
                refusals=int(refusals),
                contacts_per_hour=round(int(contacts) / hours, 1),
            )
        )
    return rows


def query_vendor_cases(session: Session, vendor_id: int, limit: int = 100) -> list[QueueEntry]:
    """The vendor's most recently updated cases (the manager's case list; phone numbers are not shown)."""
    return list(
        session.exec(
            select(QueueEntry)
            .where(QueueEntry.vendor_id == vendor_id)
            .order_by(col(QueueEntry.updated_at).desc())
            .limit(limit)
        )
    )


def count_callbacks_due(session: Session, vendor_id: int, *, until: dt.datetime) -> int:
    """Appointments of the vendor's cases that are due by ``until`` (including overdue ones)."""
    return int(
        session.exec(
            select(func.count()).where(
                QueueEntry.vendor_id == vendor_id,
                QueueEntry.status == QueueStatus.waiting,
                col(QueueEntry.appointment_at).is_not(None),
                col(QueueEntry.appointment_at) <= until,
            )
        ).one()
    )


def disposition_counts(session: Session, vendor_id: int) -> dict[str, int]:
    """Final cases of the vendor per AAPOR rate category (I, P, R, NC, O, UH, UO, NE)."""
    counts: dict[str, int] = {}
    for code, number in session.exec(
        select(QueueEntry.final_code, func.count())
        .where(QueueEntry.vendor_id == vendor_id, QueueEntry.status == QueueStatus.final)
        .group_by(col(QueueEntry.final_code))
    ):
        category = aapor_category(code or "")
        counts[category] = counts.get(category, 0) + number
    return counts


@dataclass(frozen=True)
class InterviewParadata:
    """The paradata of one interview, as QA reads it."""

    interview_id: int
    agents: tuple[int, ...]
    vendors: tuple[int, ...]
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    seconds_by_step: tuple[tuple[str, float], ...]
    pauses: int
    paused_seconds: float
    answer_changes: int
    back_steps: int
    attempts: tuple[tuple[dt.datetime, str | None, str | None], ...]


def interview_paradata(session: Session, interview_id: int) -> InterviewParadata:
    """Everything recorded about the calls of one interview (one query per table)."""
    events = list(
        session.exec(
            select(ParadataEvent)
            .where(ParadataEvent.interview_id == interview_id)
            .order_by(col(ParadataEvent.id))
        )
    )
    attempts = list(
        session.exec(
            select(CallAttempt).where(CallAttempt.interview_id == interview_id).order_by(col(CallAttempt.id))
        )
    )
    return InterviewParadata(
        interview_id=interview_id,
        agents=tuple(dict.fromkeys(a.agent_id for a in attempts)),
        vendors=tuple(dict.fromkeys(a.vendor_id for a in attempts)),
        started_at=min((a.dialled_at or a.started_at for a in attempts), default=None),
        ended_at=max((a.ended_at for a in attempts if a.ended_at), default=None),
        seconds_by_step=tuple((e.questions, e.seconds) for e in events if e.kind == "answer"),
        pauses=sum(1 for e in events if e.kind == "pause"),
        paused_seconds=sum(e.seconds for e in events if e.kind == "pause"),
        answer_changes=sum(e.changed for e in events if e.kind == "answer"),
        back_steps=sum(1 for e in events if e.kind == "back"),
        attempts=tuple((a.started_at, a.outcome, a.aapor_code) for a in attempts),
    )


def query_alerts(session: Session, limit: int = 200) -> list[AlertCase]:
    """The latest dissatisfaction alerts raised in calls, for survey owners."""
    return list(session.exec(select(AlertCase).order_by(col(AlertCase.created_at).desc()).limit(limit)))


def query_assignments(session: Session, survey_id: int) -> list[Assignment]:
    """The survey's randomised assignment (``sampling.models.Assignment``) as queue rows.

    An ``agent`` assignee is queued for that agent (in their vendor); a ``vendor`` assignee goes
    to the vendor's pool. Contact details come from the frame contact of the case, else from
    ``fieldwork_cases``; cases without a phone number and test links are left out.
    """
    rows = session.execute(
        sa_select(CaseAssignment, Case, Contact, FieldworkCase, col(User.vendor_id))
        .join(Case, col(Case.id) == col(CaseAssignment.case_id))
        .join(Contact, col(Contact.id) == col(Case.contact_id), isouter=True)
        .join(FieldworkCase, col(FieldworkCase.case_id) == col(Case.id), isouter=True)
        .join(
            User,
            (col(User.id) == col(CaseAssignment.assignee_id))
            & (col(CaseAssignment.assignee_kind) == "agent"),
            isouter=True,
        )
        .where(col(CaseAssignment.survey_id) == survey_id, ~col(Case.is_test))
    )
    result = []
    for assigned, case_row, contact, fieldwork, agent_vendor in rows:
        phone = (contact.phone_e164 if contact else None) or (fieldwork.phone_e164 if fieldwork else None)
        by_agent = assigned.assignee_kind == "agent"
        vendor_id = agent_vendor if by_agent else assigned.assignee_id
        if not phone or vendor_id is None:
            continue
        result.append(
            Assignment(
                case_id=case_row.id,
                survey_id=survey_id,
                vendor_id=vendor_id,
                agent_id=assigned.assignee_id if by_agent else None,
                phone=phone,
                timezone=(contact.timezone if contact else None)
                or (fieldwork.timezone if fieldwork else None)
                or "UTC",
                language=case_row.language or (contact.language if contact else None),
                respondent_name=(contact.name if contact else None)
                or (fieldwork.name if fieldwork else None)
                or "",
            )
        )
    return result


@dataclass(frozen=True)
class AgentRatings:
    """One agent's interviewer ratings by respondents (QA; never shown to the agent)."""

    agent_id: int
    agent_name: str
    requested: int
    answered: int
    overall: float | None
    clarity: float | None
    courtesy: float | None
    length_acceptable: int
    #: Answered ratings with overall or courtesy at 2 or below (the questionnaire's QA alert).
    low: int


def rating_summary(
    session: Session, vendor_id: int, *, survey_id: int | None = None, mode: str | None = None
) -> list[AgentRatings]:
    """Per agent of the vendor: ratings requested and answered, mean scores, low ratings.

    One grouped query: the scores are read from the rating interviews' stored answers (JSON
    paths, on SQLite and PostgreSQL alike); ``survey_id`` / ``mode`` narrow it (QA compares the
    agent-asked ratings with the SMS/IVR ones, which are free of the interviewer's presence).
    """
    answers = Interview.__table__.c.answers  # type: ignore[attr-defined]
    overall, clear = answers["ir_overall"].as_integer(), answers["ir_clear"].as_integer()
    courteous = answers["ir_courteous"].as_integer()
    done = col(Interview.completed_at).is_not(None)
    statement = (
        sa_select(
            col(InterviewerRating.agent_id),
            col(User.display_name),
            func.count(),
            func.sum(case((done, 1), else_=0)),
            func.avg(case((done, overall))),
            func.avg(case((done, clear))),
            func.avg(case((done, courteous))),
            func.sum(case((done & (answers["ir_length"].as_string() == "acceptable"), 1), else_=0)),
            func.sum(case((done & ((overall <= 2) | (courteous <= 2)), 1), else_=0)),
        )
        .join(User, col(User.id) == col(InterviewerRating.agent_id))
        .join(Interview, col(Interview.case_id) == col(InterviewerRating.rating_case_id), isouter=True)
        .where(col(InterviewerRating.vendor_id) == vendor_id)
        .group_by(col(InterviewerRating.agent_id), col(User.display_name))
        .order_by(col(User.display_name))
    )
    if survey_id is not None:
        statement = statement.where(col(InterviewerRating.survey_id) == survey_id)
    if mode is not None:
        statement = statement.where(col(InterviewerRating.mode) == mode)
    rows = session.execute(statement).all()
    return [
        AgentRatings(
            agent_id=agent_id,
            agent_name=name,
            requested=int(requested),
            answered=int(answered or 0),
            overall=_mean(means[0]),
            clarity=_mean(means[1]),
            courtesy=_mean(means[2]),
            length_acceptable=int(acceptable or 0),
            low=int(low or 0),
        )
        for agent_id, name, requested, answered, *means, acceptable, low in rows
    ]


def _mean(value: object) -> float | None:
    return float(value) if value is not None else None  # type: ignore[arg-type]


def query_recordings(session: Session, interview_id: int) -> list[CallBridge]:
    """The click-to-call recordings of an interview, for QA review (oldest first)."""
    return list(
        session.exec(
            select(CallBridge)
            .where(CallBridge.interview_id == interview_id, col(CallBridge.recording_sid).is_not(None))
            .order_by(col(CallBridge.id))
        )
    )
