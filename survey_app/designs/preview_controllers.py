"""Previews: the draft as a respondent sees it on the web (clicking through with real validation)
and as the SMS, IVR and agent channels present it. A draft with errors shows its errors instead.
Nothing is written: the web preview's state is signed into a hidden field of its page.
"""

from __future__ import annotations

from flask import flash, g, render_template, request
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from channels.web import make_step_form
from questionnaires import engine
from questionnaires.definition import localize
from survey_app.auth.access import roles_required
from survey_app.config import LANGUAGES
from survey_app.db import get_session
from survey_app.designs import preview, queries
from survey_app.designs.controllers import VIEWERS
from survey_app.respond.options import choice_options

Page = str | Response
CHANNEL_PREVIEWS = {"sms": preview.sms_preview, "ivr": preview.ivr_preview, "agent": preview.agent_preview}


def _errors_page(record: object, problems: object, channel: str) -> str:
    return render_template(
        "designs/preview_errors.html", record=record, problem_list=problems, channel=channel
    )


@roles_required(*VIEWERS)
def preview_web(questionnaire_id: int) -> Page:
    record = queries.get_questionnaire(get_session(), questionnaire_id)
    questionnaire, problems = preview.preview_definition(record.draft)
    if questionnaire is None:
        return _errors_page(record, problems, "web")
    language = preview.preview_language(questionnaire, request.args.get("language"))
    # The state travels in the page's form, not its address: a long questionnaire or long typed
    # answers would outgrow the request line a server accepts (gunicorn: 4 KB).
    token = request.form.get(preview.STATE_FIELD) if request.method == "POST" else None
    state = preview.read_state(token, record) if token else None
    errors: dict[str, str] = {}
    if state is None or state.language != language:
        if request.method == "POST":
            flash(_("The draft has changed since this preview started, so it starts again."), "info")
        state = preview.start(questionnaire, language)
    elif request.method == "POST":
        state, errors = preview.web_turn(questionnaire, state, request.form.to_dict(flat=False))
    g.ui_language = language  # the respondent's page chrome, as respondents get it
    step = engine.next_step(questionnaire, state)
    title = localize(questionnaire.title, language, questionnaire.default_language)
    form = (
        None
        if step.done
        else make_step_form(step, language, request.form if errors else None, base=FlaskForm)
    )
    return render_template(
        "designs/preview_web.html",
        record=record,
        title=title,
        step=step,
        form=form,
        errors=errors,
        # Not ``languages``: the respondent layout's switch links to ?lang=, which would also
        # switch the researcher's own pages; the banner links to ?language= instead.
        preview_languages=questionnaire.languages,
        language=language,
        language_names=LANGUAGES,
        state_field=preview.STATE_FIELD,
        preview_state=preview.sign_state(state, record),
        choice_options=choice_options,  # the respond blueprint's page helper (its context processor)
    )


@roles_required(*VIEWERS)
def preview_channel(questionnaire_id: int, channel: str) -> str:
    record = queries.get_questionnaire(get_session(), questionnaire_id)
    questionnaire, problems = preview.preview_definition(record.draft)
    if questionnaire is None:
        return _errors_page(record, problems, channel)
    language = preview.preview_language(questionnaire, request.args.get("language"))
    return render_template(
        f"designs/preview_{channel}.html",
        record=record,
        channel=channel,
        language=language,
        languages=questionnaire.languages,
        preview=CHANNEL_PREVIEWS[channel](questionnaire, language),
    )
