"""Questionnaires as stored: an editable draft document and its immutable published versions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from survey_app.db import UTCDateTime, utcnow


class QuestionnaireRecord(SQLModel, table=True):
    """A questionnaire being designed. Its ``draft`` is the document the editors change."""

    __tablename__ = "questionnaires"

    id: int | None = Field(default=None, primary_key=True)
    #: The definition's own ``id``; unique, so imports and clones cannot collide.
    key: str = Field(max_length=100, unique=True)
    #: Title in the default language, kept beside the document for lists and search.
    title: str = Field(max_length=300)
    stakeholder_group: str = Field(max_length=50, index=True)
    owner_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    draft: dict[str, Any] = Field(sa_type=JSON)
    #: Bumped on every save: an editor that saves over a newer draft is told instead of winning.
    draft_revision: int = Field(default=1)
    #: Library questionnaires researchers start from; never fielded directly.
    is_template: bool = Field(default=False, index=True)
    cloned_from_id: int | None = Field(default=None, foreign_key="questionnaires.id")
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class QuestionnaireVersion(SQLModel, table=True):
    """A published, frozen copy of a questionnaire; every interview is pinned to one."""

    __tablename__ = "questionnaire_versions"
    __table_args__ = (UniqueConstraint("questionnaire_id", "number", name="questionnaire_number"),)

    id: int | None = Field(default=None, primary_key=True)
    questionnaire_id: int = Field(foreign_key="questionnaires.id", index=True)
    number: int
    #: The expanded definition (shared blocks included), exactly as fielded.
    document: dict[str, Any] = Field(sa_type=JSON)
    published_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    published_by_id: int | None = Field(default=None, foreign_key="users.id")
