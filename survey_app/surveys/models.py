"""A survey fields one published version; cases are the people asked; interviews hold the answers."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Enum
from sqlalchemy import false as sa_false
from sqlmodel import Field, SQLModel

from survey_app.db import UTCDateTime, utcnow


class InterviewSource(enum.StrEnum):
    """How the respondent came in: a personal link (probability sample) or an open link (not)."""

    personal = "personal"
    open = "open"


class Survey(SQLModel, table=True):
    """A fielding project: a published questionnaire version for one stakeholder group."""

    __tablename__ = "surveys"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    version_id: int = Field(foreign_key="questionnaire_versions.id", index=True)
    stakeholder_group: str = Field(max_length=50)
    languages: list[str] = Field(sa_type=JSON)
    default_language: str = Field(max_length=16)
    opens_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    closes_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: SHA-256 of the open link's token; None when the survey has no open link.
    open_link_hash: str | None = Field(default=None, max_length=64, unique=True)
    #: Share of on-path questions that makes an unfinished interview a partial (AAPOR 1.2).
    partial_threshold: float = Field(default=0.5)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Case(SQLModel, table=True):
    """One person asked in one survey, reached through a personal link."""

    __tablename__ = "cases"

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="surveys.id", index=True)
    #: SHA-256 of the personal link token: a leaked database does not leak working links.
    token_hash: str = Field(max_length=64, unique=True)
    contact_id: int | None = Field(default=None, index=True)
    language: str | None = Field(default=None, max_length=16)
    #: Contact attributes the questionnaire may use for conditions and piping (``first_name``...).
    context: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    stratum: str | None = Field(default=None, max_length=200)
    design_weight: float | None = None
    #: A pilot link issued by hand from the survey page, not drawn: kept out of results by default.
    is_test: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Interview(SQLModel, table=True):
    """The engine state of one interview, its status and (once finished) its answers."""

    __tablename__ = "interviews"

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="surveys.id", index=True)
    #: One interview per case; open-link interviews have no case.
    case_id: int | None = Field(default=None, foreign_key="cases.id", unique=True)
    version_id: int = Field(foreign_key="questionnaire_versions.id")
    source: InterviewSource = Field(sa_type=Enum(InterviewSource, native_enum=False, length=16))
    channel: str = Field(max_length=16)
    language: str = Field(max_length=16)
    #: ``InterviewStatus`` of the engine: not_started, break_off, partial, complete.
    status: str = Field(max_length=16, index=True)
    state: dict[str, Any] = Field(sa_type=JSON)
    #: The key of the step on screen: a page submitted twice is recognised and stored once.
    step_key: str = Field(max_length=500)
    #: On-path answers and computed values, written at every page so results need no engine.
    answers: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    #: SHA-256 of the resume cookie of an open-link interview.
    resume_hash: str | None = Field(default=None, max_length=64, unique=True)
    started_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    completed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
