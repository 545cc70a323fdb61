"""One inbound SMS turn: keywords, then the respondent's SMS interview, answered with TwiML.

The flow of one webhook (style anchors, "one inbound turn"): the signature was checked by the
view → an already handled ``MessageSid`` gets its stored reply and nothing else happens → STOP /
START / HELP are Twilio's keywords (``channels.keywords``): an opt-out covers every survey and
channel of the person → otherwise the sender's active SMS interview (found by ``From``) is read
with ``channels.sms``, applied with ``respond.operations.take_turn`` and answered with the next
question. The idempotency marker (with the reply) commits in the same transaction as the answer.
Besides what ``channels.sms`` reads, options may be answered by letter (``a`` is the first).

Webhooks are a hot path. The marker, the opt-out and the interview are read in one statement
(``queries.get_inbound_sms``: plain rows, the questionnaire from the per-process cache); a reply
that answers a question is then stored by :func:`store_turn` in one more round trip (on
PostgreSQL one statement: the marker ``INSERT … ON CONFLICT DO NOTHING`` in a CTE of the
interview's conditional ``UPDATE``; on SQLite the two in one transaction) and one commit.

An interview nobody answered for :data:`PAUSE_AFTER` is *paused*: nothing is lost and nothing is
sent; the next text resumes it. That text is read as the answer when it is one (with a "welcome
back"); otherwise the respondent gets the question they stopped at again, not an error message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any
from xml.sax.saxutils import escape

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import bindparam, exists, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from channels.base import Control, Inbound, get_channel
from channels.keywords import match_keyword
from channels.sms import SmsChannel
from questionnaires import engine
from questionnaires.definition import Questionnaire
from questionnaires.state import InterviewState, Step
from survey_app.fieldwork import operations, queries
from survey_app.fieldwork.models import ProcessedWebhook
from survey_app.fieldwork.outbound import render_sms
from survey_app.i18n import babel_locale_id
from survey_app.respond.operations import STORE, TurnOutcome, take_turn, turn_values
from survey_app.surveys.models import Interview
from survey_app.surveys.queries import get_questionnaire

#: Without a reply for this long an SMS interview is paused; the next text resumes it.
PAUSE_AFTER = dt.timedelta(hours=12)


_TWIML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
_NO_MESSAGE = _TWIML_DECLARATION + "<Response />"


def twiml_messages(texts: Sequence[str]) -> str:
    """Return a MessagingResponse sending ``texts`` (none: an empty response, nothing is sent).

    Written directly, byte for byte what the SDK's ``MessagingResponse`` writes (a test compares
    them): building its element tree cost more than the rest of a re-prompt.
    """
    if not texts:
        return _NO_MESSAGE
    messages = "".join(f"<Message>{escape(body)}</Message>" for body in texts)
    return f"{_TWIML_DECLARATION}<Response>{messages}</Response>"


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
    phone, body = form.get("From", ""), form.get("Body", "")
    inbound = queries.get_inbound_sms(session, key, phone)
    if inbound.earlier is not None:
        return inbound.earlier
    opted_out, active = inbound.opted_out, inbound.active
    control = match_keyword(body, opted_out=opted_out)
    language = active.language if active is not None else None
    if control is Control.STOP:
        operations.record_opt_out(
            session,
            queries.query_addresses_of_phone(session, phone),
            source="sms_keyword",
            survey_id=active.survey_id if active else None,
            event_key=sid,
            now=now,
            commit=False,
        )
        return finish(session, key, twiml_messages([]))  # Twilio confirms STOP itself
    if control is Control.START:
        operations.remove_opt_out(session, phone, commit=False)
        # Twilio confirms the opt-in; the interview (if any) goes on where it stopped.
        question = [_current_question(session, active.version_id, active.state)] if active else []
        return finish(session, key, twiml_messages(question))
    if control is Control.HELP and active is None:
        return finish(session, key, twiml_messages([help_text(language or "en")]))
    if opted_out or active is None:
        return finish(session, key, twiml_messages([]))  # never text an opted-out number
    return _interview_turn(session, active, body, key, now)


def help_text(language: str) -> str:
    """Return the answer to HELP outside an interview: who we are and how to opt out."""
    with force_locale(babel_locale_id(language)):
        return str(_("This number sends survey invitations and questions. Reply STOP to opt out."))


def _current_question(session: Session, version_id: int, stored_state: Mapping[str, Any]) -> str:
    questionnaire = get_questionnaire(session, version_id)
    state = InterviewState.from_dict(stored_state)
    return render_sms(engine.next_step(questionnaire, state), state.language)


def is_paused(active: queries.SmsConversation, now: dt.datetime) -> bool:
    """Return True when the interview has waited longer than :data:`PAUSE_AFTER` for a reply."""
    last = active.updated_at
    if last.tzinfo is None:  # SQLite hands back naive UTC values
        last = last.replace(tzinfo=dt.UTC)
    return now - last > PAUSE_AFTER


def welcome_back(language: str) -> str:
    """Return the greeting of a resumed interview, in the respondent's language."""
    with force_locale(babel_locale_id(language)):
        return str(_("Welcome back! Your earlier answers are saved."))


