"""Call-centre tables: vendors, agent profiles, the case queue, attempts, skips, alerts, paradata."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Enum, Index
from sqlmodel import Field, SQLModel

from survey_app.db import UTCDateTime, utcnow


class QueueStatus(enum.StrEnum):
    """Where a case stands in the call queue.

    ``waiting`` → ``locked`` (one agent holds it, from "next case" to the call outcome) →
    ``waiting`` again (a callback, a retry) or ``final`` (a final disposition, attempts used up).
    """

    waiting = "waiting"
    locked = "locked"
    final = "final"


class Vendor(SQLModel, table=True):
    """An outsourced fieldwork company whose managers and agents sign in (``User.vendor_id``)."""

    __tablename__ = "vendors"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    #: Whether its agents may use click-to-call (``callcentre.bridge``).
    click_to_call: bool = Field(default=False)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AgentProfile(SQLModel, table=True):
    """What the queue needs to know about a call agent (a ``User`` with role ``agent``)."""

    __tablename__ = "agent_profiles"

    user_id: int = Field(foreign_key="users.id", primary_key=True)
    vendor_id: int = Field(foreign_key="vendors.id", index=True)
    #: BCP 47 tags of the interview languages spoken (``zh-Hans``, ``en``).
    languages: list[str] = Field(default_factory=list, sa_type=JSON)
    #: Dialects spoken (``cantonese``, ``shanghainese``): a case asking for one needs it.
    dialects: list[str] = Field(default_factory=list, sa_type=JSON)
    skills: list[str] = Field(default_factory=list, sa_type=JSON)
    #: Working hours as local ``HH:MM`` in ``timezone``: outside them "next case" serves nothing
    #: (the respondent's calling hours apply as well).
    work_start: str = Field(default="09:00", max_length=5)
    work_end: str = Field(default="18:00", max_length=5)
    timezone: str = Field(default="UTC", max_length=64)
    #: E.164 number click-to-call rings first, before bridging to the respondent.
    phone: str | None = Field(default=None, max_length=16)
    #: Last request from the console: "online" on the supervisor page means seen recently.
    last_seen_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class QueueEntry(SQLModel, table=True):
    """A case assigned to a vendor (pool) or one agent, with its calling state and lock.

    Rows come from the randomised assignment (``callcentre.queue.load_assignments``). Contact
    details are copied in so that serving "next case" is one indexed read and one write.
    """

    __tablename__ = "call_queue"
    __table_args__ = (
        Index("ix_call_queue_serve", "vendor_id", "status", "timezone"),
        Index("ix_call_queue_order", "vendor_id", "status", "priority", "sort_key"),
        Index("ix_call_queue_appointment", "vendor_id", "appointment_at"),
    )

    case_id: int = Field(foreign_key="cases.id", primary_key=True)
    survey_id: int = Field(foreign_key="surveys.id", index=True)
    vendor_id: int = Field(foreign_key="vendors.id")
    #: The agent the case is assigned to; None: any agent of the vendor (the pool).
    agent_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    priority: int = Field(default=0)
    #: Random, redrawn whenever the case returns to the queue: random order within a priority.
    sort_key: float = Field(default=0.0)
    status: QueueStatus = Field(
        default=QueueStatus.waiting, sa_type=Enum(QueueStatus, native_enum=False, length=8)
    )
    locked_by: int | None = Field(default=None, foreign_key="users.id", index=True)
    locked_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: E.164 number; shown in full only while dialling.
    phone: str = Field(max_length=16)
    respondent_name: str = Field(default="", max_length=200)
    #: IANA time zone of the respondent: calling hours and day parts are local to it.
    timezone: str = Field(default="UTC", max_length=64)
    language: str | None = Field(default=None, max_length=16)
    dialect: str | None = Field(default=None, max_length=32)
    next_due_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    #: An appointment the respondent asked for (exact instant, booked in their local time).
    appointment_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    attempts: int = Field(default=0)
    max_attempts: int = Field(default=8)
    #: Attempts per day part (``schedule.DayPart``), for rotation: a case gets at most a third of
    #: its attempts (rounded up) in any one part; columns, not JSON, so the queue filters in SQL.
    tries_weekday: int = Field(default=0)
    tries_weeknight: int = Field(default=0)
    tries_weekend: int = Field(default=0)
    last_day_part: str | None = Field(default=None, max_length=16)
    #: The agent who took a soft refusal: the one conversion attempt goes to someone else.
    refused_by: int | None = Field(default=None, foreign_key="users.id")
    final_code: str | None = Field(default=None, max_length=8)
    #: The case's interview, created when a call first reaches the script (kept across attempts).
    interview_id: int | None = Field(default=None, foreign_key="interviews.id")
    #: The attempt in progress while ``locked``.
    attempt_id: int | None = Field(default=None, foreign_key="call_attempts.id")
    #: Start of the current step on screen, for time per question (paradata).
    step_shown_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: Set while the console is paused: the pause is not counted as time on the question.
    paused_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: When the agent pressed "dial" in the current attempt (the number is shown unmasked then).
    dialled_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CallAttempt(SQLModel, table=True):
    """One call attempt: who, when, and its AAPOR disposition."""

    __tablename__ = "call_attempts"
    __table_args__ = (Index("ix_call_attempts_vendor_time", "vendor_id", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    survey_id: int = Field(foreign_key="surveys.id", index=True)
    vendor_id: int = Field(foreign_key="vendors.id")
    agent_id: int = Field(foreign_key="users.id", index=True)
    interview_id: int | None = Field(default=None, foreign_key="interviews.id", index=True)
    started_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    dialled_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: The agent-facing outcome (``callcentre.dispositions``) and its AAPOR code.
    outcome: str | None = Field(default=None, max_length=24)
    aapor_code: str | None = Field(default=None, max_length=8)
    #: Whether this outcome ended the case.
    final: bool = Field(default=False)
    day_part: str = Field(max_length=16)
    callback_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    note: str = Field(default="", max_length=500)


class SkipEvent(SQLModel, table=True):
    """An agent passed on a case without calling: the reason is required and kept."""

    __tablename__ = "call_skips"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    vendor_id: int = Field(foreign_key="vendors.id", index=True)
    agent_id: int = Field(foreign_key="users.id", index=True)
    reason: str = Field(max_length=24)
    note: str = Field(default="", max_length=500)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AlertCase(SQLModel, table=True):
    """A questionnaire alert (strong dissatisfaction) raised during a call, for the survey owner."""

    __tablename__ = "call_alerts"
    __table_args__ = (Index("ix_call_alerts_once", "interview_id", "alert_id", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="surveys.id", index=True)
    case_id: int = Field(foreign_key="cases.id")
    interview_id: int = Field(foreign_key="interviews.id")
    vendor_id: int = Field(foreign_key="vendors.id")
    agent_id: int = Field(foreign_key="users.id")
    alert_id: str = Field(max_length=64)
    message: str = Field(default="", max_length=2000)
    #: The answers when the alert was raised.
    answers: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ParadataEvent(SQLModel, table=True):
    """One console event of an interview: a step answered, a back-step, a pause, a language switch.

    ``kind``: ``answer`` (``seconds`` on the step, ``changed`` when an earlier answer was altered),
    ``back``, ``pause`` (``seconds`` paused), ``language``, ``dial``. One row per event, indexed by
    interview and by agent, so QA queries aggregate with plain GROUP BYs.
    """

    __tablename__ = "call_paradata"
    __table_args__ = (Index("ix_call_paradata_agent_time", "agent_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    interview_id: int | None = Field(default=None, foreign_key="interviews.id", index=True)
    attempt_id: int = Field(foreign_key="call_attempts.id", index=True)
    vendor_id: int = Field(foreign_key="vendors.id")
    agent_id: int = Field(foreign_key="users.id")
    kind: str = Field(max_length=16)
    #: The question ids of the step, space-separated.
    questions: str = Field(default="", max_length=500)
    seconds: float = Field(default=0.0)
    changed: int = Field(default=0)
    detail: str = Field(default="", max_length=64)
    at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RatingSurvey(SQLModel, table=True):
    """The survey fielding the interviewer rating (library ``interviewer_rating``) for a survey's calls.

    Each rating is a second, linked interview: a case of this survey, so the SMS and IVR channels
    of fieldwork delivery can ask it like any other interview.
    """

    __tablename__ = "call_rating_surveys"

    survey_id: int = Field(foreign_key="surveys.id", primary_key=True)
    rating_survey_id: int = Field(foreign_key="surveys.id", unique=True)


class InterviewerRating(SQLModel, table=True):
    """A rating of the agent who did an interview: how it is asked and the linked rating case.

    The answers live in the rating case's interview (``interviews.case_id = rating_case_id``);
    QA aggregates them per vendor and agent (``queries.rating_summary``).
    """

    __tablename__ = "call_interviewer_ratings"
    __table_args__ = (Index("ix_call_ratings_vendor_agent", "vendor_id", "agent_id"),)

    id: int | None = Field(default=None, primary_key=True)
    #: The interview rated (the call-centre interview of ``case_id``): rated once.
    rated_interview_id: int = Field(foreign_key="interviews.id", unique=True)
    case_id: int = Field(foreign_key="cases.id")
    survey_id: int = Field(foreign_key="surveys.id", index=True)
    vendor_id: int = Field(foreign_key="vendors.id")
    agent_id: int = Field(foreign_key="users.id")
    #: ``agent`` (asked in the console after the interview), ``sms`` or ``ivr`` (a follow-up).
    mode: str = Field(max_length=8)
    rating_case_id: int = Field(foreign_key="cases.id", unique=True)
    #: The follow-up message or call for fieldwork delivery to make (``sms``/``ivr`` only).
    contact_attempt_id: int | None = Field(default=None, foreign_key="contact_attempts.id")
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CallBridge(SQLModel, table=True):
    """A click-to-call of one attempt: the Twilio call to the agent's phone, bridged to the
    respondent, and the recording started after consent (the reference QA listens to)."""

    __tablename__ = "call_bridges"

    id: int | None = Field(default=None, primary_key=True)
    attempt_id: int = Field(foreign_key="call_attempts.id", unique=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    vendor_id: int = Field(foreign_key="vendors.id")
    agent_id: int = Field(foreign_key="users.id")
    interview_id: int | None = Field(default=None, foreign_key="interviews.id", index=True)
    #: The Twilio call to the agent: the parent leg, whose ``<Dial>`` child is the respondent's;
    #: recording the parent records the bridged conversation.
    call_sid: str | None = Field(default=None, max_length=64, unique=True)
    status: str = Field(default="queued", max_length=16)
    consent_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    recording_sid: str | None = Field(default=None, max_length=64, index=True)
    recording_url: str | None = Field(default=None, max_length=500)
    recording_seconds: int | None = Field(default=None)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
