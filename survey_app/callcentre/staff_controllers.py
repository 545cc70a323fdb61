"""Staff pages: vendors (admins), a vendor's agents and figures (admins and that vendor's managers),
the supervisor view, the dissatisfaction alerts. Vendor scoping is ``queries.vendor_scope``."""

from __future__ import annotations

import datetime as dt

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from survey_app.auth.access import roles_required
from survey_app.auth.models import Role
from survey_app.callcentre import operations, queries
from survey_app.callcentre.forms import (
    MESSAGES,
    STATUS_LABELS,
    AgentProfileForm,
    QueueSurveyForm,
    VendorForm,
    split_tags,
)
from survey_app.db import get_session, utcnow

Page = str | Response
MANAGERS = (Role.admin, Role.vendor_manager)


@roles_required(Role.admin)
def vendors() -> Page:
    form, queue_form = VendorForm(prefix="vendor"), QueueSurveyForm(prefix="queue")
    session = get_session()
    if request.method == "POST" and "vendor-name" in request.form and form.validate():
        try:
            vendor = operations.create_vendor(
                session, name=form.name.data, click_to_call=form.click_to_call.data
            )
        except operations.CallCentreError as error:
            form.name.errors = [*form.name.errors, MESSAGES[error.code]]
        else:
            flash(_("Vendor %(name)s added.", name=vendor.name), "success")
            return redirect(url_for(".vendors"))
    elif request.method == "POST" and "queue-survey_id" in request.form and queue_form.validate():
        try:
            added = operations.queue_survey(session, survey_id=queue_form.survey_id.data, now=utcnow())
        except operations.CallCentreError as error:
            queue_form.survey_id.errors = [*queue_form.survey_id.errors, MESSAGES[error.code]]
        else:
            flash(
                ngettext(
                    "%(num)d case added to the call queue.", "%(num)d cases added to the call queue.", added
                ),
                "success",
            )
            return redirect(url_for(".vendors"))
    status = 400 if request.method == "POST" else 200
    page = render_template(
        "callcentre/vendors.html", vendors=queries.query_vendors(session), form=form, queue_form=queue_form
    )
    return page, status  # type: ignore[return-value]


@roles_required(*MANAGERS)
def vendor(vendor_id: int) -> Page:
    session = get_session()
    found = queries.vendor_scope(session, current_user, vendor_id)
    return render_template(
        "callcentre/vendor.html",
        vendor=found,
        agents=queries.query_agents(session, found.id),  # type: ignore[arg-type]
        outcomes=queries.disposition_counts(session, found.id),  # type: ignore[arg-type]
        cases=queries.query_vendor_cases(session, found.id),  # type: ignore[arg-type]
        ratings=queries.rating_summary(session, found.id),  # type: ignore[arg-type]
        status_labels=STATUS_LABELS,
    )


@roles_required(*MANAGERS)
def agent(vendor_id: int, user_id: int) -> Page:
    session = get_session()
    found = queries.vendor_scope(session, current_user, vendor_id)
    user, profile = queries.get_agent(session, user_id, found)
    form = AgentProfileForm()
    if request.method == "GET" and profile is not None:
        form.fill(profile)
    if request.method == "POST" and form.validate():
        try:
            operations.save_agent_profile(
                session,
                user,
                languages=split_tags(form.languages.data),
                dialects=split_tags(form.dialects.data),
                skills=split_tags(form.skills.data),
                work_start=form.work_start.data or "",
                work_end=form.work_end.data or "",
                timezone=form.timezone.data or "",
                phone=form.phone.data or "",
            )
        except operations.CallCentreError as error:
            field = getattr(form, error.field, form.languages)
            field.errors = [*field.errors, MESSAGES[error.code]]
        else:
            flash(_("Profile of %(name)s saved.", name=user.display_name), "success")
            return redirect(url_for(".vendor", vendor_id=found.id))
    status = 400 if request.method == "POST" else 200
    return render_template("callcentre/agent.html", vendor=found, user=user, form=form), status  # type: ignore[return-value]


@roles_required(*MANAGERS)
def supervisor() -> Page:
    session = get_session()
    requested = request.args.get("vendor", type=int)
    if current_user.role == Role.admin and requested is None:
        return redirect(url_for(".vendors"))
    found = queries.vendor_scope(session, current_user, requested)
    now = utcnow()
    since = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return render_template(
        "callcentre/supervisor.html",
        vendor=found,
        rows=queries.supervisor_rows(session, found.id, since=since, now=now),  # type: ignore[arg-type]
        callbacks_due=queries.count_callbacks_due(session, found.id, until=now + dt.timedelta(hours=1)),  # type: ignore[arg-type]
    )


@roles_required(Role.admin, Role.researcher)
def alerts() -> Page:
    return render_template("callcentre/alerts.html", alerts=queries.query_alerts(get_session()))
