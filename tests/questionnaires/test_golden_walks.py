"""Golden walks: every library questionnaire, in English and Simplified Chinese, two respondents each.

A golden file holds the answers given, the path the engine took (question ids and their texts as
shown, so translations and piping are covered), the final stored answers, the status and the alerts.
Replaying the answers must reproduce the file exactly. After an intended change, regenerate with
``SURVEY_UPDATE_GOLDEN=1 pytest tests/questionnaires/test_golden_walks.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from questionnaires import engine
from questionnaires.documents import load_questionnaire
from questionnaires.state import QuestionView

LIBRARY = Path(__file__).resolve().parents[2] / "questionnaires" / "library"
GOLDEN = Path(__file__).resolve().parent / "golden"
T0 = 1_767_225_600.0
CONTACT = {
    "first_name": "Lin",
    "name": "Lin Wei",
    "product": "Fibre 500",
    "event_type": "support_case_closed",
    "case_id": "C-1024",
    "region": "north",
    "department": "IT",
    "company": "Acme",
    "agency": "Bureau",
}
CASES = [
    (path.stem, language, mood)
    for path in sorted(LIBRARY.glob("*.yaml"))
    for language in ("en", "zh-Hans")
    for mood in ("unhappy", "delighted")
]


def choose(view: QuestionView, mood: str) -> Any:
    """A deterministic answer: the lowest choices for an unhappy respondent, the highest otherwise."""
    low = mood == "unhappy"
    codes = [c.code for c in view.choices if not c.exclusive]
    if view.type == "matrix":
        return {item.code: (codes[0] if low else codes[-1]) for item in view.items}
    if view.type in ("single_choice", "rating", "nps"):
        return codes[0] if low else codes[-1]
    if view.type == "multiple_choice":
        return [codes[0]] if low else [codes[-1]]
    if view.type == "yes_no":
        return "yes" if low else "no"
    if view.type == "numeric":
        bound = view.min if low else view.max
        return str(int(bound) if bound is not None else (1 if low else 10))
    if view.type == "date":
        return "2025-12-15"  # before the interview date (T0): "today" bounds apply
    return "Billing errors every month" if low else "All good"


def walk(name: str, language: str, mood: str, given: dict[str, Any] | None) -> dict[str, Any]:
    q = load_questionnaire(LIBRARY / f"{name}.yaml")
    state = engine.start(q, context=CONTACT, language=language, channel="web", seed=11, now=T0)
    answers: dict[str, Any] = {}
    path: list[list[str]] = []
    for turn in range(100):
        step = engine.next_step(q, state)
        if step.done:
            state = engine.complete(q, state, now=T0 + turn)
            return {
                "answers": answers,
                "path": path,
                "final": engine.final_answers(q, state),
                "status": engine.interview_status(q, state).value,
                "alerts": engine.triggered_alerts(q, state),
                "thank_you": step.thank_you,
            }
        replies = {}
        for view in step.questions:
            path.append([view.id, view.text])
            if view.type != "info":
                replies[view.id] = given[view.id] if given is not None else choose(view, mood)
                answers[view.id] = replies[view.id]
        result = engine.answer(q, state, replies, now=T0 + turn)
        assert not result.errors, result.errors
        state = result.state
    raise AssertionError("walk did not finish")


@pytest.mark.parametrize(("name", "language", "mood"), CASES)
def test_golden_walk(name: str, language: str, mood: str) -> None:
    golden = GOLDEN / f"{name}.{language}.{mood}.json"
    if os.environ.get("SURVEY_UPDATE_GOLDEN") == "1" or not golden.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"missing golden file {golden.name}: generate it locally and commit it")
        GOLDEN.mkdir(exist_ok=True)
        golden.write_text(
            json.dumps(walk(name, language, mood, None), ensure_ascii=False, indent=1) + "\n",
            encoding="utf-8",
        )
    expected = json.loads(golden.read_text(encoding="utf-8"))
    assert walk(name, language, mood, expected["answers"]) == expected
    if mood == "unhappy":
        assert expected["alerts"], "a very dissatisfied respondent must raise an alert"
        assert expected["status"] == "complete"
