"""Tests of the ready questionnaire library in ``questionnaires/library``.

Every questionnaire must load with its shared blocks, be translated into every declared language,
pass the validator, measure dissatisfaction (overall satisfaction, root causes, follow-up consent,
an alert) and be answerable end to end by the engine on every channel.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

import questionnaires
from questionnaires import engine
from questionnaires.definition import CHOICE_TYPES, Questionnaire, QuestionType
from questionnaires.documents import load_document, load_questionnaire, read_document
from questionnaires.render import PIPE
from questionnaires.state import QuestionView

LIBRARY = Path(questionnaires.__file__).parent / "library"
FILES = sorted(LIBRARY.glob("*.yaml"))
BLOCKS = sorted((LIBRARY / "blocks").glob("*.yaml"))
LANGUAGES = ("en", "zh-Hans", "zh-Hant")
EXPECTED = {
    "customer_relationship",
    "staff_internal_service",
    "supplier",
    "outsourced_partner",
    "regulator",
    "touchpoint_event",
    "abandonment_reason",
    "interviewer_rating",
}
GROUP_QUESTIONNAIRES = {
    "customer_relationship",
    "staff_internal_service",
    "supplier",
    "outsourced_partner",
    "regulator",
}
"""One per stakeholder group: these reuse the shared core instead of copying it."""
CORE_BLOCKS = ("core_satisfaction", "core_followup")
TEXT_KEYS = frozenset(
    {
        "title",
        "description",
        "intro",
        "thank_you",
        "text",
        "help",
        "label",
        "low_label",
        "high_label",
        "message",
        "prompt",
        "instructions",
        "probe",
        "constraint_message",
        "pattern_message",
    }
)
SAMPLE_CONTACT = {
    "first_name": "Li",
    "product": "Fibre 500",
    "case_id": "C-1042",
    "company_name": "Acme Parts",
    "partner_name": "Call Co",
    "contact_name": "Ms Wang",
    "agency": "the Consumer Council",
}
T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z

each_file = pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
each_group_file = pytest.mark.parametrize(
    "path", [p for p in FILES if p.stem in GROUP_QUESTIONNAIRES], ids=lambda p: p.stem
)


def raw(path: Path) -> dict[str, Any]:
    return read_document(path.read_text(encoding="utf-8"), source=str(path))


@functools.cache
def load(path: Path) -> Questionnaire:
    return load_questionnaire(path)


def texts(node: Any, where: str = "") -> Iterator[tuple[str, Any]]:
    """Yield every localised text of a document (expanded or not) with its path."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            path = f"{where}.{key}" if where else str(key)
            if key in TEXT_KEYS:
                yield path, value
            elif key == "labels" and isinstance(value, Mapping):
                for point, label in value.items():
                    yield f"{path}.{point}", label
            else:
                yield from texts(value, path)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from texts(value, f"{where}[{index}]")


def tagged(q: Questionnaire, tag: str) -> list[Any]:
    return [question for question in q.questions() if tag in question.tags]


def test_the_library_has_every_questionnaire_and_every_block_is_used() -> None:
    assert {p.stem for p in FILES} == EXPECTED
    used = {
        str(item["include"])
        for file in FILES
        for page in raw(file)["pages"]
        for item in page.get("questions", [])
        if isinstance(item, dict) and "include" in item
    }
    assert {b.stem for b in BLOCKS} == used


@each_file
def test_loads_with_its_blocks_and_parses(path: Path) -> None:
    q = load(path)
    assert q.id == path.stem
    assert q.version == "1"
    assert q.languages == LANGUAGES
    assert q.stakeholder_group
    assert q.description
    assert q.intro
    assert q.thank_you
    assert q.contact_fields is not None
    assert len(q.questions()) >= 6


@each_file
def test_every_text_is_in_every_declared_language(path: Path) -> None:
    found = list(texts(load_document(path)))
    assert found
    for where, text in found:
        assert isinstance(text, dict), f"{where}: not translated: {text!r}"
        assert tuple(text) == LANGUAGES, f"{where}: languages {list(text)}"
        for language, value in text.items():
            assert isinstance(value, str), f"{where}.{language} is not text"
            assert value.strip(), f"{where}.{language} is empty"
        placeholders = {language: sorted(PIPE.findall(value)) for language, value in text.items()}
        assert len({str(p) for p in placeholders.values()}) == 1, f"{where}: piping differs {placeholders}"


