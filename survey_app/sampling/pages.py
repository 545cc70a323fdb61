"""What the sampling pages show: one read per page, gathered here so the views stay thin."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlmodel import Session
from wtforms import SelectChoice

from survey_app.auth.models import User
from survey_app.sampling import queries
from survey_app.sampling.forms import AssignForm, DesignForm, MoveForm, ReleaseForm
from survey_app.sampling.framedata import default_frequency_days, frame_variables
from survey_app.sampling.models import AssignmentRun, CaseMove, SampleDraw, SampleReplicate, SampleStratum
from survey_app.surveys.models import Survey


@dataclass(frozen=True)
class FrameChoice:
    """A ready frame and the stratification variables it offers."""

    id: int
    name: str
    contacts: int
    variables: list[str]


def frame_choices(session: Session, form: DesignForm) -> list[FrameChoice]:
    """Fill the design form's frame list (and the default contact-frequency rule); return the frames."""
    frames = [
        FrameChoice(f.id or 0, f.name, f.contact_count, frame_variables(f))
        for f in queries.query_ready_frames(session)
    ]
    form.frame_id.choices = [SelectChoice(f.id, f"{f.name} (#{f.id}, {f.contacts})") for f in frames]
    if not form.is_submitted() and form.frequency_days.data is None:
        form.frequency_days.data = default_frequency_days(session)
    return frames


@dataclass(frozen=True)
class SamplePage:
    """A drawn survey's sample: the stored draw and everything done with it since."""

    draw: SampleDraw
    drawn_by: User | None
    strata: Sequence[SampleStratum]
    replicates: Sequence[SampleReplicate]
    summary: queries.AssignmentSummary
    runs: Sequence[AssignmentRun]
    moves: Sequence[CaseMove]
    agents: Sequence[User]
    vendor_ids: list[int]
    unassigned: int

    @property
    def waiting(self) -> int:
        """Replicate groups not released yet."""
        return sum(1 for r in self.replicates if r.released_at is None)

    def assignee(self, kind: str, assignee_id: int) -> str:
        """How the page names an assignee: the agent's name, or the vendor's number."""
        if kind == "agent":
            names = {a.id: a.display_name for a in self.agents}
            return f"{names.get(assignee_id, '')} (#{assignee_id})".strip()
        return str(_("Vendor #%(id)d", id=assignee_id))

    def rows(self) -> list[dict[str, Any]]:
        """The stored per-stratum table in the shape of ``SamplePlan.rows()`` (exact n_h from the design)."""
        exact = {
            r["stratum"]: r.get("n_real") for r in self.draw.design.get("allocation", {}).get("strata", [])
        }
        return [
            {
                "stratum": s.stratum,
                "frame": s.frame_count,
                "opt_out": s.excluded_opt_out,
                "frequency": s.excluded_frequency,
                "population": s.population,
                "n_real": exact.get(s.stratum),
                "n": s.n_target,
                "issued": s.n_issued,
                "take_all": s.take_all,
                "design_weight": s.design_weight,
                "released": s.released,
            }
            for s in self.strata
        ]


def get_sample_page(session: Session, survey: Survey) -> SamplePage | None:
    """Everything the sample page shows, or None when the survey has not been drawn."""
    draw = queries.get_draw(session, survey.id or 0)
    if draw is None or draw.id is None:
        return None
    return SamplePage(
        draw=draw,
        drawn_by=session.get(User, draw.drawn_by_id) if draw.drawn_by_id else None,
        strata=queries.query_strata(session, draw.id),
        replicates=queries.query_replicates(session, draw.id),
        summary=queries.summarize_assignments(session, survey.id or 0),
        runs=queries.query_runs(session, survey.id or 0),
        moves=queries.query_moves(session, survey.id or 0),
        agents=queries.query_agents(session),
        vendor_ids=queries.query_vendor_ids(session),
        unassigned=len(queries.query_unassigned_cases(session, draw.id)),
    )


def action_forms(page: SamplePage, posted: FlaskForm | None = None) -> dict[str, FlaskForm]:
    """The release, assignment and move forms of the sample page (``posted`` kept with its errors)."""
    forms: dict[str, FlaskForm] = {
        "release_form": ReleaseForm(),
        "assign_form": AssignForm(),
        "move_form": MoveForm(),
    }
    if posted is not None:
        forms[form_name(posted)] = posted
    assign = forms["assign_form"]
    assign.agents.choices = [SelectChoice(a.id, f"{a.display_name} (#{a.id})") for a in page.agents]
    assign.vendors.choices = [SelectChoice(v, f"#{v}") for v in page.vendor_ids]
    return forms


def form_name(form: FlaskForm) -> str:
    """The template name of an action form (``release_form``...)."""
    names = {ReleaseForm: "release_form", AssignForm: "assign_form", MoveForm: "move_form"}
    return names[type(form)]
