"""Respondent pages. Each request: one read (the link's case, survey and interview), at most one write.

Unknown or tampered tokens get a plain 404 (the same page for every kind of link, so nothing
leaks about which tokens exist). Closed, not-yet-open and already-completed links get their own
page in the respondent's language.
"""

from __future__ import annotations

from flask import abort, current_app, g, make_response, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from channels.base import Control, Inbound, get_channel
from channels.web import make_step_form
from questionnaires import engine
from questionnaires.definition import Questionnaire, localize
from questionnaires.state import InterviewState, Step
from survey_app.auth.access import public_route
from survey_app.db import get_session, utcnow
from survey_app.respond import operations
from survey_app.respond.language import respondent_language
from survey_app.surveys import queries
from survey_app.surveys.models import Survey
from survey_app.surveys.queries import RespondentAccess, SurveyPhase, survey_phase
from survey_app.surveys.tokens import new_token, token_hash

RESUME_COOKIE = "survey_resume_{survey_id}"
RESUME_COOKIE_DAYS = 30


@public_route
def personal(token: str) -> Response | str:
    """A personal link from an invitation."""
    access = queries.get_access_by_personal_token(get_session(), token)
    if access is None:
        abort(404)
    return _serve(access)


@public_route
def resume(token: str) -> Response | str:
    """An open-link interview, resumed by the token its first visit set in a cookie."""
    access = queries.get_access_by_resume_token(get_session(), token)
    if access is None:
        abort(404)
    return _serve(access)


@public_route
def open_link(token: str) -> Response | str:
    """An open link: start (or resume, from the cookie) an interview that has no case."""
    session = get_session()
    survey = queries.get_survey_by_open_token(session, token)
    if survey is None:
        abort(404)
    cookie = RESUME_COOKIE.format(survey_id=survey.id)
    earlier = request.cookies.get(cookie)
    if earlier and queries.get_access_by_resume_token(session, earlier) is not None:
        return redirect(url_for("respond.resume", token=earlier))
    phase = survey_phase(survey, utcnow())
    if phase is not SurveyPhase.open:
        return _message(survey, _language(survey, None), phase.value)
    resume_token = new_token()
    operations.start_interview(
        session,
        survey,
        queries.get_questionnaire(session, survey.version_id),
        case=None,
        channel="web",
        language=_language(survey, None),
        now=utcnow(),
        resume_hash=token_hash(resume_token),
    )
    response = redirect(url_for("respond.resume", token=resume_token))
    response.set_cookie(
        cookie,
        resume_token,
        max_age=RESUME_COOKIE_DAYS * 86400,
        httponly=True,
        samesite="Lax",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
    )
    return response


def _language(survey: Survey, case_language: str | None) -> str:
    return respondent_language(
        survey.languages,
        survey.default_language,
        requested=request.args.get("lang"),
        case_language=case_language,
        accept_languages=[value for value, _quality in request.accept_languages],
    )


def _serve(access: RespondentAccess) -> Response | str:
    session, survey, interview, now = get_session(), access.survey, access.interview, utcnow()
    if interview is not None and interview.completed_at is not None:
        return _message(survey, interview.language, "completed")
    phase = survey_phase(survey, now)
    if phase is not SurveyPhase.open:
        return _message(
            survey, interview.language if interview else _language(survey, _case_language(access)), phase
        )
    questionnaire = queries.get_questionnaire(session, survey.version_id)
    if interview is None:
        interview = operations.start_interview(
            session,
            survey,
            questionnaire,
            case=access.case,
            channel="web",
            language=_language(survey, _case_language(access)),
            now=now,
        )
    requested = request.args.get("lang")
    if requested and requested != interview.language and requested in survey.languages:
        operations.change_language(session, survey, interview, questionnaire, requested, now=now)
    state = InterviewState.from_dict(interview.state)
    g.ui_language = state.language
    step = engine.next_step(questionnaire, state)
    if step.done:
        # Nothing left to ask (every remaining question is hidden): close the interview now.
        state = operations.finish_interview(session, survey, interview, questionnaire, now=now)
        return _thank_you(survey, questionnaire, state)
    if request.method != "POST":
        return _page(survey, questionnaire, state, step=step)
    parsed = get_channel("web").parse(step, Inbound(fields=request.form.to_dict(flat=False)), state.language)
    if not parsed.ok and parsed.control is not Control.BACK:
        errors = dict(parsed.field_errors)
        return _page(survey, questionnaire, state, errors=errors, submitted=True, step=step)
    outcome = operations.submit_page(
        session,
        survey,
        interview,
        questionnaire,
        step_key=request.form.get("_step", ""),
        replies=parsed.replies,
        go_back=parsed.control is Control.BACK,
        now=now,
        state=state,
    )
    if outcome.completed:
        return _thank_you(survey, questionnaire, outcome.state, outcome.step)
    errors = {e.question: e.message for e in outcome.errors}
    return _page(
        survey, questionnaire, outcome.state, errors=errors, submitted=bool(errors), step=outcome.step
    )


def _case_language(access: RespondentAccess) -> str | None:
    return access.case.language if access.case is not None else None


def _page(
    survey: Survey,
    questionnaire: Questionnaire,
    state: InterviewState,
    *,
    errors: dict[str, str] | None = None,
    submitted: bool = False,
    step: Step | None = None,
) -> Response | str:
    # ``step``: the caller's next_step of this very state, when it has it.
    step = step if step is not None else engine.next_step(questionnaire, state)
    form = get_channel_form(step, state.language, request.form if submitted else None)
    return render_template(
        "respond/page.html",
        title=localize(questionnaire.title, state.language, questionnaire.default_language),
        step=step,
        form=form,
        errors=errors or {},
        languages=survey.languages,
        language=state.language,
    )


def get_channel_form(step: Step, language: str, formdata: object | None) -> FlaskForm:
    """Build the page's form on the CSRF-protected base class (the web adapter knows no Flask)."""
    form: FlaskForm = make_step_form(step, language, formdata, base=FlaskForm)
    return form


def _thank_you(
    survey: Survey, questionnaire: Questionnaire, state: InterviewState, step: Step | None = None
) -> str:
    # ``step``: the caller's next_step of this very state, when it has it.
    g.ui_language = state.language
    step = step if step is not None else engine.next_step(questionnaire, state)
    return render_template(
        "respond/message.html",
        kind="thank_you",
        title=localize(questionnaire.title, state.language, questionnaire.default_language),
        text=step.thank_you,
        survey=survey,
    )


def _message(survey: Survey, language: str, kind: str) -> Response:
    g.ui_language = language
    body = render_template("respond/message.html", kind=kind, title=survey.name, text="", survey=survey)
    # Closed and not-yet-open links are real pages, not errors: 200 so browsers show them plainly.
    return make_response(body, 200)
