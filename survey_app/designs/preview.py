"""Previews of a draft as respondents get it, through the real engine and channel adapters.

The web preview walks the interview page by page with the engine's validation; its state
travels signed in the page address (never in the database), bound to the draft revision it was
started on. The SMS, IVR and agent previews render every question the way the adapter would,
without walking: a researcher wants to read them all at once.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from channels.agent import AgentQuestion, AgentScript
from channels.base import KEYED_TYPES, Control, Inbound, get_channel
from channels.ivr import IvrPrompt, ivr_special_keys, twiml_question
from channels.sms import SmsMessage
from questionnaires import engine
from questionnaires.definition import NON_ANSWERED_TYPES, Questionnaire, QuestionType, parse_definition
from questionnaires.render import Renderer
from questionnaires.state import InterviewState, QuestionView, Step
from questionnaires.validation import Problem, errors_only, validate
from survey_app.designs.models import QuestionnaireRecord

PREVIEW_SEED = 7
_SALT = "designs.preview"
#: Contact attributes the preview pipes into texts; other declared fields show as ``[name]``.
SAMPLE_CONTACT = {
    "first_name": "Alex",
    "last_name": "Chen",
    "name": "Alex Chen",
    "company_name": "Acme Ltd",
    "product": "Premium plan",
    "city": "Shanghai",
}


def preview_definition(document: Mapping[str, Any]) -> tuple[Questionnaire | None, list[Problem]]:
    """The parsed draft, or None when it has errors (the preview shows those instead)."""
    problems = validate(document)
    if errors_only(problems):
        return None, problems
    return parse_definition(document), problems


def preview_language(questionnaire: Questionnaire, requested: str | None) -> str:
    return requested if requested in questionnaire.languages else questionnaire.default_language


def sample_context(questionnaire: Questionnaire) -> dict[str, str]:
    fields = (
        questionnaire.contact_fields if questionnaire.contact_fields is not None else tuple(SAMPLE_CONTACT)
    )
    return {name: SAMPLE_CONTACT.get(name, f"[{name}]") for name in fields}


def start(questionnaire: Questionnaire, language: str, channel: str = "web") -> InterviewState:
    return engine.start(
        questionnaire,
        context=sample_context(questionnaire),
        language=language,
        channel=channel,
        seed=PREVIEW_SEED,
        now=time.time(),
    )


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key or "", salt=_SALT)


#: The hidden form field that carries the signed preview state from page to page.
STATE_FIELD = "_preview_state"


def sign_state(state: InterviewState, record: QuestionnaireRecord) -> str:
    """The signed preview state for the page's hidden field (paradata dropped: a preview records nothing)."""
    payload = {"q": record.id, "r": record.draft_revision, "s": state.with_changes(events=()).to_dict()}
    return str(_serializer().dumps(payload))


def read_state(token: str, record: QuestionnaireRecord) -> InterviewState | None:
    """The state signed by ``sign_state`` for this draft revision; None if tampered or outdated."""
    try:
        payload = _serializer().loads(token)
        if payload["q"] != record.id or payload["r"] != record.draft_revision:
            return None
        return InterviewState.from_dict(payload["s"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None


def web_turn(
    questionnaire: Questionnaire, state: InterviewState, fields: Mapping[str, Sequence[str]]
) -> tuple[InterviewState, dict[str, str]]:
    """Apply one submitted page: the next state, or the same state with errors per question."""
    step = engine.next_step(questionnaire, state)
    if step.done or (fields.get("_step") or [""])[0] != step.key:
        return state, {}  # an old page sent again: show the current one
    parsed = get_channel("web").parse(step, Inbound(fields=fields), state.language)
    now = time.time()
    if parsed.control is Control.BACK:
        return engine.back(questionnaire, state, now=now), {}
    if not parsed.ok:
        return state, dict(parsed.field_errors)
    result = engine.answer(questionnaire, state, parsed.replies, now=now)
    if result.errors:
        return state, {error.question: error.message for error in result.errors}
    return result.state, {}


@dataclass(frozen=True)
class ChannelItem:
    """One question as a channel presents it, with the page it is on."""

    page_title: str
    view: QuestionView
    outbound: Any


def _items(questionnaire: Questionnaire, language: str, channel: str) -> list[ChannelItem]:
    state = start(questionnaire, language, channel)
    renderer = Renderer(questionnaire, state)
    adapter = get_channel(channel)
    items = []
    for page in questionnaire.pages:
        title = renderer.text(page.title)
        for question in page.questions:
            if question.type is QuestionType.CALCULATE:
                continue
            view = renderer.view(question)
            step = Step(done=False, questions=(view,), page_id=page.id, page_title=title, key=view.id)
            items.append(ChannelItem(title, view, adapter.render(step, language)))
    return items


@dataclass(frozen=True)
class SmsPreview:
    messages: list[ChannelItem]
    closing: SmsMessage


def sms_preview(questionnaire: Questionnaire, language: str) -> SmsPreview:
    """Every question's text message, with its segment count and encoding."""
    closing = get_channel("sms").render(Step(done=True), language)
    assert isinstance(closing, SmsMessage)
    return SmsPreview(_items(questionnaire, language, "sms"), closing)


@dataclass(frozen=True)
class IvrItem:
    item: ChannelItem
    prompt: IvrPrompt
    keys: list[tuple[str, str]]
    twiml: str


@dataclass(frozen=True)
class IvrPreview:
    intro: str
    prompts: list[IvrItem]
    goodbye: IvrPrompt


def _keys(view: QuestionView) -> list[tuple[str, str]]:
    keys = [(c.key, c.label) for c in view.choices] if view.type in KEYED_TYPES | {"matrix"} else []
    specials = ivr_special_keys(view)
    return keys + [(specials[s.code], s.label) for s in view.special if s.code in specials]


def ivr_preview(questionnaire: Questionnaire, language: str) -> IvrPreview:
    """The introduction and every spoken prompt, with its keys, voice and estimated length."""
    items = []
    for item in _items(questionnaire, language, "ivr"):
        prompt = item.outbound
        assert isinstance(prompt, IvrPrompt)
        keys = _keys(item.view) if item.view.type not in NON_ANSWERED_TYPES else []
        items.append(IvrItem(item, prompt, keys, twiml_question(prompt, "/ivr/answer")))
    goodbye = get_channel("ivr").render(Step(done=True), language)
    assert isinstance(goodbye, IvrPrompt)
    intro = engine.intro_text(questionnaire, start(questionnaire, language, "ivr"))
    return IvrPreview(intro, items, goodbye)


@dataclass(frozen=True)
class AgentPreview:
    intro: str
    questions: list[tuple[str, AgentQuestion]]
    alerts: list[tuple[str, str, str]]
    """(id, condition, message) of each alert the console raises."""


def agent_preview(questionnaire: Questionnaire, language: str) -> AgentPreview:
    """The interviewer script: introduction, each question's wording and instructions, the alerts."""
    state = start(questionnaire, language, "agent")
    renderer = Renderer(questionnaire, state)
    questions: list[tuple[str, AgentQuestion]] = []
    for item in _items(questionnaire, language, "agent"):
        script = item.outbound
        assert isinstance(script, AgentScript)
        questions.extend((item.page_title, question) for question in script.questions)
    alerts = [(alert.id, alert.when, renderer.text(alert.message)) for alert in questionnaire.alerts]
    return AgentPreview(engine.intro_text(questionnaire, state), questions, alerts)
