"""Role-matrix entries of the survey pages: each creates the survey its URL points at."""

from __future__ import annotations

from typing import Any

from tests.route_params import RouteCase, RouteContext
from tests.survey_app.surveys.helpers import make_survey


def _survey(ctx: RouteContext) -> dict[str, Any]:
    return {"survey_id": make_survey(ctx.db_session).id}


ROUTE_PARAMS: dict[str, Any] = {
    "surveys.show": _survey,
    "surveys.edit": _survey,
    "surveys.open_link": _survey,
    "surveys.close_open_link": _survey,
    "surveys.links": RouteCase(params=_survey, data={"count": "1", "language": ""}),
}
