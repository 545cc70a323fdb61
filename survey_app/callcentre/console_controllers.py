"""The agent's pages: home (next case, own history) and the console of the one case they hold.

No URL carries a case id: every console action works on the case the queue gave this agent, so an
agent cannot reach any other respondent by editing an address.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from survey_app.auth.access import roles_required
from survey_app.auth.models import Role
from survey_app.callcentre import console, operations, queries
from survey_app.callcentre.dispositions import BY_KEY
from survey_app.callcentre.forms import MESSAGES, SKIP_LABELS
from survey_app.callcentre.models import QueueEntry
from survey_app.callcentre.outcomes import record_outcome
from survey_app.callcentre.queue import QueueError, claim_next_case, current_case, skip_case
from survey_app.callcentre.script import console_view, load_survey, title_of
from survey_app.config import LANGUAGES
from survey_app.db import get_session, utcnow
from survey_app.surveys.models import Interview

Page = str | Response


def _to_console() -> Response:
    return redirect(url_for(".case"))


@roles_required(Role.agent)
def home() -> Page:
    session = get_session()
    if current_case(session, current_user.id) is not None:
        return _to_console()
    profile = queries.get_profile(session, current_user)
    if profile is not None:
        operations.touch_agent(session, current_user.id, now=utcnow())
    history = queries.query_my_attempts(session, current_user.id)
    return render_template("callcentre/home.html", profile=profile, history=history, outcome_labels=BY_KEY)


@roles_required(Role.agent)
def next_case() -> Page:
    session = get_session()
    profile = queries.get_profile(session, current_user)
    if profile is None:
        flash(_("Your agent profile is not set up yet: ask your vendor manager."), "error")
        return redirect(url_for(".home"))
    try:
        claimed = claim_next_case(session, profile, now=utcnow())
    except QueueError:  # the only refusal of claim_next_case: outside the agent's working hours
        flash(
            _(
                "You are outside your working hours (%(start)s–%(end)s, %(zone)s): no case is served now.",
                start=profile.work_start,
                end=profile.work_end,
                zone=profile.timezone,
            ),
            "error",
        )
        return redirect(url_for(".home"))
    if claimed is None:
        flash(_("No case is due for you now. Try again in a few minutes."), "info")
        return redirect(url_for(".home"))
    return _to_console()


@roles_required(Role.agent)
def case() -> Page:
    session = get_session()
    entry = current_case(session, current_user.id)
    if entry is None:
        return redirect(url_for(".home"))
    operations.touch_agent(session, current_user.id, now=utcnow())
    view = console_view(session, entry, now=utcnow())
    return render_template(
        "callcentre/console.html",
        view=view,
        title=title_of(view),
        language_names=LANGUAGES,
        skip_labels=SKIP_LABELS,
    )


def act_on_held(action: Callable[[QueueEntry], object], *, status_ok: str | None = None) -> Response:
    """Run ``action`` on the held case; an error comes back to the console as a flashed message."""
    session = get_session()
    entry = current_case(session, current_user.id)
    if entry is None:
        flash(MESSAGES["not_held"], "error")
        return redirect(url_for(".home"))
    try:
        action(entry)
    except QueueError as error:
        session.rollback()
        flash(MESSAGES.get(str(error), MESSAGES["not_held"]), "error")
    else:
        if status_ok:
            flash(status_ok, "success")
    return _to_console()


def _interview(entry: QueueEntry) -> Interview:
    interview = get_session().get(Interview, entry.interview_id) if entry.interview_id else None
    if interview is None:
        raise QueueError("not_started")
    return interview


@roles_required(Role.agent)
def dial() -> Page:
    return act_on_held(lambda e: console.dial(get_session(), e, current_user.id, now=utcnow()))


@roles_required(Role.agent)
def start() -> Page:
    return act_on_held(
        lambda e: console.start_or_resume(
            get_session(), e, current_user.id, *load_survey(get_session(), e), now=utcnow()
        )
    )


@roles_required(Role.agent)
def answer() -> Page:
    def apply(entry: QueueEntry) -> None:
        session = get_session()
        survey, questionnaire = load_survey(session, entry)
        result = console.answer_step(
            session,
            entry,
            current_user.id,
            survey,
            _interview(entry),
            questionnaire,
            step_key=request.form.get("_step", ""),
            form=request.form.to_dict(flat=False),
            now=utcnow(),
        )
        for key in result.unknown_keys.values():
            flash(
                _("%(key)s is not an answer to this question: type one of the keys shown.", key=key), "error"
            )
        for message in result.errors.values():
            flash(message, "error")
        if result.stale:
            flash(_("That question was already answered; here is the current one."), "info")

    return act_on_held(apply)


@roles_required(Role.agent)
def back() -> Page:
    def apply(entry: QueueEntry) -> None:
        session = get_session()
        survey, questionnaire = load_survey(session, entry)
        console.go_back(
            session,
            entry,
            current_user.id,
            survey,
            _interview(entry),
            questionnaire,
            step_key=request.form.get("_step", ""),
            now=utcnow(),
        )

    return act_on_held(apply)


@roles_required(Role.agent)
def language() -> Page:
    def apply(entry: QueueEntry) -> None:
        session = get_session()
        survey, questionnaire = load_survey(session, entry)
        interview = session.get(Interview, entry.interview_id) if entry.interview_id else None
        console.switch_language(
            session,
            entry,
            current_user.id,
            survey,
            interview,
            questionnaire,
            request.form.get("language", ""),
            now=utcnow(),
        )

    return act_on_held(apply)


@roles_required(Role.agent)
def pause() -> Page:
    return act_on_held(lambda e: console.pause(get_session(), e, current_user.id, now=utcnow()))


@roles_required(Role.agent)
def resume() -> Page:
    return act_on_held(lambda e: console.resume(get_session(), e, current_user.id, now=utcnow()))


@roles_required(Role.agent)
def outcome() -> Page:
    session = get_session()
    entry = current_case(session, current_user.id)
    if entry is None:
        flash(MESSAGES["not_held"], "error")
        return redirect(url_for(".home"))
    try:
        record_outcome(
            session,
            entry,
            current_user.id,
            outcome=request.form.get("outcome", ""),
            callback_local=request.form.get("callback_at", ""),
            note=request.form.get("note", ""),
            now=utcnow(),
        )
    except QueueError as error:
        session.rollback()
        flash(MESSAGES.get(str(error), MESSAGES["outcome"]), "error")
        return _to_console()
    flash(_("Call outcome saved."), "success")
    return redirect(url_for(".home"))


@roles_required(Role.agent)
def skip() -> Page:
    session = get_session()
    entry = current_case(session, current_user.id)
    if entry is None:
        return redirect(url_for(".home"))
    try:
        skip_case(
            session,
            entry,
            current_user.id,
            reason=request.form.get("reason", ""),
            note=request.form.get("note", ""),
            now=utcnow(),
        )
    except QueueError as error:
        session.rollback()
        flash(MESSAGES.get(str(error), MESSAGES["reason"]), "error")
        return _to_console()
    flash(_("Case skipped; the reason was recorded."), "success")
    return redirect(url_for(".home"))
