"""Reads of sampling: the allocation a design gives (before drawing), stored draws, assignments."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlmodel import Session, col, select

from survey_app.auth.models import Role, User
from survey_app.frames.models import Frame, FrameStatus
from survey_app.sampling.design import Allocation, AllocationError, allocate
from survey_app.sampling.framedata import FrameSnapshot, Progress, read_frame
from survey_app.sampling.models import (
    Assignment,
    AssignmentRun,
    CaseMove,
    SampleDraw,
    SampledUnit,
    SampleReplicate,
    SampleStratum,
)
from survey_app.sampling.spec import DesignSpec, SampleError
from survey_app.surveys.models import Case, Interview, Survey


@dataclass(frozen=True)
class SamplePlan:
    """What a design gives on the frame as it is now: the eligible frame and the allocation."""

    spec: DesignSpec
    snapshot: FrameSnapshot
    allocation: Allocation

    @property
    def digest(self) -> str:
        """Fingerprint of the allocation table: a draw can insist on the table the researcher saw."""
        payload = json.dumps([self.allocation.to_dict()["strata"], self.exclusions()], sort_keys=True)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]

    def exclusions(self) -> list[dict[str, Any]]:
        """Per stratum: frame count and how many each governance rule excluded."""
        s = self.snapshot
        return [
            {
                "stratum": label,
                "frame": s.frame_counts[h],
                "opt_out": s.excluded_opt_out[h],
                "frequency": s.excluded_frequency[h],
            }
            for h, label in enumerate(s.labels)
        ]

    def rows(self) -> list[dict[str, Any]]:
        """The allocation table with the exclusions, one dict per stratum (for pages and the CLI)."""
        return [
            {**row, **excluded}
            for row, excluded in zip(self.allocation.as_table(), self.exclusions(), strict=True)
        ]


def plan_sample(
    session: Session, spec: DesignSpec, *, now: dt.datetime, progress: Progress | None = None
) -> SamplePlan:
    """Read the frame, apply the exclusions and allocate: the table shown before drawing.

    :raises SampleError: the frame or a variable is unusable, or the design is infeasible (the
        allocation module's message, which says what to change).
    """
    snapshot = read_frame(
        session, spec.frame_id, spec.by, frequency_days=spec.frequency_days, now=now, progress=progress
    )
    stddev = spec.stddev
    if spec.method in ("neyman", "optimal") and spec.stddev_wave is not None:
        stddev = wave_stddev(session, *spec.stddev_wave)
    try:
        allocation = allocate(
            snapshot.population,
            spec.n,
            spec.method,
            stddev=stddev,
            cost=spec.cost,
            power=spec.power,
            fixed=None if spec.fixed is None else {k: int(v) for k, v in spec.fixed.items()},
            min_n=spec.min_n,
            max_n=None if spec.max_n is None else dict.fromkeys(snapshot.labels, spec.max_n),
            response_rate=spec.response_rate,
        )
    except AllocationError as error:
        raise SampleError(
            _l("This design cannot be drawn: %(reason)s", reason=str(error)), "design"
        ) from None
    return SamplePlan(spec, snapshot, allocation)


def wave_stddev(session: Session, survey_id: int, variable: str) -> dict[str, float]:
    """``S_h`` (divisor n-1) of a numeric answer over a previous wave's completed, drawn interviews.

    Strata with fewer than two values are left out (the allocation then says which one lacks S_h).

    :raises SampleError: the survey does not exist or no completed interview has the variable.
    """
    if session.get(Survey, survey_id) is None:
        raise SampleError(_l("There is no survey %(id)s to take S_h from.", id=survey_id), "stddev_wave")
    values: dict[str, list[float]] = defaultdict(list)
    rows = session.exec(
        select(Case.stratum, Interview.answers)
        .join(Interview, col(Interview.case_id) == col(Case.id))
        .where(Case.survey_id == survey_id, Interview.status == "complete", col(Case.is_test).is_not(True))
    ).all()
    for stratum, answers in rows:
        value = (answers or {}).get(variable)
        if stratum is not None and isinstance(value, int | float) and not isinstance(value, bool):
            if math.isfinite(value):
                values[stratum].append(float(value))
    result = {h: float(np.std(v, ddof=1)) for h, v in values.items() if len(v) >= 2}
    if not result:
        raise SampleError(
            _l(
                "No completed interview of survey %(id)s has a number in %(variable)s: "
                "S_h cannot be estimated.",
                id=survey_id,
                variable=variable,
            ),
            "stddev_wave",
        )
    return result


def query_ready_frames(session: Session) -> Sequence[Frame]:
    """Frames whose import finished, newest first."""
    return session.exec(
        select(Frame).where(Frame.status == FrameStatus.ready).order_by(col(Frame.id).desc())
    ).all()


def get_draw(session: Session, survey_id: int) -> SampleDraw | None:
    """The survey's draw, or None before drawing."""
    return session.exec(select(SampleDraw).where(SampleDraw.survey_id == survey_id)).first()


def has_draw(session: Session, survey_id: int) -> bool:
    """Whether the survey's sample has been drawn (its respondents are then fixed)."""
    return get_draw(session, survey_id) is not None


def query_strata(session: Session, draw_id: int) -> Sequence[SampleStratum]:
    """The stored per-stratum table of a draw, in stratum order."""
    return session.exec(
        select(SampleStratum).where(SampleStratum.draw_id == draw_id).order_by(col(SampleStratum.position))
    ).all()


def query_replicates(session: Session, draw_id: int) -> Sequence[SampleReplicate]:
    """The replicate groups of a draw, in release order."""
    return session.exec(
        select(SampleReplicate)
        .where(SampleReplicate.draw_id == draw_id)
        .order_by(col(SampleReplicate.number))
    ).all()


def query_units(session: Session, draw_id: int) -> Sequence[SampledUnit]:
    """Every drawn unit, in draw order."""
    return session.exec(
        select(SampledUnit).where(SampledUnit.draw_id == draw_id).order_by(col(SampledUnit.id))
    ).all()


def query_unassigned_cases(session: Session, draw_id: int) -> Sequence[tuple[int, str, str | None]]:
    """``(case id, stratum, language)`` of released cases with no assignee yet, in draw order."""
    assigned = select(Assignment.case_id)
    rows = session.exec(
        select(SampledUnit.case_id, SampledUnit.stratum, Case.language)
        .join(Case, col(Case.id) == col(SampledUnit.case_id))
        .where(SampledUnit.draw_id == draw_id, col(SampledUnit.case_id).not_in(assigned))
        .order_by(col(SampledUnit.id))
    ).all()
    return [(int(case_id or 0), stratum, language) for case_id, stratum, language in rows]


def query_agents(session: Session) -> Sequence[User]:
    """Active call agents, by name."""
    return session.exec(
        select(User)
        .where(User.role == Role.agent, col(User.is_active).is_(True))
        .order_by(col(User.display_name))
    ).all()


def query_vendor_ids(session: Session) -> list[int]:
    """Vendor ids that have at least one active vendor user."""
    rows = session.exec(
        select(User.vendor_id)
        .where(col(User.vendor_id).is_not(None), col(User.is_active).is_(True))
        .distinct()
    ).all()
    return sorted(int(v) for v in rows if v is not None)


@dataclass(frozen=True)
class AssignmentSummary:
    """Cases per assignee overall and per stratum (the balance the audit checks)."""

    strata: list[str]
    #: ``(assignee kind, assignee id) -> {stratum: count}``
    counts: dict[tuple[str, int], dict[str, int]]

    def total(self, key: tuple[str, int]) -> int:
        """Cases of one assignee."""
        return sum(self.counts[key].values())


def summarize_assignments(session: Session, survey_id: int) -> AssignmentSummary:
    """Count the survey's current assignments by assignee and stratum."""
    rows = session.exec(
        select(Assignment.assignee_kind, Assignment.assignee_id, Case.stratum, func.count())
        .join(Case, col(Case.id) == col(Assignment.case_id))
        .where(Assignment.survey_id == survey_id)
        .group_by(col(Assignment.assignee_kind), col(Assignment.assignee_id), col(Case.stratum))
    ).all()
    counts: dict[tuple[str, int], dict[str, int]] = defaultdict(dict)
    strata: set[str] = set()
    for kind, assignee, stratum, count in rows:
        counts[(kind, assignee)][stratum or ""] = count
        strata.add(stratum or "")
    ordered = sorted(strata)
    for per in counts.values():
        for s in ordered:
            per.setdefault(s, 0)
    return AssignmentSummary(ordered, dict(sorted(counts.items())))


def query_runs(session: Session, survey_id: int) -> Sequence[AssignmentRun]:
    """The assignment runs of a survey, oldest first."""
    return session.exec(
        select(AssignmentRun).where(AssignmentRun.survey_id == survey_id).order_by(col(AssignmentRun.id))
    ).all()


def query_moves(session: Session, survey_id: int) -> Sequence[CaseMove]:
    """The logged case moves of a survey, newest first."""
    return session.exec(
        select(CaseMove).where(CaseMove.survey_id == survey_id).order_by(col(CaseMove.id).desc())
    ).all()


def query_assignments(session: Session, survey_id: int) -> Sequence[tuple[Assignment, str | None]]:
    """Every assignment of a survey with the case's stratum, by case id (the audit download)."""
    return session.exec(
        select(Assignment, Case.stratum)
        .join(Case, col(Case.id) == col(Assignment.case_id))
        .where(Assignment.survey_id == survey_id)
        .order_by(col(Assignment.case_id))
    ).all()


def query_surveys_with_draws(session: Session) -> Sequence[tuple[Survey, SampleDraw | None]]:
    """Every survey with its draw (None when not drawn), newest first."""
    return session.exec(
        select(Survey, SampleDraw)
        .outerjoin(SampleDraw, col(SampleDraw.survey_id) == col(Survey.id))
        .order_by(col(Survey.id).desc())
    ).all()
