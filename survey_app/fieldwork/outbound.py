"""What an attempt sends: the e-mail, the SMS body or the call, composed in the respondent's language.

Runs in an app context (the worker's): links are absolute public URLs, interface wording goes
through Flask-Babel under ``force_locale`` and questionnaire wording comes from the definition.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlmodel import Session

from channels.base import get_channel
from channels.email import Invitation, build_message, render_invitation
from questionnaires import engine
from questionnaires.definition import NON_ANSWERED_TYPES, Questionnaire, localize
from questionnaires.state import InterviewState, Step
from survey_app.config import Settings
from survey_app.fieldwork.links import (
    PublicUrlMissing,
    bounce_token,
    personal_link_token,
    public_url,
    unsubscribe_token,
    verp_address,
)
from survey_app.fieldwork.queries import Delivery
from survey_app.i18n import babel_locale_id
from survey_app.respond import operations as respond_operations
from survey_app.surveys.queries import get_questionnaire

#: The header carrying the attempt's signed bounce token (``fieldwork.bounces`` reads it back).
ATTEMPT_HEADER = "X-Survey-Attempt"


@dataclass(frozen=True)
class Outgoing:
    """One composed contact, ready for its transport."""

    channel: str
    address: str
    email: EmailMessage | None = None
    body: str | None = None
    """The SMS text."""
    call_url: str | None = None
    """The TwiML URL Twilio requests when the call is answered."""
    status_callback: str | None = None
    provider_ref: str | None = None
    """Known before sending: the e-mail Message-ID."""
    envelope_sender: str | None = None
    """The e-mail's return path (MAIL FROM) when it is not the From: the VERP bounce address."""

    @property
    def content_hash(self) -> str | None:
        """SHA-256 of the SMS body, to recognise the message in the provider's list."""
        return hashlib.sha256(self.body.encode("utf-8")).hexdigest() if self.body is not None else None


def interview_language(delivery: Delivery) -> str:
    """Return the case's language when the survey offers it, else the survey's default."""
    language = delivery.case.language
    return language if language in delivery.survey.languages else delivery.survey.default_language


def _settings() -> Settings:
    settings: Settings = current_app.config["SURVEY_SETTINGS"]
    return settings


def _title(questionnaire: Questionnaire, language: str) -> str:
    return localize(questionnaire.title, language, questionnaire.default_language)


def _link(delivery: Delivery) -> str:
    token = personal_link_token(current_app.config["SECRET_KEY"], int(delivery.case.id or 0))
    return public_url(current_app, "respond.personal", token=token)


def _name(delivery: Delivery) -> str | None:
    details = delivery.details
    return (details.name if details else None) or delivery.case.context.get("first_name") or None