def _interview_turn(
    session: Session, active: queries.SmsConversation, body: str, key: str, now: dt.datetime
) -> str:
    questionnaire = get_questionnaire(session, active.version_id)
    state = InterviewState.from_dict(active.state)
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
    outcome = take_turn(
        questionnaire, state, replies=parsed.replies, go_back=parsed.control is Control.BACK, now=now
    )
    following = engine.next_step(questionnaire, outcome.state)
    texts = turn_texts(questionnaire, outcome, following)
    if greeting and not outcome.errors:
        texts = ["\n".join([*greeting, *texts])]
    reply = twiml_messages(texts)
    if store_turn(session, active, questionnaire, outcome, following, key=key, reply=reply, now=now):
        return reply
    # Stored nothing: this very message was handled concurrently (its reply stands), or the
    # interview moved on meanwhile: answer with where it stands now. Recorded too, so that a
    # retry of this message never answers the question asked since.
    earlier = stored_reply(session, key)
    if earlier is not None:
        return earlier
    stored = queries.get_interview_state(session, active.interview_id)
    return finish(session, key, twiml_messages([_current_question(session, active.version_id, stored)]))


def turn_texts(
    questionnaire: Questionnaire, outcome: TurnOutcome, following: Step | None = None
) -> list[str]:
    """Return what to text back after a turn: the errors, or the statements passed and the next step.

    :param following: ``engine.next_step`` of ``outcome.state`` when the caller has it.
    """
    language = outcome.state.language
    if outcome.errors:
        return [" ".join(error.message for error in outcome.errors)]
    texts = [render_sms(step, language) for step in outcome.passed]
    step = following if following is not None else engine.next_step(questionnaire, outcome.state)
    texts.append(render_sms(step, language))
    return ["\n".join(texts)]


# The turn's write. The marker of the MessageSid carries the reply; ON CONFLICT DO NOTHING lets a
# concurrent retry of the same message write nothing instead of failing the transaction. Built once.
_WEBHOOKS = ProcessedWebhook.__table__  # type: ignore[attr-defined]
_INTERVIEWS = Interview.__table__  # type: ignore[attr-defined]


def _mark(insert: Any) -> Any:
    return (
        insert(_WEBHOOKS)
        .values(key=bindparam("m_key"), response=bindparam("m_response"), created_at=bindparam("m_at"))
        .on_conflict_do_nothing(index_elements=[_WEBHOOKS.c.key])
    )


_MARK_SQLITE = _mark(sqlite.insert)
_MARKER = _mark(postgresql.insert).returning(_WEBHOOKS.c.id).cte("marker")
#: PostgreSQL: one statement (one round trip): the interview is updated only when the marker
#: was inserted and the interview is still at the step the reply answered; RETURNING says whether.
_TURN_POSTGRESQL = STORE.where(exists(select(_MARKER.c.id))).add_cte(_MARKER).returning(_INTERVIEWS.c.id)


def store_turn(
    session: Session,
    active: queries.SmsConversation,
    questionnaire: Questionnaire,
    outcome: TurnOutcome,
    following: Step,
    *,
    key: str,
    reply: str,
    now: dt.datetime,
) -> bool:
    """Store a turn with its webhook marker (carrying ``reply``) in one transaction; commit.

    :param following: ``engine.next_step`` of ``outcome.state`` (its key is the new step on record).
    :returns: False, with everything rolled back, when the marker existed already (the same
        message handled concurrently) or the interview was no longer at ``active.step_key``.
    """
    values = turn_values(
        questionnaire, outcome.state, partial_threshold=active.partial_threshold, now=now, step=following
    )
    where = {"b_id": active.interview_id, "b_step": active.step_key}
    marker = {"m_key": key, "m_response": reply, "m_at": now}
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        stored = connection.execute(_TURN_POSTGRESQL, {**values, **where, **marker}).first() is not None
    else:
        # SQLite has no INSERT inside WITH: two statements, in process, in one transaction.
        stored = (
            connection.execute(_MARK_SQLITE, marker).rowcount == 1
            and connection.execute(STORE, {**values, **where}).rowcount == 1
        )
    if not stored:
        session.rollback()
        return False
    session.commit()
    return True
