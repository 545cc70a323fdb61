"""Views of the results pages: thin (parse, call one query, render).

``?tests=1`` on any page adds the interviews of test links, which are left out by default.
"""

from __future__ import annotations

from flask import Response, abort, render_template, request
from flask_babel import gettext as _

from survey_app.auth.access import roles_required
from survey_app.auth.models import Role
from survey_app.db import get_session, utcnow
from survey_app.i18n import current_language
from survey_app.results import export as csv_export
from survey_app.results import queries
from survey_app.results.summary import summarize
from survey_app.surveys import queries as survey_queries

READERS = (Role.analyst, Role.researcher, Role.admin)


def include_tests() -> bool:
    """Whether the page was asked to count test interviews (``?tests=1``)."""
    value = request.args.get("tests", "0")
    if value not in ("0", "1"):
        abort(400, description=_("“tests” must be 0 (leave test links out) or 1 (include them)."))
    return value == "1"


def page_number() -> int:
    """The ``?page=`` of the responses list (1 when absent)."""
    value = request.args.get("page", "1")
    if not value.isdigit() or int(value) < 1:
        abort(400, description=_("The page number must be a whole number from 1 up."))
    return int(value)


@roles_required(*READERS)
def index() -> str:
    return render_template(
        "results/index.html", rows=survey_queries.query_survey_rows(get_session(), utcnow())
    )


@roles_required(*READERS)
def overview(survey_id: int) -> str:
    session = get_session()
    survey = survey_queries.get_survey(session, survey_id)
    tests = include_tests()
    return render_template(
        "results/overview.html",
        survey=survey,
        row=survey_queries.get_survey_row(session, survey, utcnow()),
        outcomes=queries.count_outcomes(session, survey_id, include_tests=tests),
        summaries=summarize(session, survey_id, survey.version_id, current_language(), include_tests=tests),
        tests=tests,
    )


@roles_required(*READERS)
def responses(survey_id: int) -> str:
    session = get_session()
    survey = survey_queries.get_survey(session, survey_id)
    tests, page = include_tests(), page_number()
    try:
        listing = queries.query_responses(session, survey_id, page=page, include_tests=tests)
    except queries.PageOutOfRange:
        abort(404, description=_("There is no page %(n)d of responses.", n=page))
    return render_template("results/responses.html", survey=survey, listing=listing, tests=tests)


@roles_required(*READERS)
def response(survey_id: int, interview_id: int) -> str:
    session = get_session()
    survey = survey_queries.get_survey(session, survey_id)
    detail = queries.get_response(session, survey_id, interview_id, current_language())
    return render_template("results/response.html", survey=survey, detail=detail)


@roles_required(*READERS)
def export(survey_id: int) -> Response:
    session = get_session()
    survey = survey_queries.get_survey(session, survey_id)
    tests = include_tests()
    body = csv_export.export_csv(session, survey_id, survey.version_id, include_tests=tests)
    name = f"survey-{survey_id}-responses{'-with-tests' if tests else ''}.csv"
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )
