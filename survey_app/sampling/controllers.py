"""Views of sampling: the design page (allocation table before drawing), the stored draw, its
replicates, the randomised assignment and logged case moves."""

from __future__ import annotations

import csv
import io

from flask import Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as WerkzeugResponse

from survey_app.auth.access import roles_required
from survey_app.auth.models import Role
from survey_app.db import get_session, utcnow
from survey_app.sampling import assignments, operations, pages, queries
from survey_app.sampling.forms import AssignForm, DesignForm, MoveForm, ReleaseForm
from survey_app.sampling.spec import SampleError
from survey_app.surveys.models import Survey
from survey_app.surveys.queries import get_survey

Page = str | WerkzeugResponse | tuple[str, int]
STAFF = (Role.admin, Role.researcher, Role.analyst)
MANAGERS = (Role.admin, Role.researcher)
AUDITORS = (Role.admin, Role.researcher, Role.analyst, Role.qa_auditor)


@roles_required(*STAFF)
def index() -> Page:
    return render_template("sampling/index.html", rows=queries.query_surveys_with_draws(get_session()))


@roles_required(*MANAGERS)
def design(survey_id: int) -> Page:
    session, survey = get_session(), _survey_or_404(survey_id)
    if queries.has_draw(session, survey_id):
        return redirect(url_for("sampling.show", survey_id=survey_id))
    form = DesignForm()
    frames = pages.frame_choices(session, form)
    plan = None
    if form.validate_on_submit():
        try:
            spec = form.spec()
            if form.draw.data and form.digest.data:
                operations.draw_sample(
                    session,
                    survey,
                    spec,
                    now=utcnow(),
                    seed=form.seed.data,
                    replicates=form.replicates.data or 1,
                    release=form.release.data,
                    drawn_by_id=current_user.id,
                    expected_digest=form.digest.data,
                )
                flash(_("The sample has been drawn and stored."), "success")
                return redirect(url_for("sampling.show", survey_id=survey_id))
            plan = queries.plan_sample(session, spec, now=utcnow())
            form.digest.data = plan.digest
        except SampleError as error:
            session.rollback()
            _show_error(form, error)
    return render_template("sampling/design.html", survey=survey, form=form, plan=plan, frames=frames)


@roles_required(*STAFF)
def show(survey_id: int) -> Page:
    session, survey = get_session(), _survey_or_404(survey_id)
    page = pages.get_sample_page(session, survey)
    if page is None:
        return redirect(url_for("sampling.design", survey_id=survey_id))
    return render_template("sampling/show.html", survey=survey, page=page, **pages.action_forms(page))


@roles_required(*MANAGERS)
def release(survey_id: int) -> Page:
    survey, form = _survey_or_404(survey_id), ReleaseForm()
    return _act(
        survey,
        form,
        lambda: operations.release_replicates(
            get_session(), survey, form.count.data, now=utcnow(), user_id=current_user.id
        ),
        _("The replicates have been released to fieldwork."),
    )


@roles_required(*MANAGERS)
def assign(survey_id: int) -> Page:
    survey, form = _survey_or_404(survey_id), AssignForm()

    def run() -> object:
        pools, pool_by = form.pool_map()
        return assignments.assign_cases(
            get_session(),
            survey,
            assignee_kind=form.assignee_kind.data,
            pools=pools,
            pool_by=pool_by,
            seed=form.seed.data,
            user_id=current_user.id,
            now=utcnow(),
        )

    return _act(survey, form, run, _("The cases have been assigned at random."))


@roles_required(*MANAGERS)
def move(survey_id: int) -> Page:
    survey, form = _survey_or_404(survey_id), MoveForm()
    return _act(
        survey,
        form,
        lambda: assignments.move_case(
            get_session(),
            survey,
            form.case_id.data,
            form.to_id.data,
            form.reason.data or "",
            user_id=current_user.id,
            now=utcnow(),
        ),
        _("The case has been moved; the move is logged."),
    )


@roles_required(*AUDITORS)
def assignments_csv(survey_id: int) -> Response:
    _survey_or_404(survey_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["case_id", "stratum", "assignee_kind", "assignee_id", "pool", "run_id", "as_drawn"])
    for row, stratum in queries.query_assignments(get_session(), survey_id):
        writer.writerow(
            [
                row.case_id,
                stratum,
                row.assignee_kind,
                row.assignee_id,
                row.pool or "",
                row.run_id,
                row.as_drawn,
            ]
        )
    headers = {"Content-Disposition": f"attachment; filename=survey-{survey_id}-assignments.csv"}
    return Response(out.getvalue(), mimetype="text/csv", headers=headers)


def _act(survey: Survey, form: FlaskForm, action: object, done: str) -> Page:
    """Validate ``form``, run ``action``; on a problem show the sample page again with the message."""
    session = get_session()
    if form.validate_on_submit():
        try:
            action()  # type: ignore[operator]
        except SampleError as error:
            session.rollback()
            _show_error(form, error)
        else:
            flash(done, "success")
            return redirect(url_for("sampling.show", survey_id=survey.id))
    page = pages.get_sample_page(session, survey)
    if page is None:
        flash(_("Draw the sample first."), "error")
        return redirect(url_for("sampling.design", survey_id=survey.id))
    forms = pages.action_forms(page, form)
    return render_template("sampling/show.html", survey=survey, page=page, **forms), 422


def _show_error(form: FlaskForm, error: SampleError) -> None:
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def _survey_or_404(survey_id: int) -> Survey:
    return get_survey(get_session(), survey_id)  # SurveyNotFound is a 404
