"""Property tests: random definitions driven by random answer sequences, and fuzzed definitions."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from questionnaires import engine
from questionnaires.definition import parse_definition
from questionnaires.plan import AnswerEnv, plan_for
from questionnaires.state import InterviewState, Reply
from questionnaires.validation import errors_only, validate

T0 = 1_767_225_600.0
TYPES = [
    "single_choice",
    "multiple_choice",
    "rating",
    "nps",
    "numeric",
    "text",
    "yes_no",
    "info",
    "calculate",
]


def _condition(draw: st.DrawFn, earlier: list[dict[str, Any]]) -> str | None:
    candidates = [q for q in earlier if q["type"] not in ("info",)]
    if not candidates or not draw(st.booleans()):
        return None
    parts = []
    for _ in range(draw(st.integers(1, 2))):
        q = draw(st.sampled_from(candidates))
        qid, kind = q["id"], q["type"]
        if kind == "single_choice":
            parts.append(f"{qid} = '{draw(st.sampled_from(['a', 'b', 'c']))}'")
        elif kind == "multiple_choice":
            parts.append(f"selected({qid}, '{draw(st.sampled_from(['a', 'b', 'c']))}')")
        elif kind in ("rating", "nps", "numeric"):
            parts.append(f"{qid} {draw(st.sampled_from(['<', '>=', '!=']))} {draw(st.integers(0, 6))}")
        elif kind == "yes_no":
            parts.append(qid if draw(st.booleans()) else f"not {qid}")
        elif kind == "calculate":
            parts.append(f"{qid} > 0")
        else:
            parts.append(f"answered({qid})")
    return f" {draw(st.sampled_from(['and', 'or']))} ".join(parts)


@st.composite
def definitions(draw: st.DrawFn) -> dict[str, Any]:
    pages, earlier, counter = [], [], 0
    for p in range(draw(st.integers(1, 3))):
        questions = []
        for _ in range(draw(st.integers(1, 4))):
            counter += 1
            kind = draw(st.sampled_from(TYPES))
            q: dict[str, Any] = {"id": f"q{counter}", "type": kind, "text": f"Question {counter}"}
            if kind not in ("info", "calculate"):
                q["required"] = draw(st.booleans())
            if kind in ("single_choice", "multiple_choice"):
                q["options"] = [{"code": c, "label": c.upper()} for c in ("a", "b", "c")]
                q["randomize"] = draw(st.booleans())
            if kind == "multiple_choice" and draw(st.booleans()):
                q["max_selected"] = 2
            if kind == "numeric":
                q.update({"min": 0, "max": 10})
            if kind == "calculate":
                numeric = [e["id"] for e in earlier if e["type"] in ("rating", "nps", "numeric")]
                q["calculation"] = f"coalesce({numeric[-1]}, 0) + 1" if numeric else "1"
            condition = _condition(draw, earlier)
            if condition:
                q["show_if"] = condition
            questions.append(q)
            earlier.append(q)
        pages.append({"id": f"p{p}", "questions": questions})
    return {"id": "random", "title": "Random", "languages": ["en"], "pages": pages}


def _valid_value(draw: st.DrawFn, view) -> object:
    kind = view.type
    if kind in ("single_choice", "rating", "nps", "yes_no"):
        return draw(st.sampled_from([c.code for c in view.choices]))
    if kind == "multiple_choice":
        codes = [c.code for c in view.choices]
        limit = view.max_selected or len(codes)
        return draw(st.lists(st.sampled_from(codes), min_size=1, max_size=limit, unique=True))
    if kind == "numeric":
        return str(draw(st.integers(0, 10)))
    return draw(st.text(alphabet="abc", min_size=1, max_size=5))


def _any_value(draw: st.DrawFn, view) -> object:
    choice = draw(st.integers(0, 9))
    if choice == 0:
        return None
    if choice == 1:
        return draw(st.text(max_size=6))
    if choice == 2:
        return ["zz"]
    return _valid_value(draw, view)


def _shown_questions_are_visible(definition, state, step) -> None:
    plan = plan_for(definition)
    env = AnswerEnv(plan, state.answers, state.specials, state.context, engine._today(T0))
    for view in step.questions:
        assert env.visible(plan.by_id[view.id]), f"{view.id} shown although its condition is false"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=definitions(), data=st.data(), channel=st.sampled_from(["web", "sms", "agent"]))
def test_random_interviews_never_crash_never_ask_hidden_questions_and_complete_correctly(
    document, data, channel
):
    assert errors_only(validate(document)) == []
    definition = parse_definition(document)
    state = engine.start(
        definition, context={}, language="en", channel=channel, seed=data.draw(st.integers(0, 99)), now=T0
    )
    backs = 0
    for turn in range(60):
        step = engine.next_step(definition, state)
        restored = InterviewState.from_dict(json.loads(json.dumps(state.to_dict())))
        assert engine.next_step(definition, restored) == step
        if step.done:
            assert engine.unanswered_required(definition, state) == []
            finished = engine.complete(definition, state, now=T0 + turn)
            assert finished.completed
            return
        _shown_questions_are_visible(definition, state, step)
        if step.can_go_back and backs < 5 and data.draw(st.integers(0, 9)) == 0:
            backs += 1
            state = engine.back(definition, state, now=T0 + turn)
            continue
        replies = {v.id: Reply(value=_any_value(data.draw, v)) for v in step.questions}
        result = engine.answer(definition, state, replies, now=T0 + turn)
        if result.errors:
            valid = {v.id: Reply(value=_valid_value(data.draw, v)) for v in step.questions}
            result = engine.answer(definition, result.state, valid, now=T0 + turn)
            assert not result.errors, result.errors
        state = result.state
    raise AssertionError("the interview did not finish within 60 turns")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=12,
)


@st.composite
def mutated_definitions(draw: st.DrawFn) -> dict[str, Any]:
    """Start from a valid definition and damage it in random places."""
    document = draw(definitions())
    page = draw(st.sampled_from(document["pages"]))
    question = draw(st.sampled_from(page["questions"]))
    key = draw(
        st.sampled_from(["type", "show_if", "options", "id", "scale", "text", "min", "constraint", "junk"])
    )
    question[key] = draw(json_values | st.sampled_from(["q99 > 1", "((", "__import__('os')", "x = = 1"]))
    if draw(st.booleans()):
        document[draw(st.sampled_from(["languages", "pages", "title", "id"]))] = draw(json_values)
    return document


@settings(max_examples=300, deadline=None)
@given(document=mutated_definitions() | st.dictionaries(st.text(max_size=8), json_values, max_size=5))
def test_validate_never_raises_and_every_problem_has_a_path(document):
    problems = validate(document)
    for problem in problems:
        assert problem.message
        assert problem.path, f"problem without a path: {problem}"


@settings(max_examples=100, deadline=None)
@given(document=json_values)
def test_validate_handles_documents_that_are_not_mappings(document):
    problems = validate(document)
    if not isinstance(document, dict):
        assert problems
        assert problems[0].message
