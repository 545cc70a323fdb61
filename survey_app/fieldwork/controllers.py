"""Views: the fieldwork monitor (staff) and one-click unsubscribe (respondents).

The Twilio webhooks live in ``webhooks.py``.
"""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from survey_app.auth.access import public_route, roles_required
from survey_app.auth.models import Role
from survey_app.config import LANGUAGES
from survey_app.db import get_session, utcnow
from survey_app.fieldwork import monitor as monitor_queries
from survey_app.fieldwork import operations, queries
from survey_app.fieldwork.forms import ActionForm, PauseForm, PlanForm
from survey_app.fieldwork.links import case_from_unsubscribe_token
from survey_app.fieldwork.plan import PlanError
from survey_app.surveys.models import Survey
from survey_app.surveys.queries import get_survey

Page = str | Response | tuple[str, int]
STAFF = (Role.admin, Role.researcher, Role.analyst)
MANAGERS = (Role.admin, Role.researcher)


@roles_required(*STAFF)
def index() -> Page:
    return render_template("fieldwork/index.html", rows=queries.query_surveys_with_plans(get_session()))


@roles_required(*STAFF)
def monitor(survey_id: int) -> Page:
    survey = _survey_or_404(survey_id)
    today = today_start(utcnow(), current_app.config["SURVEY_SETTINGS"].timezone)
    return render_template(
        "fieldwork/monitor.html",
        survey=survey,
        monitor=monitor_queries.get_monitor(get_session(), survey_id, today),
        form=ActionForm(),
    )


@roles_required(*MANAGERS)
def edit_plan(survey_id: int) -> Page:
    session = get_session()
    survey = _survey_or_404(survey_id)
    plan_row = queries.get_plan(session, survey_id)
    form = PlanForm(document=json.dumps(plan_row.document, indent=2, ensure_ascii=False) if plan_row else "")
    if form.validate_on_submit():
        try:
            operations.save_plan(session, survey_id, _json_object(form.document.data or ""), now=utcnow())
        except PlanError as error:
            form.document.errors = list(error.problems)
        else:
            flash(_("The channel plan has been saved."), "success")
            return redirect(url_for("fieldwork.monitor", survey_id=survey_id))
    return render_template("fieldwork/plan.html", survey=survey, form=form)


def _json_object(text: str) -> dict[str, object]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanError([_("This is not valid JSON: %(error)s", error=str(exc))]) from None
    if not isinstance(value, dict):
        raise PlanError([_("The plan must be a JSON object with a list of steps.")])
    return value


@roles_required(*MANAGERS)
def launch(survey_id: int) -> Response:
    _survey_or_404(survey_id)
    try:
        operations.launch(get_session(), survey_id, now=utcnow())
    except queries.NotFound:
        flash(_("This survey has no channel plan yet: write one first."), "error")
    else:
        flash(_("Fieldwork has started: invitations go out in calling hours."), "success")
    return redirect(url_for("fieldwork.monitor", survey_id=survey_id))


@roles_required(*MANAGERS)
def pause(survey_id: int) -> Response:
    """Pause the survey's sending, or one channel (form field ``channel``) or wave (``wave``)."""
    return _set_paused(survey_id, True)


@roles_required(*MANAGERS)
def resume(survey_id: int) -> Response:
    """Resume what :func:`pause` paused (same fields)."""
    return _set_paused(survey_id, False)


def _set_paused(survey_id: int, paused: bool) -> Response:
    _survey_or_404(survey_id)
    form = PauseForm()
    target = url_for("fieldwork.monitor", survey_id=survey_id)
    if not form.validate_on_submit():
        for message in form.messages():
            flash(message, "error")
        return redirect(target)
    channel, wave = form.target()
    try:
        operations.set_paused(get_session(), survey_id, paused, now=utcnow(), channel=channel, wave=wave)
    except queries.NotFound:
        flash(_("This survey has no channel plan yet: write one first."), "error")
    else:
        flash(_pause_message(paused, channel, wave), "success")
    return redirect(target)


def _pause_message(paused: bool, channel: str | None, wave: int | None) -> str:
    if channel is not None:
        names = {"email": _("E-mail"), "sms": _("SMS"), "ivr": _("Automated call")}
        if paused:
            message = _("%(channel)s sending is paused; other channels go on.", channel=names[channel])
        else:
            message = _("%(channel)s sending has resumed.", channel=names[channel])
    elif wave is not None:
        if paused:
            message = _("Wave %(num)d is paused; other waves go on.", num=wave)
        else:
            message = _("Wave %(num)d has resumed.", num=wave)
    elif paused:
        message = _("Sending is paused. Nothing goes out until you resume.")
    else:
        message = _("Sending has resumed.")
    return str(message)


def _survey_or_404(survey_id: int) -> Survey:
    return get_survey(get_session(), survey_id)  # SurveyNotFound is a 404


@public_route
def unsubscribe(token: str) -> Page:
    """RFC 8058 one-click unsubscribe: GET shows a button and changes nothing; POST opts out."""
    session = get_session()
    case_id = case_from_unsubscribe_token(current_app.config["SECRET_KEY"], token)
    found = queries.get_case_details(session, case_id) if case_id is not None else None
    if found is None:
        page = render_template("fieldwork/unsubscribe.html", invalid=True, title=_("Unsubscribe"))
        return page, 404
    case, details = found
    g.ui_language = case.language if case.language in LANGUAGES else None
    if request.method == "POST":
        operations.unsubscribe_case(session, case, details, now=utcnow())
    return render_template(
        "fieldwork/unsubscribe.html", done=request.method == "POST", title=_("Unsubscribe")
    )


def today_start(now: dt.datetime, timezone: str) -> dt.datetime:
    """Return the start of ``now``'s day in ``timezone`` (the staff's), as a UTC instant."""
    local = now.astimezone(ZoneInfo(timezone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(dt.UTC)
