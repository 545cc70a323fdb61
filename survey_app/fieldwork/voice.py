"""Automated interview calls (IVR): one webhook, three stages, TwiML from ``channels.ivr``.

``start`` (Twilio fetches the call's URL when it is answered, or when someone calls our number):
an answering machine gets a short message or is hung up on, per ``SURVEY_IVR_ON_MACHINE``, and
the attempt records which; a person hears the introduction and is asked for consent. An inbound
call (no attempt in the URL) finds the caller's case by ``From``. ``consent``: 1 starts the
interview, 2 says goodbye. ``answer``: the key pressed (or words said) for the current question
goes through ``IvrChannel.parse`` and ``respond.operations.record_turn``; the next question
follows, or the thank-you and hang-up. No input repeats the prompt, at most ``MAX_REPEATS``
times, then goodbye.

Every action URL carries whose call it is (``attempt`` key, or ``case`` id for inbound calls:
Twilio signs the URLs it calls, so they cannot be forged), the stage, a turn number ``t`` and the
repeat count ``n``. Twilio retries a request with the same URL, so ``voice:<CallSid>:<t>:<n>``
identifies it and a retry gets the stored TwiML (``processed_webhooks``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import update
from sqlmodel import Session, col, select
from twilio.twiml.voice_response import VoiceResponse

from channels.base import Control, Inbound, get_channel
from channels.ivr import (
    IvrChannel,
    IvrPrompt,
    parse_consent,
    twiml_goodbye,
    twiml_intro,
    twiml_message,
    twiml_question,
)
from questionnaires import engine
from questionnaires.definition import Questionnaire
from questionnaires.state import InterviewState
from survey_app.fieldwork import queries
from survey_app.fieldwork.conversation import finish, stored_reply
from survey_app.fieldwork.links import public_url
from survey_app.fieldwork.models import AttemptState, ContactAttempt, FieldworkCase, ProcessedWebhook
from survey_app.fieldwork.outbound import is_statement
from survey_app.i18n import babel_locale_id
from survey_app.respond.operations import TurnOutcome, record_turn, start_interview
from survey_app.surveys.models import Case, Interview, Survey
from survey_app.surveys.queries import get_questionnaire

MAX_REPEATS = 2
#: ``AnsweredBy`` values of Twilio's answering machine detection that are not a person.
MACHINE_ANSWERS = frozenset(
    {"machine_start", "machine_end_beep", "machine_end_silence", "machine_end_other", "fax"}
)
#: Call outcomes Twilio reports without an error code, kept as the attempt's code (AAPOR 3.12, 3.13).
CALL_OUTCOMES = frozenset({"busy", "no-answer", "canceled", "failed"})


@dataclass
class Callee:
    """Whose call it is: the case, its survey and interview, and how to name it in URLs."""

    survey: Survey
    case: Case
    interview: Interview | None
    ref: dict[str, str]
    attempt: ContactAttempt | None = None

    @property
    def language(self) -> str:
        """The interview's language, else the case's when the survey offers it, else the default."""
        if self.interview is not None:
            return self.interview.language
        language = self.case.language
        return language if language in self.survey.languages else self.survey.default_language


def _url(ref: Mapping[str, str], stage: str, turn: int, repeats: int) -> str:
    query = {**ref, "stage": stage, "t": str(turn), "n": str(repeats)}
    return public_url(current_app, "fieldwork.twilio_voice", query=query)


def _channel() -> IvrChannel:
    channel = get_channel("ivr")
    assert isinstance(channel, IvrChannel)
    return channel


def find_callee(
    session: Session, *, attempt_key: str | None, case_id: int | None, caller: str
) -> Callee | None:
    """Return whose call this is: by the attempt key (outbound), the case id, or the caller's number."""
    if attempt_key:
        attempt = queries.get_attempt_by_key(session, attempt_key)
        if attempt is None:
            return None
        delivery = queries.get_delivery(session, attempt)
        ref = {"attempt": attempt_key}
        return Callee(delivery.survey, delivery.case, delivery.interview, ref, attempt)
    query = (
        select(Case, Survey, Interview)
        .join(Survey, col(Survey.id) == col(Case.survey_id))
        .outerjoin(Interview, col(Interview.case_id) == col(Case.id))
    )
    if case_id is not None:
        row = session.exec(query.where(Case.id == case_id)).first()
    elif caller:
        # An inbound call: the caller's most recent case whose interview is not finished.
        row = session.exec(
            query.join(FieldworkCase, col(FieldworkCase.case_id) == col(Case.id))
            .where(FieldworkCase.phone_e164 == caller, col(Interview.completed_at).is_(None))
            .order_by(col(Case.id).desc())
        ).first()
    else:
        row = None
    if row is None:
        return None
    case, survey, interview = row
    return Callee(survey, case, interview, {"case": str(case.id)})


