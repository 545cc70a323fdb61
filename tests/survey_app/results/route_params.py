"""Role-matrix entries of the results pages: each creates the survey (and interview) it points at."""

from __future__ import annotations

from typing import Any

from tests.route_params import RouteContext
from tests.survey_app.surveys.helpers import full_pages, make_interview, make_survey


def _survey(ctx: RouteContext) -> dict[str, Any]:
    return {"survey_id": make_survey(ctx.db_session).id}


def _response(ctx: RouteContext) -> dict[str, Any]:
    survey = make_survey(ctx.db_session)
    interview = make_interview(ctx.db_session, survey, full_pages())
    return {"survey_id": survey.id, "interview_id": interview.id}


ROUTE_PARAMS: dict[str, Any] = {
    "results.overview": _survey,
    "results.responses": _survey,
    "results.response": _response,
    "results.export": _survey,
}
