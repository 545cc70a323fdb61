"""Stored sample draws: the design, the per-stratum table, the drawn units, replicates, assignments.

One draw per survey (``SampleDraw.survey_id`` is unique): once a survey has a draw, its respondents
are exactly the drawn units and nobody can add a hand-picked one (``sampling.operations``). A drawn
unit (``SampledUnit``) becomes a ``surveys.models.Case`` when its replicate is released. Who works a
case is an ``Assignment`` made by a seeded random ``AssignmentRun``; changing it afterwards is only
possible as a logged ``CaseMove`` with a reason.

Contacts and frames are referenced by id without a foreign key: a frame may be archived while the
draw (the audit record) stays.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from survey_app.db import UTCDateTime, utcnow


class SampleDraw(SQLModel, table=True):
    """The sample of one survey: the design, its seed, and who drew it when."""

    __tablename__ = "sample_draws"

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="surveys.id", unique=True)
    frame_id: int = Field(index=True)
    #: ``numpy.random.default_rng`` seed: the same frame, design and seed give the same units.
    seed: int = Field(sa_type=BigInteger)
    method: str = Field(max_length=16)
    #: The stratification variables, in order (frame fields or attribute names).
    strata_by: list[str] = Field(default_factory=list, sa_type=JSON)
    #: The design inputs (``DesignSpec.to_dict``) and the allocation (``Allocation.to_dict``).
    design: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    #: Contact-frequency rule applied: nobody drawn or invited in the last N days (0: off).
    frequency_days: int = Field(default=0)
    replicates: int = Field(default=1)
    n_target: int
    n_issued: int
    drawn_by_id: int | None = Field(default=None, foreign_key="users.id")
    drawn_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SampleStratum(SQLModel, table=True):
    """One row of a draw's per-stratum table, with the contacts governance excluded."""

    __tablename__ = "sample_strata"
    __table_args__ = (UniqueConstraint("draw_id", "stratum", name="draw_stratum"),)

    id: int | None = Field(default=None, primary_key=True)
    draw_id: int = Field(foreign_key="sample_draws.id", index=True)
    position: int
    stratum: str = Field(max_length=200)
    #: Contacts of the frame in the stratum, before exclusions.
    frame_count: int
    excluded_opt_out: int = Field(default=0)
    excluded_frequency: int = Field(default=0)
    #: ``N_h``: eligible contacts (frame count minus exclusions), the population the weights refer to.
    population: int
    #: Target completed interviews ``n_h`` and the issued sample (inflated by the response rate).
    n_target: int
    n_issued: int
    take_all: bool = Field(default=False)
    #: ``N_h / issued_h`` (1 for take-all; None when nothing is drawn from the stratum).
    design_weight: float | None = None
    #: Units of the stratum released to fieldwork so far.
    released: int = Field(default=0)


class SampleReplicate(SQLModel, table=True):
    """A random replicate group of a draw; its units become cases when it is released."""

    __tablename__ = "sample_replicates"
    __table_args__ = (UniqueConstraint("draw_id", "number", name="draw_replicate"),)

    id: int | None = Field(default=None, primary_key=True)
    draw_id: int = Field(foreign_key="sample_draws.id", index=True)
    number: int
    size: int
    released_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    released_by_id: int | None = Field(default=None, foreign_key="users.id")


class SampledUnit(SQLModel, table=True):
    """One drawn contact: its stratum, replicate group and (once released) its case."""

    __tablename__ = "sample_units"
    __table_args__ = (Index("ix_sample_units_draw_replicate", "draw_id", "replicate"),)

    id: int | None = Field(default=None, primary_key=True)
    draw_id: int = Field(foreign_key="sample_draws.id")
    contact_id: int = Field(index=True)
    stratum: str = Field(max_length=200)
    replicate: int
    case_id: int | None = Field(default=None, foreign_key="cases.id", unique=True)


class AssignmentRun(SQLModel, table=True):
    """One randomised, interpenetrated assignment of a survey's unassigned cases."""

    __tablename__ = "assignment_runs"

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="surveys.id", index=True)
    seed: int = Field(sa_type=BigInteger)
    #: ``agent`` (users with the agent role) or ``vendor`` (vendor ids).
    assignee_kind: str = Field(max_length=16)
    #: ``language`` / ``timezone`` when cases go to pools by that key; None: one pool.
    pool_by: str | None = Field(default=None, max_length=16)
    #: The assignees (``{"": [ids]}``) or pools (``{key: [ids]}``), as given.
    pools: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    case_count: int
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Assignment(SQLModel, table=True):
    """Who works a case now (an agent's user id or a vendor id)."""

    __tablename__ = "case_assignments"

    case_id: int = Field(foreign_key="cases.id", primary_key=True)
    survey_id: int = Field(foreign_key="surveys.id", index=True)
    run_id: int = Field(foreign_key="assignment_runs.id", index=True)
    assignee_kind: str = Field(max_length=16)
    assignee_id: int = Field(index=True)
    pool: str | None = Field(default=None, max_length=100)
    #: False once a CaseMove changed it: the random assignment is then in the move log.
    as_drawn: bool = Field(default=True)


class CaseMove(SQLModel, table=True):
    """A logged change of a case's assignee, with the reason (the only way to move a case)."""

    __tablename__ = "case_moves"

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="surveys.id", index=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    assignee_kind: str = Field(max_length=16)
    from_id: int
    to_id: int
    reason: str = Field(sa_type=Text)
    moved_by_id: int | None = Field(default=None, foreign_key="users.id")
    moved_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