def handle_voice(
    session: Session,
    ref: Mapping[str, str | None],
    form: Mapping[str, str],
    *,
    stage: str,
    turn: int,
    repeats: int,
    now: dt.datetime,
) -> str:
    """Handle one voice webhook of an interview call; return the TwiML to play.

    :param ref: ``attempt`` (an outbound call's key) or ``case`` (an inbound call, once found).
    """
    marker = f"voice:{form.get('CallSid', '')}:{turn}:{repeats}"
    earlier = stored_reply(session, marker)
    if earlier is not None:
        return earlier
    case_ref = ref.get("case")
    callee = find_callee(
        session,
        attempt_key=ref.get("attempt"),
        case_id=int(case_ref) if case_ref and case_ref.isdigit() else None,
        caller=form.get("From", "") if form.get("Direction", "inbound") == "inbound" else "",
    )
    if callee is None:
        return finish(session, marker, twiml_message(unknown_caller_text("en"), "en"))
    language = callee.language
    if stage == "start" and form.get("AnsweredBy", "") in MACHINE_ANSWERS:
        return finish(session, marker, _machine(session, callee, language, now))
    questionnaire = get_questionnaire(session, callee.survey.version_id)
    interview = _on_the_phone(session, callee.interview, now)
    if interview is not None and interview.completed_at is not None:
        return finish(session, marker, twiml_goodbye(language))
    inbound = Inbound(digits=form.get("Digits"), speech=form.get("SpeechResult"))
    consent = parse_consent(inbound) if stage == "consent" else None
    if stage == "start" or (stage == "consent" and consent is None):
        if repeats > MAX_REPEATS:
            return finish(session, marker, twiml_goodbye(language))
        return finish(session, marker, _intro(callee, questionnaire, interview, language, turn, repeats))
    if stage == "consent":
        if not consent:
            return finish(session, marker, twiml_goodbye(language))
        if interview is None:
            interview = start_interview(
                session,
                callee.survey,
                questionnaire,
                case=callee.case,
                channel="ivr",
                language=language,
                now=now,
            )
        state = InterviewState.from_dict(interview.state)
        step = engine.next_step(questionnaire, state)
        if is_statement(step):  # say the opening statements, move on
            spoken = _channel().render(step, state.language).text
            outcome = record_turn(session, callee.survey, interview, questionnaire, replies={}, now=now)
            return finish(
                session, marker, _after_turn(callee.ref, questionnaire, outcome, turn, prefix=spoken)
            )
        return finish(session, marker, _ask(callee.ref, questionnaire, state, turn, 0, spoken_before=""))
    if interview is None:  # an answer before consent (a forged or stale URL): start over
        return finish(session, marker, _intro(callee, questionnaire, None, language, turn, 0))
    return _answer(session, callee, interview, questionnaire, inbound, marker, turn, repeats, now)


def _on_the_phone(session: Session, interview: Interview | None, now: dt.datetime) -> Interview | None:
    """Return the interview read one question at a time, even if it was started on the web.

    A web interview continued by phone switches channel in memory only (the object is detached,
    so nothing is flushed); the first answer stores the switch with it, in one conditional write.
    """
    if interview is None:
        return None
    state = InterviewState.from_dict(interview.state)
    if state.channel not in engine.PAGE_CHANNELS:
        return interview
    session.expunge(interview)
    interview.state = engine.set_channel(state, "ivr", now=now.timestamp()).to_dict()
    return interview


def _intro(
    callee: Callee,
    questionnaire: Questionnaire,
    interview: Interview | None,
    language: str,
    turn: int,
    repeats: int,
) -> str:
    """Return the introduction and consent question (the interview starts on consent)."""
    if interview is not None:
        state = InterviewState.from_dict(interview.state)
    else:  # only to render the introduction: nothing is stored before consent
        state = engine.start(
            questionnaire, context=callee.case.context, language=language, channel="ivr", seed=0, now=0.0
        )
    return twiml_intro(
        engine.intro_text(questionnaire, state),
        state.language,
        _url(callee.ref, "consent", turn + 1, 0),
        repeat_url=_url(callee.ref, "consent", turn + 1, repeats + 1),
    )


