"""Views of the survey pages: thin (parse, call one operation or query, render).

Link tokens exist in plain text only in the response that issues them (they are stored hashed),
so issuing links renders the survey page directly instead of redirecting to it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from survey_app.auth.access import roles_required
from survey_app.auth.models import Role
from survey_app.config import LANGUAGES
from survey_app.db import get_session, utcnow
from survey_app.surveys import operations, queries
from survey_app.surveys.forms import ButtonForm, LinksForm, SurveyForm, show_error
from survey_app.surveys.models import Survey
from survey_app.surveys.times import COMMON_ZONES, configured_zone_name, to_local

Page = str | Response
EDITORS = (Role.researcher, Role.admin)


def respondent_url(endpoint: str, token: str) -> str:
    """The absolute address of a respondent link (SURVEY_PUBLIC_BASE_URL when set, else this host)."""
    base = current_app.config["SURVEY_SETTINGS"].public_base_url
    if base:
        return str(base).rstrip("/") + url_for(endpoint, token=token)
    return url_for(endpoint, token=token, _external=True)


def ordered_languages(tags: Any) -> list[str]:
    """The app's languages first (in their order), then any others the versions declare."""
    found = set(tags)
    return [t for t in LANGUAGES if t in found] + sorted(found - set(LANGUAGES))


def _form_page(form: SurveyForm, survey: Survey | None = None, locked: bool = False) -> str:
    return render_template("surveys/form.html", form=form, survey=survey, locked=locked, zones=COMMON_ZONES)


@roles_required(*EDITORS)
def index() -> str:
    return render_template("surveys/index.html", rows=queries.query_survey_rows(get_session(), utcnow()))


@roles_required(*EDITORS)
def new() -> Page:
    session = get_session()
    fieldable = queries.query_fieldable_questionnaires(session)
    start = (to_local(utcnow(), configured_zone_name()) or dt.datetime.now()).replace(second=0, microsecond=0)
    languages = ordered_languages(t for q in fieldable for v in q.versions for t in v.languages)
    form = SurveyForm(data={"timezone": configured_zone_name(), "opens_at": start, "languages": languages})
    form.set_fieldable(fieldable, languages)
    if not fieldable:
        return render_template("surveys/form.html", form=None, survey=None)
    if form.validate_on_submit() and (settings := form.settings()) is not None:
        version = queries.get_version(session, form.version_id.data)
        record = queries.get_questionnaire_record(session, version)
        settings["stakeholder_group"] = settings["stakeholder_group"] or record.stakeholder_group
        try:
            survey = operations.create_survey(session, version=version, user=current_user, **settings)
        except operations.SurveyError as error:
            show_error(form, error)
        else:
            flash(_("The survey has been created."), "success")
            return redirect(url_for(".show", survey_id=survey.id))
    return _form_page(form)


@roles_required(*EDITORS)
def edit(survey_id: int) -> Page:
    session = get_session()
    survey = queries.get_survey(session, survey_id)
    current = queries.get_version(session, survey.version_id)
    locked = queries.count_interviews(session, survey_id) > 0
    versions = [
        v for v in queries.query_sibling_versions(session, current) if not locked or v.id == current.id
    ]
    form = SurveyForm(data=_initial(survey))
    form.set_choices(versions, ordered_languages(t for v in versions for t in v.languages))
    if form.validate_on_submit() and (settings := form.settings()) is not None:
        version = queries.get_version(session, form.version_id.data)
        settings["stakeholder_group"] = settings["stakeholder_group"] or survey.stakeholder_group
        try:
            operations.update_survey(session, survey, version=version, **settings)
        except operations.SurveyError as error:
            show_error(form, error)
        else:
            flash(_("The survey has been saved."), "success")
            return redirect(url_for(".show", survey_id=survey.id))
    return _form_page(form, survey, locked)


def _initial(survey: Survey) -> dict[str, Any]:
    zone = configured_zone_name()
    return {
        "name": survey.name,
        "version_id": survey.version_id,
        "stakeholder_group": survey.stakeholder_group,
        "languages": list(survey.languages),
        "default_language": survey.default_language,
        "timezone": zone,
        "opens_at": to_local(survey.opens_at, zone),
        "closes_at": to_local(survey.closes_at, zone),
        "partial_threshold": survey.partial_threshold,
    }


def _show_page(survey: Survey, *, links_form: LinksForm | None = None, **shown: Any) -> str:
    session = get_session()
    form = links_form or LinksForm(formdata=None)
    form.set_languages(list(survey.languages))
    return render_template(
        "surveys/show.html",
        survey=survey,
        row=queries.get_survey_row(session, survey, utcnow()),
        tests=queries.count_test_links(session, survey.id or 0),
        links_form=form,
        button=ButtonForm(formdata=None),
        **shown,
    )


@roles_required(*EDITORS)
def show(survey_id: int) -> str:
    return _show_page(queries.get_survey(get_session(), survey_id))


@roles_required(*EDITORS)
def open_link(survey_id: int) -> Page:
    session = get_session()
    survey = queries.get_survey(session, survey_id)
    # CSRFProtect has checked the token before this view runs; the button has no other fields.
    token = operations.create_open_link(session, survey)
    return _show_page(survey, open_url=respondent_url("respond.open_link", token))


@roles_required(*EDITORS)
def close_open_link(survey_id: int) -> Page:
    session = get_session()
    survey = queries.get_survey(session, survey_id)
    operations.disable_open_link(session, survey)
    flash(_("The open link is off: its address now answers “not found”."), "success")
    return redirect(url_for(".show", survey_id=survey_id))


@roles_required(*EDITORS)
def links(survey_id: int) -> Page:
    session = get_session()
    survey = queries.get_survey(session, survey_id)
    form = LinksForm()
    form.set_languages(list(survey.languages))
    if form.validate_on_submit():
        try:
            tokens = operations.issue_links(
                session,
                survey,
                form.count.data,
                form.language.data or None,
                form.contact(),
                is_test=form.test.data,
            )
        except operations.SurveyError as error:
            show_error(form, error)
        else:
            issued = [respondent_url("respond.personal", token) for token in tokens]
            return _show_page(survey, issued=issued, issued_test=form.test.data)
    return _show_page(survey, links_form=form)
