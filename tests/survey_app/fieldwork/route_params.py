"""Role-matrix entries of the fieldwork pages: each creates the survey (with a plan) or case it needs."""

from __future__ import annotations

from typing import Any

from survey_app.db import utcnow
from survey_app.fieldwork import operations
from survey_app.fieldwork.links import unsubscribe_token
from tests.route_params import RouteCase, RouteContext
from tests.survey_app.fieldwork.conftest import make_case, make_survey, plan_document


def _survey(ctx: RouteContext) -> dict[str, Any]:
    survey = make_survey(ctx.db_session)
    assert survey.id is not None
    operations.save_plan(ctx.db_session, survey.id, plan_document([{"channel": "email"}]), now=utcnow())
    return {"survey_id": survey.id}


def _unsubscribe(ctx: RouteContext) -> dict[str, Any]:
    case = make_case(ctx.db_session, make_survey(ctx.db_session), email="matrix@example.org")
    return {"token": unsubscribe_token(ctx.app.config["SECRET_KEY"], int(case.id or 0))}


ROUTE_PARAMS: dict[str, Any] = {
    "fieldwork.monitor": _survey,
    "fieldwork.edit_plan": _survey,
    "fieldwork.launch": _survey,
    "fieldwork.pause": _survey,
    "fieldwork.resume": _survey,
    # RFC 8058: mail providers post the one-click unsubscribe without cookies or a CSRF token.
    "fieldwork.unsubscribe": RouteCase(params=_unsubscribe, csrf_exempt=True),
    # Twilio webhooks: unsigned requests (the matrix's) get 403 from the signature check, for everyone.
    "fieldwork.twilio_sms": RouteCase(also_allowed=frozenset({403}), csrf_exempt=True),
    "fieldwork.twilio_status": RouteCase(also_allowed=frozenset({403}), csrf_exempt=True),
    "fieldwork.twilio_voice": RouteCase(also_allowed=frozenset({403}), csrf_exempt=True),
}
