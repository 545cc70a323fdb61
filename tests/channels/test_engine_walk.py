"""Whole interviews through the real engine, one per channel: render, parse, answer, until done."""

from __future__ import annotations

from typing import Any

import pytest

from channels.agent import AgentChannel
from channels.base import Control, Inbound
from channels.ivr import IvrChannel
from channels.sms import SmsChannel
from channels.web import WebChannel, make_step_form
from questionnaires import engine
from questionnaires.definition import Questionnaire, parse_definition
from questionnaires.state import InterviewState
from tests.channels.helpers import tr

T0 = 1_767_225_600.0


def document() -> dict[str, Any]:
    return {
        "id": "walk",
        "title": tr("Service survey", "服务调查"),
        "languages": ["en", "zh-Hans", "zh-Hant"],
        "pages": [
            {
                "id": "p1",
                "questions": [
                    {
                        "id": "hello",
                        "type": "info",
                        "text": tr("Thank you for helping us.", "感谢您的帮助。"),
                    },
                    {
                        "id": "sat",
                        "type": "rating",
                        "required": True,
                        "text": tr("Overall satisfaction?", "总体满意度？"),
                        "scale": {
                            "points": 5,
                            "low_label": tr("Very bad", "很差"),
                            "high_label": tr("Great", "很好"),
                        },
                        "special": ["dont_know"],
                    },
                    {
                        "id": "why",
                        "type": "multiple_choice",
                        "required": True,
                        "show_if": "sat <= 3",
                        "text": tr("What disappointed you?", "哪些方面让您失望？"),
                        "options": [
                            {"code": "price", "label": tr("Price", "价格")},
                            {"code": "quality", "label": tr("Quality", "质量")},
                            {"code": "staff", "label": tr("Staff", "员工")},
                        ],
                        "other": {"code": "other", "label": tr("Other", "其他")},
                    },
                    {
                        "id": "nps",
                        "type": "nps",
                        "required": True,
                        "text": tr("Recommend us?", "推荐我们吗？"),
                    },
                ],
            },
            {
                "id": "p2",
                "questions": [
                    {
                        "id": "follow",
                        "type": "yes_no",
                        "required": True,
                        "text": tr("Follow up?", "需要回访吗？"),
                    },
                    {"id": "when", "type": "date", "show_if": "follow", "text": tr("When?", "何时？")},
                    {"id": "age", "type": "numeric", "min": 18, "max": 99, "text": tr("Age?", "年龄？")},
                ],
            },
        ],
    }


@pytest.fixture(scope="module")
def questionnaire() -> Questionnaire:
    return parse_definition(document())


def begin(q: Questionnaire, channel: str, language: str) -> InterviewState:
    return engine.start(q, context={}, language=language, channel=channel, seed=3, now=T0)


def converse(
    q: Questionnaire, channel: Any, state: InterviewState, inbound: Inbound
) -> tuple[InterviewState, Any]:
    """One turn: parse what came in for the current step and apply it; return the new state and the parse."""
    step = engine.next_step(q, state)
    parsed = channel.parse(step, inbound, state.language)
    if parsed.control is Control.BACK:
        return engine.back(q, state, now=T0 + 1), parsed
    if not parsed.ok:
        return state, parsed
    result = engine.answer(q, state, parsed.replies, now=T0 + 1)
    assert result.accepted, result.errors
    return result.state, parsed


def test_sms_interview_in_chinese(questionnaire: Questionnaire) -> None:
    sms = SmsChannel()
    state = begin(questionnaire, "sms", "zh-Hans")
    step = engine.next_step(questionnaire, state)
    assert not sms.render(step, "zh-Hans").expects_reply  # the greeting is a statement
    state, _ = converse(questionnaire, sms, state, Inbound(text=""))
    prompt = sms.render(engine.next_step(questionnaire, state), "zh-Hans").text
    assert prompt == "总体满意度？\n8 不知道\n请回复1-5（1=很差，5=很好）。"
    state, _ = converse(questionnaire, sms, state, Inbound(text="二"))
    assert sms.render(engine.next_step(questionnaire, state), "zh-Hans").text.startswith(
        "哪些方面让您失望？\n1 价格"
    )
    state, _ = converse(questionnaire, sms, state, Inbound(text="返回"))
    assert engine.next_step(questionnaire, state).questions[0].id == "sat"
    state, _ = converse(questionnaire, sms, state, Inbound(text="2"))
    state, _ = converse(questionnaire, sms, state, Inbound(text="1、4 停车太难"))
    step = engine.next_step(questionnaire, state)
    # a score out of range is mapped, and the engine explains in the interview language
    result = engine.answer(
        questionnaire, state, sms.parse(step, Inbound(text="11"), "zh-Hans").replies, now=T0
    )
    assert [e.message for e in result.errors] == ["请选择 0 到 10 之间的数值。"]
    for reply in ("十", "是", "2024年3月5日", "三十五岁"):
        state, _ = converse(questionnaire, sms, state, Inbound(text=reply))
    assert engine.next_step(questionnaire, state).done
    state = engine.complete(questionnaire, state, now=T0 + 2)
    assert engine.final_answers(questionnaire, state) == {
        "sat": 2,
        "why": ["price", "other"],
        "why_other": "停车太难",
        "nps": 10,
        "follow": True,
        "when": "2024-03-05",
        "age": 35,
    }


def test_ivr_interview_on_the_keypad(questionnaire: Questionnaire) -> None:
    ivr = IvrChannel()
    state = begin(questionnaire, "ivr", "en")
    state, _ = converse(questionnaire, ivr, state, Inbound())  # the statement was heard
    state, parsed = converse(questionnaire, ivr, state, Inbound(digits="*"))
    assert parsed.control is Control.REPEAT
    for digits in ("4", "9", "2", "42"):
        state, _ = converse(questionnaire, ivr, state, Inbound(digits=digits))
    assert engine.next_step(questionnaire, state).done
    assert engine.final_answers(questionnaire, state) == {"sat": 4, "nps": 9, "follow": False, "age": 42}


@pytest.mark.parametrize("channel", [WebChannel(), AgentChannel()], ids=["web", "agent"])
def test_page_interview_through_form_fields(questionnaire: Questionnaire, channel: Any) -> None:
    answers = {
        "sat": ["__dont_know"],
        "nps": ["7"],
        "follow": ["yes"],
        "when": ["2025-01-02"],
        "age": ["30"],
    }
    state = begin(questionnaire, channel.name, "zh-Hant")
    seen: list[list[str]] = []
    while not (step := engine.next_step(questionnaire, state)).done:
        seen.append([q.id for q in step.questions])
        fields = {name: value for name, value in answers.items() if any(q.id == name for q in step.questions)}
        make_step_form(step, "zh-Hant", fields)  # the page can be shown again with what was sent
        state, _ = converse(questionnaire, channel, state, Inbound(fields=fields))
    assert engine.final_answers(questionnaire, state) == {
        "sat": {"special": "dont_know"},
        "nps": 7,
        "follow": True,
        "when": "2025-01-02",
        "age": 30,
    }
    if channel.name == "web":
        assert seen == [["hello", "sat"], ["nps"], ["follow"], ["when", "age"]]