def _answer(
    session: Session,
    callee: Callee,
    interview: Interview,
    questionnaire: Questionnaire,
    inbound: Inbound,
    marker: str,
    turn: int,
    repeats: int,
    now: dt.datetime,
) -> str:
    state = InterviewState.from_dict(interview.state)
    step = engine.next_step(questionnaire, state)
    if step.done:
        return finish(session, marker, twiml_goodbye(state.language, step.thank_you or None))
    parsed = _channel().parse(step, inbound, state.language)
    ref = callee.ref
    if parsed.control is Control.REPEAT:
        if repeats > MAX_REPEATS:
            return finish(session, marker, twiml_goodbye(state.language))
        return finish(session, marker, _ask(ref, questionnaire, state, turn, repeats, spoken_before=""))
    if parsed.error is not None:
        return finish(session, marker, _ask(ref, questionnaire, state, turn, 0, spoken_before=parsed.error))
    replies: list[str] = []

    def remember(outcome: TurnOutcome) -> None:
        replies.append(_after_turn(ref, questionnaire, outcome, turn))
        session.add(ProcessedWebhook(key=marker, response=replies[0]))

    outcome = record_turn(
        session,
        callee.survey,
        interview,
        questionnaire,
        replies=parsed.replies,
        now=now,
        before_commit=remember,
    )
    if outcome.stale:  # handled concurrently: recorded too, so that a retry answers nothing
        earlier = stored_reply(session, marker)
        return earlier or finish(session, marker, _ask(ref, questionnaire, state, turn, 0, spoken_before=""))
    return replies[0]


def _after_turn(
    ref: Mapping[str, str], questionnaire: Questionnaire, outcome: TurnOutcome, turn: int, *, prefix: str = ""
) -> str:
    """Return what to say after a turn: errors and the question again, or statements and the next one."""
    state = outcome.state
    errors = " ".join(e.message for e in outcome.errors)
    said = [prefix] + [_channel().render(s, state.language).text for s in outcome.passed]
    passed = " ".join(p for p in said if p)
    if state.completed:
        thanks = engine.next_step(questionnaire, state).thank_you
        return twiml_goodbye(state.language, " ".join(p for p in (passed, thanks) if p) or None)
    return _ask(ref, questionnaire, state, turn, 0, spoken_before=errors or passed)


def _ask(
    ref: Mapping[str, str],
    questionnaire: Questionnaire,
    state: InterviewState,
    turn: int,
    repeats: int,
    *,
    spoken_before: str,
) -> str:
    """Return TwiML asking the current question (statements on the way are said first)."""
    step = engine.next_step(questionnaire, state)
    prompt: IvrPrompt = _channel().render(step, state.language)
    if spoken_before:
        prompt = dataclasses.replace(prompt, text=f"{spoken_before} {prompt.text}")
    if step.done or is_statement(step):
        return twiml_goodbye(state.language, prompt.text)
    action = _url(ref, "answer", turn + 1, 0)
    return twiml_question(prompt, action, repeat_url=_url(ref, "answer", turn + 1, repeats + 1))


def machine_message(language: str) -> str:
    """Return the message left on an answering machine, in the respondent's language."""
    with force_locale(babel_locale_id(language)):
        return str(
            _(
                "Hello, this is %(organisation)s calling about a short survey. We will try again "
                "another time. Thank you, goodbye.",
                organisation=current_app.config["SURVEY_SETTINGS"].organisation_name,
            )
        )


def unknown_caller_text(language: str) -> str:
    """Return what an inbound caller hears when no survey is waiting for their number."""
    with force_locale(babel_locale_id(language)):
        return str(_("Thank you for calling. We have no survey waiting for this number. Goodbye."))


def _machine(session: Session, callee: Callee, language: str, now: dt.datetime) -> str:
    """An answering machine took the call: leave a message or hang up, per setting, and record it."""
    leave_message = current_app.config["SURVEY_SETTINGS"].ivr_on_machine == "message"
    if callee.attempt is not None:
        code = "machine_message" if leave_message else "answering_machine"
        session.execute(
            update(ContactAttempt)
            .where(
                col(ContactAttempt.id) == callee.attempt.id,
                col(ContactAttempt.state).in_(
                    (AttemptState.sending, AttemptState.unknown, AttemptState.sent)
                ),
            )
            .values(state=AttemptState.failed, error_code=code, finished_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    if leave_message:
        return twiml_message(machine_message(language), language)
    response = VoiceResponse()
    response.hangup()
    return str(response)


def call_status_form(form: Mapping[str, str]) -> dict[str, str]:
    """Return a call status callback's fields with busy / no-answer kept as the error code."""
    fields = dict(form)
    status = fields.get("CallStatus", "")
    if status in CALL_OUTCOMES and not fields.get("ErrorCode"):
        fields["ErrorCode"] = status
    return fields