@each_file
def test_the_validator_reports_no_problems(path: Path) -> None:
    from questionnaires.validation import errors_only, validate

    problems = validate(load_document(path))
    assert not errors_only(problems), "\n".join(map(str, problems))
    media = [p for p in problems if ".variants." in p.path]
    assert not media, "\n".join(map(str, media))


@each_group_file
def test_group_questionnaires_include_the_shared_core_rather_than_copy_it(path: Path) -> None:
    items = [
        item for page in raw(path)["pages"] for item in page.get("questions", []) if isinstance(item, dict)
    ]
    included = [str(item["include"]) for item in items if set(item) == {"include"}]
    own_ids = {item["id"] for item in items if "id" in item}
    block_ids = {
        name: [question["id"] for question in raw(LIBRARY / "blocks" / f"{name}.yaml")["questions"]]
        for name in CORE_BLOCKS
    }
    assert set(CORE_BLOCKS) <= set(included)
    copied = own_ids & {qid for ids in block_ids.values() for qid in ids}
    assert not copied, f"core questions copied instead of included: {sorted(copied)}"
    ids = [question.id for question in load(path).questions()]
    core, followup = block_ids["core_satisfaction"], block_ids["core_followup"]
    assert ids[ids.index(core[0]) : ids.index(core[0]) + len(core)] == core
    assert ids[-len(followup) :] == followup, "the follow-up consent closes the questionnaire"


@each_file
def test_measures_dissatisfaction_and_its_root_causes(path: Path) -> None:
    q = load(path)
    overall = tagged(q, "overall_satisfaction")
    assert overall
    for question in overall:
        assert question.type is QuestionType.RATING
        assert question.required
        assert question.scale is not None
        assert question.scale.points == 5
        assert question.scale.low_label
        assert question.scale.high_label
    root_causes = tagged(q, "root_cause")
    assert root_causes
    assert all(question.type in CHOICE_TYPES for question in root_causes)
    conditional = {item.id for page in q.pages for item in page.questions if item.show_if or page.show_if}
    assert all(question.id in conditional for question in root_causes), (
        "root causes are asked of the dissatisfied"
    )
    consent = tagged(q, "followup_consent")
    assert consent
    assert all(question.type is QuestionType.YES_NO and question.required for question in consent)
    assert any(alert.id == "strong_dissatisfaction" for alert in q.alerts)


@each_file
def test_randomised_options_keep_their_anchors(path: Path) -> None:
    q = load(path)
    for question in q.questions():
        if question.randomize and question.type in CHOICE_TYPES:
            assert all(o.fixed for o in question.options if o.exclusive), question.id
            assert len([o for o in question.options if not o.fixed]) >= 2, question.id


@each_file
def test_every_answerable_question_has_agent_wording(path: Path) -> None:
    q = load(path)
    for question in q.questions():
        if question.type not in (QuestionType.INFO, QuestionType.CALCULATE):
            assert question.variants.agent is not None, question.id
            if question.type in (QuestionType.RATING, QuestionType.NPS, QuestionType.YES_NO):
                assert question.variants.sms is not None, f"{question.id}: keyed question without SMS wording"
                assert question.variants.ivr is not None, (
                    f"{question.id}: keyed question without a spoken prompt"
                )


@each_file
def test_sms_and_ivr_wording_matches_how_the_channels_number_the_options(path: Path) -> None:
    """Channels send ``sms_text`` and ``ivr_prompt`` as written, so they must carry the option keys.

    Randomised options and matrix rows get their keys only when rendered for one respondent, so
    those questions leave the wording to the channel. The keypad cannot type an "Other" text, so a
    spoken prompt for a question with Other must accept speech.
    """
    for question in load(path).questions():
        variants = question.variants
        if question.randomize or question.type is QuestionType.MATRIX:
            assert variants.sms is None, f"{question.id}: keys are per respondent; let the channel list them"
            assert variants.ivr is None, f"{question.id}: keys are per respondent; let the channel read them"
        if question.type not in CHOICE_TYPES:
            continue
        keys = [str(n) for n in range(1, len(question.options) + 1)]
        other_key = [str(len(question.options) + 1)] if question.other else []
        if variants.sms is not None:
            assert isinstance(variants.sms.text, dict)
            for language, text in variants.sms.text.items():
                missing = [key for key in keys + other_key if f"{key}=" not in text]
                assert not missing, f"{question.id} ({language}): SMS text lacks keys {missing}"
        if variants.ivr is not None:
            assert isinstance(variants.ivr.prompt, dict)
            for language, prompt in variants.ivr.prompt.items():
                missing = [key for key in keys if key not in prompt]
                assert not missing, f"{question.id} ({language}): spoken prompt lacks keys {missing}"
            assert variants.ivr.speech or not question.other, f"{question.id}: Other needs speech on a call"


