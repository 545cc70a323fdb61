"""One inbound SMS turn: keywords, then the respondent's SMS interview, answered with TwiML.

The flow of one webhook (style anchors, "one inbound turn"): the signature was checked by the
view → an already handled ``MessageSid`` gets its stored reply and nothing else happens → STOP /
START / HELP are Twilio's keywords (``channels.keywords``): an opt-out covers every survey and
channel of the person → otherwise the sender's active SMS interview (found by ``From``) is read
with ``channels.sms``, applied with ``respond.operations.record_turn`` and answered with the next
question. The idempotency marker (with the reply) commits in the same transaction as the answer.
Besides what ``channels.sms`` reads, options may be answered by letter (``a`` is the first).

An interview nobody answered for :data:`PAUSE_AFTER` is *paused*: nothing is lost and nothing is
sent; the next text resumes it. That text is read as the answer when it is one (with a "welcome
back"); otherwise the respondent gets the question they stopped at again, not an error message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from twilio.twiml.messaging_response import MessagingResponse

from channels.base import Control, Inbound, get_channel
from channels.keywords import match_keyword
from channels.sms import SmsChannel
from questionnaires import engine
from questionnaires.definition import Questionnaire
from questionnaires.state import InterviewState
from survey_app.fieldwork import operations, queries
from survey_app.fieldwork.models import ProcessedWebhook
from survey_app.fieldwork.outbound import render_sms
from survey_app.i18n import babel_locale_id
from survey_app.respond.operations import TurnOutcome, record_turn
from survey_app.surveys.queries import get_questionnaire

#: Without a reply for this long an SMS interview is paused; the next text resumes it.
PAUSE_AFTER = dt.timedelta(hours=12)


def twiml_messages(texts: Sequence[str]) -> str:
    """Return a MessagingResponse sending ``texts`` (none: an empty response, nothing is sent)."""
    response = MessagingResponse()
    for body in texts:
        response.message(body)
    return str(response)


def stored_reply(session: Session, key: str) -> str | None:
    """Return the reply given when the webhook ``key`` was first handled (None: not handled yet)."""
    done = queries.get_processed_webhook(session, key)
    return done.response if done is not None else None


def finish(session: Session, key: str, response: str) -> str:
    """Record ``key`` as handled with ``response`` and commit everything pending with it."""
    session.add(ProcessedWebhook(key=key, response=response))
    try:
        session.commit()
    except IntegrityError:  # the same webhook handled concurrently: the first one's reply wins
        session.rollback()
        return stored_reply(session, key) or response
    return response


def handle_inbound_sms(session: Session, form: Mapping[str, str], *, now: dt.datetime) -> str:
    """Handle one inbound SMS (Twilio's messaging webhook); return the TwiML reply."""
    sid = form.get("MessageSid") or form.get("SmsSid") or ""
    key = f"sms:{sid}"
    earlier = stored_reply(session, key)
    if earlier is not None:
        return earlier
    phone, body = form.get("From", ""), form.get("Body", "")
    opted_out = queries.is_opted_out(session, [phone])
    control = match_keyword(body, opted_out=opted_out)
    active = queries.find_active_sms_interview(session, phone)
    language = active.interview.language if active is not None else None
    if control is Control.STOP:
        operations.record_opt_out(
            session,
            queries.query_addresses_of_phone(session, phone),
            source="sms_keyword",
            survey_id=active.survey.id if active else None,
            event_key=sid,
            now=now,
            commit=False,
        )
        return finish(session, key, twiml_messages([]))  # Twilio confirms STOP itself
    if control is Control.START:
        operations.remove_opt_out(session, phone, commit=False)
        # Twilio confirms the opt-in; the interview (if any) goes on where it stopped.
        return finish(session, key, twiml_messages([_current_question(session, active)] if active else []))
    if control is Control.HELP and active is None:
        return finish(session, key, twiml_messages([help_text(language or "en")]))
    if opted_out or active is None:
        return finish(session, key, twiml_messages([]))  # never text an opted-out number
    return _interview_turn(session, active, body, key, now)


def help_text(language: str) -> str:
    """Return the answer to HELP outside an interview: who we are and how to opt out."""
    with force_locale(babel_locale_id(language)):
        return str(_("This number sends survey invitations and questions. Reply STOP to opt out."))


def _current_question(session: Session, active: queries.ActiveConversation) -> str:
    questionnaire = get_questionnaire(session, active.survey.version_id)
    state = InterviewState.from_dict(active.interview.state)
    return render_sms(engine.next_step(questionnaire, state), state.language)


def is_paused(active: queries.ActiveConversation, now: dt.datetime) -> bool:
    """Return True when the interview has waited longer than :data:`PAUSE_AFTER` for a reply."""
    last = active.interview.updated_at
    if last.tzinfo is None:  # SQLite hands back naive UTC values
        last = last.replace(tzinfo=dt.UTC)
    return now - last > PAUSE_AFTER


def welcome_back(language: str) -> str:
    """Return the greeting of a resumed interview, in the respondent's language."""
    with force_locale(babel_locale_id(language)):
        return str(_("Welcome back! Your earlier answers are saved."))


def _interview_turn(
    session: Session, active: queries.ActiveConversation, body: str, key: str, now: dt.datetime
) -> str:
    survey, interview = active.survey, active.interview
    questionnaire = get_questionnaire(session, survey.version_id)
    state = InterviewState.from_dict(interview.state)
    step = engine.next_step(questionnaire, state)
    channel = get_channel("sms")
    assert isinstance(channel, SmsChannel)
    parsed = channel.parse(step, Inbound(text=body), state.language)
    paused = is_paused(active, now)
    greeting = [welcome_back(state.language)] if paused else []
    if parsed.control is Control.HELP:
        return finish(session, key, twiml_messages([channel.help_message(step, state.language).text]))
    if parsed.control is Control.REPEAT or (paused and parsed.error is not None):
        question = render_sms(step, state.language)
        return finish(session, key, twiml_messages(["\n".join([*greeting, question])]))
    if parsed.error is not None:
        return finish(session, key, twiml_messages([parsed.error]))
    reply: list[str] = []

    def remember(outcome: TurnOutcome) -> None:
        texts = turn_texts(questionnaire, outcome)
        if greeting and not outcome.errors:
            texts = ["\n".join([*greeting, *texts])]
        reply.append(twiml_messages(texts))
        session.add(ProcessedWebhook(key=key, response=reply[0]))

    outcome = record_turn(
        session,
        survey,
        interview,
        questionnaire,
        replies=parsed.replies,
        go_back=parsed.control is Control.BACK,
        now=now,
        before_commit=remember,
    )
    if outcome.stale:  # handled concurrently, or the interview moved on: answer with where it stands
        # Recorded too, so that a retry of this message never answers the question asked since.
        return stored_reply(session, key) or finish(
            session, key, twiml_messages([_current_question(session, active)])
        )
    return reply[0]


def turn_texts(questionnaire: Questionnaire, outcome: TurnOutcome) -> list[str]:
    """Return what to text back after a turn: the errors, or the statements passed and the next step."""
    language = outcome.state.language
    if outcome.errors:
        return [" ".join(error.message for error in outcome.errors)]
    texts = [render_sms(step, language) for step in outcome.passed]
    texts.append(render_sms(engine.next_step(questionnaire, outcome.state), language))
    return ["\n".join(texts)]