def message_id(key: str, sender: str) -> str:
    """Return the Message-ID of an attempt: the same on a re-send, so receivers can drop duplicates."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    return f"<attempt-{key}@{domain}>"


def compose_email(session: Session, delivery: Delivery, address: str) -> Outgoing:
    """Return the invitation or reminder e-mail, with RFC 8058 one-click unsubscribe headers."""
    language = interview_language(delivery)
    questionnaire = get_questionnaire(session, delivery.survey.version_id)
    settings = _settings()
    unsubscribe = public_url(
        current_app,
        "fieldwork.unsubscribe",
        token=unsubscribe_token(current_app.config["SECRET_KEY"], int(delivery.case.id or 0)),
    )
    invitation = Invitation(
        survey_title=_title(questionnaire, language),
        respondent_name=_name(delivery),
        link=_link(delivery),
        unsubscribe_link=unsubscribe,
        language=language,
        sender_organisation=settings.organisation_name,
        is_reminder=delivery.attempt.kind == "reminder",
    )
    try:
        rendered = render_invitation(invitation)
    except ValueError as exc:  # RFC 8058 wants an https unsubscribe link: a deployment setting
        raise PublicUrlMissing(f"e-mail cannot be sent: {exc} (set SURVEY_PUBLIC_BASE_URL to https)") from exc
    message = build_message(rendered, sender=str(settings.mail_from), recipient=address)
    reference = message_id(delivery.attempt.idempotency_key, str(settings.mail_from))
    message["Message-ID"] = reference
    envelope_sender = None
    if settings.bounce_address:
        # VERP: a bounce comes back to an address naming the attempt; the header is the fallback
        # for servers whose report quotes the message but not the address it was sent to.
        token = bounce_token(current_app.config["SECRET_KEY"], int(delivery.attempt.id or 0))
        message[ATTEMPT_HEADER] = token
        envelope_sender = verp_address(settings.bounce_address, token)
    return Outgoing("email", address, email=message, provider_ref=reference, envelope_sender=envelope_sender)


def _status_callback(delivery: Delivery) -> str:
    return public_url(
        current_app, "fieldwork.twilio_status", query={"attempt": delivery.attempt.idempotency_key}
    )


def sms_link_text(delivery: Delivery, title: str, reminder: bool) -> str:
    """Return the SMS carrying the web link, in the case's language."""
    language = interview_language(delivery)
    values = {"organisation": _settings().organisation_name, "title": title, "link": _link(delivery)}
    with force_locale(babel_locale_id(language)):
        if reminder:
            return str(
                _(
                    "Reminder from %(organisation)s: your answers to “%(title)s” still count. %(link)s "
                    "Reply STOP to opt out.",
                    **values,
                )
            )
        return str(
            _(
                "%(organisation)s invites you to the survey “%(title)s”: %(link)s Reply STOP to opt out.",
                **values,
            )
        )


def compose_sms(session: Session, delivery: Delivery, address: str, *, now: dt.datetime) -> Outgoing:
    """Return the SMS of an invite/reminder (web link) or the first question of an SMS interview.

    An SMS interview continues where it stands; a case that started on the web gets the link instead.
    """
    questionnaire = get_questionnaire(session, delivery.survey.version_id)
    title = _title(questionnaire, interview_language(delivery))
    interview = delivery.interview
    if delivery.attempt.kind != "interview" or (interview is not None and interview.channel != "sms"):
        body = sms_link_text(delivery, title, reminder=delivery.attempt.kind != "invite")
        return Outgoing("sms", address, body=body, status_callback=_status_callback(delivery))
    if interview is None:
        interview = respond_operations.start_interview(
            session,
            delivery.survey,
            questionnaire,
            case=delivery.case,
            channel="sms",
            language=interview_language(delivery),
            now=now,
        )
        delivery.interview = interview
    state = InterviewState.from_dict(interview.state)
    texts: list[str] = []
    step = engine.next_step(questionnaire, state)
    if is_statement(step):
        texts.append(render_sms(step, state.language))
        outcome = respond_operations.record_turn(
            session, delivery.survey, interview, questionnaire, replies={}, now=now
        )
        texts += [render_sms(s, state.language) for s in outcome.passed]
        state = outcome.state
    with force_locale(babel_locale_id(state.language)):
        opening = _(
            "%(organisation)s: “%(title)s”. Reply STOP to opt out, HELP for help.",
            organisation=_settings().organisation_name,
            title=title,
        )
    texts.append(render_sms(engine.next_step(questionnaire, state), state.language))
    body = "\n".join([opening, *texts])
    return Outgoing("sms", address, body=body, status_callback=_status_callback(delivery))


def compose_call(delivery: Delivery, address: str) -> Outgoing:
    """Return the outbound call: its TwiML URL and status callback."""
    key = delivery.attempt.idempotency_key
    url = public_url(current_app, "fieldwork.twilio_voice", query={"attempt": key})
    return Outgoing("ivr", address, call_url=url, status_callback=_status_callback(delivery))


def is_statement(step: Step) -> bool:
    """Return True for a step that only states something (``info``): it is shown, not answered."""
    return not step.done and all(q.type in NON_ANSWERED_TYPES for q in step.questions)


def render_sms(step: Step, language: str) -> str:
    """Return the SMS text of a step (question, statement, or the closing thanks)."""
    if step.done and step.thank_you:
        return step.thank_you
    return get_channel("sms").render(step, language).text