def contexts(q: Questionnaire) -> list[dict[str, str]]:
    base = {field: SAMPLE_CONTACT.get(field, "sample") for field in q.contact_fields or ()}
    if "event_type" in base:
        return [{**base, "event_type": "support_case_closed"}, {**base, "event_type": "first_bill"}]
    return [base]


def replies_for(view: QuestionView, unhappy: bool) -> list[Any]:
    """Return a respondent's candidate answers, best first: strongly dissatisfied, or delighted.

    Later candidates are tried when a constraint rejects the first (``main reason`` must be one of
    the reasons given, whose order was randomised).
    """
    substantive = [c.code for c in view.choices if not c.exclusive]
    exclusive = [c.code for c in view.choices if c.exclusive]
    if view.type in ("rating", "nps"):
        return [str(view.scale_min if unhappy else view.scale_max)]
    if view.type == "matrix":
        return [{item.code: str(view.scale_min if unhappy else view.scale_max) for item in view.items}]
    if view.type == "single_choice":
        return substantive
    if view.type == "multiple_choice":
        if not unhappy and exclusive:
            return [exclusive[:1]]
        return [substantive[: min(2, view.max_selected or 2)]]
    if view.type == "yes_no":
        return ["yes" if unhappy else "no"]
    if view.type == "numeric":
        return [str(int(view.min or 0))]
    if view.type == "date":
        return ["2025-06-15"]
    return ["An example answer."]


def walk(
    q: Questionnaire, context: dict[str, str], *, channel: str, language: str, unhappy: bool
) -> list[str]:
    """Drive the engine through the whole interview; return the alerts raised at the end."""
    state = engine.start(q, context=context, language=language, channel=channel, seed=11, now=T0)
    for number in range(1, 200):
        now = T0 + number
        step = engine.next_step(q, state, now=now)
        if step.done:
            break
        views = [view for view in step.questions if view.type not in ("info", "calculate")]
        for view in step.questions:
            shown = (
                view.text,
                view.help,
                view.sms_text,
                view.ivr_prompt,
                view.agent_text,
                view.agent_instructions,
            )
            assert not any(PIPE.search(text) for text in shown), f"{view.id}: placeholder left unfilled"
            assert view.text, f"{view.id}: no text in {language}"
        candidates = {view.id: replies_for(view, unhappy) for view in views}
        chosen = dict.fromkeys(candidates, 0)
        while True:
            result = engine.answer(q, state, {qid: candidates[qid][i] for qid, i in chosen.items()}, now=now)
            rejected = {e.question for e in result.errors if e.code == "constraint_failed"}
            if result.accepted or not rejected or len(result.errors) > len(rejected):
                break
            for qid in rejected:
                chosen[qid] += 1
                assert chosen[qid] < len(candidates[qid]), f"{qid}: no answer satisfies its constraint"
        assert result.accepted, result.errors
        state = result.state
    state = engine.complete(q, state, now=T0 + 500)
    return engine.triggered_alerts(q, state)


@each_file
@pytest.mark.parametrize("channel", ["web", "sms", "ivr", "agent"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_strongly_dissatisfied_respondent_completes_and_raises_the_alert(
    path: Path, channel: str, language: str
) -> None:
    q = load(path)
    for context in contexts(q):
        alerts = walk(q, context, channel=channel, language=language, unhappy=True)
        assert "strong_dissatisfaction" in alerts, (context, alerts)


@each_file
def test_a_delighted_respondent_completes_without_a_dissatisfaction_alert(path: Path) -> None:
    q = load(path)
    for context in contexts(q):
        alerts = walk(q, context, channel="web", language="en", unhappy=False)
        assert "strong_dissatisfaction" not in alerts, (context, alerts)
