"""Role-matrix entries of the sampling pages: each creates the survey its URL points at."""

from __future__ import annotations

from typing import Any

from survey_app.sampling import operations
from tests.route_params import RouteCase, RouteContext
from tests.survey_app.sampling.helpers import make_frame, now, spec
from tests.survey_app.surveys.helpers import make_survey


def _survey(ctx: RouteContext) -> dict[str, Any]:
    return {"survey_id": make_survey(ctx.db_session).id}


def _drawn(ctx: RouteContext) -> dict[str, Any]:
    """A survey whose sample is drawn (two replicates, one released), so the pages show it all."""
    frame, survey = make_frame(ctx.db_session), make_survey(ctx.db_session)
    operations.draw_sample(ctx.db_session, survey, spec(frame), now=now(), seed=1, replicates=2, release=1)
    return {"survey_id": survey.id}


ROUTE_PARAMS: dict[str, Any] = {
    "sampling.design": _survey,
    "sampling.show": _drawn,
    "sampling.release": RouteCase(params=_drawn, data={"count": "1"}),
    "sampling.assign": RouteCase(params=_survey, data={"assignee_kind": "agent"}),
    "sampling.move": RouteCase(params=_survey, data={"case_id": "1", "to_id": "2", "reason": "matrix test"}),
    "sampling.assignments_csv": _drawn,
}
