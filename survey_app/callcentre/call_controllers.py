"""Console actions beyond the script: the interviewer rating and click-to-call.

Like every console action they work on the case the queue gave this agent (no id in the URL).
"""

from __future__ import annotations

from flask import current_app, flash, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from survey_app.auth.access import roles_required
from survey_app.auth.models import Role
from survey_app.callcentre import bridge, ratings
from survey_app.callcentre.console_controllers import act_on_held
from survey_app.callcentre.models import QueueEntry
from survey_app.db import get_session, utcnow


@roles_required(Role.agent)
def rating() -> Response:
    """Ask for the interviewer rating: now (``agent``), or by SMS / IVR follow-up."""
    mode = request.form.get("mode", "")
    done = {
        "agent": _("Ask the rating questions now."),
        "sms": _("The rating will be asked by text message after the call."),
        "ivr": _("The rating will be asked by an automated call after this call."),
    }.get(mode)
    return act_on_held(
        lambda e: ratings.request_rating(get_session(), e, current_user.id, mode=mode, now=utcnow()),
        status_ok=done,
    )


@roles_required(Role.agent)
def rating_answer() -> Response:
    """The keys typed for the rating step on screen."""

    def apply(entry: QueueEntry) -> None:
        errors = ratings.answer_rating(
            get_session(),
            entry,
            current_user.id,
            step_key=request.form.get("_step", ""),
            form=request.form.to_dict(flat=False),
            now=utcnow(),
        )
        for message in errors.values():
            if message.startswith("unknown:"):
                key = message.removeprefix("unknown:")
                message = _("%(key)s is not an answer to this question: type one of the keys shown.", key=key)
            flash(message, "error")

    return act_on_held(apply)


@roles_required(Role.agent)
def call() -> Response:
    """Click-to-call: ring the agent's phone, then bridge to the respondent."""
    settings = current_app.config["SURVEY_SETTINGS"]
    return act_on_held(
        lambda e: bridge.place_call(get_session(), settings, e, current_user.id, now=utcnow()),
        status_ok=_("Your phone is ringing: answer it to be connected to the respondent."),
    )


@roles_required(Role.agent)
def record() -> Response:
    """Start recording the bridged call (the respondent accepted the consent text)."""
    settings = current_app.config["SURVEY_SETTINGS"]
    return act_on_held(
        lambda e: bridge.start_recording(get_session(), settings, e, current_user.id, now=utcnow()),
        status_ok=_("Recording started."),
    )
