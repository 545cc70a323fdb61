"""Interviewer scripts: wording, instructions, keys and flags; console fields read like web forms."""

from __future__ import annotations

from typing import Any

import pytest

from channels.agent import AgentChannel, AgentFlag, AgentScript
from channels.base import Control, Inbound
from questionnaires.state import Reply, Step
from tests.channels.helpers import (
    AGE,
    COMMENT,
    FOLLOW_UP,
    GRID,
    INFO,
    NPS,
    REASONS,
    SATISFACTION,
    one,
    step,
    tr,
    view,
)

AGENT = AgentChannel()


def render(definition: dict[str, Any], language: str = "en", **kwargs: Any) -> AgentScript:
    return AGENT.render(one(definition, language=language, channel="agent", **kwargs), language)


@pytest.mark.parametrize(
    ("definition", "flags"),
    [
        (SATISFACTION, {AgentFlag.REQUIRED, AgentFlag.READ_OPTIONS, AgentFlag.SPECIALS}),
        (NPS, {AgentFlag.REQUIRED, AgentFlag.READ_OPTIONS, AgentFlag.SCALE, AgentFlag.SPECIALS}),
        (REASONS, {AgentFlag.READ_OPTIONS, AgentFlag.MULTIPLE, AgentFlag.OTHER, AgentFlag.SPECIALS}),
        (FOLLOW_UP, {AgentFlag.REQUIRED, AgentFlag.READ_OPTIONS}),
        (AGE, {AgentFlag.NUMERIC, AgentFlag.SPECIALS}),
        (GRID, {AgentFlag.REQUIRED, AgentFlag.READ_OPTIONS, AgentFlag.MATRIX, AgentFlag.SPECIALS}),
        (COMMENT, {AgentFlag.OPEN, AgentFlag.SPECIALS, AgentFlag.PROBE}),
        (INFO, {AgentFlag.INFO}),
    ],
)
def test_flags(definition: dict[str, Any], flags: set[AgentFlag]) -> None:
    assert render(definition).questions[0].flags == flags


def test_agent_wording_and_instructions_come_first() -> None:
    definition = {
        **SATISFACTION,
        "variants": {
            "agent": {
                "text": tr("And how satisfied are you with our service?", "那么，您对我们的服务满意吗？"),
                "instructions": tr("Stress 'overall'.", "强调“总体”。"),
                "read_options": False,
            }
        },
    }
    question = render(definition, "zh-Hans").questions[0]
    assert question.say == "那么，您对我们的服务满意吗？"
    assert question.instructions == (
        "强调“总体”。",
        "不要读出选项，按受访者的回答编码。",
        "不要读出：不知道。仅在受访者主动表示时记录。",
    )
    assert AgentFlag.DO_NOT_READ_OPTIONS in question.flags
    assert not any(option.read_out for option in question.options)


def test_options_keep_their_keys_and_specials_use_letters() -> None:
    question = render(NPS).questions[0]
    assert [(o.code, o.key) for o in question.options] == [(str(v), str(v)) for v in range(11)]
    assert [(s.code, s.label, s.key, s.read_out) for s in question.specials] == [
        ("dont_know", "Don't know", "D", False),
        ("refused", "Prefer not to say", "R", False),
    ]
    assert (question.scale_min, question.scale_max, question.low_label) == (0, 10, "Not at all likely")


def test_multiple_choice_script() -> None:
    question = render(REASONS, "zh-Hant").questions[0]
    assert question.say == "哪些方面讓您失望？"
    assert question.instructions == (
        "請讀出選項。",
        "可複選。",
        "如回答不在選項中，請選「其他」並記錄原話。",
        "不要讀出：不知道。僅在受訪者主動表示時記錄。",
    )
    assert question.other is not None
    assert (question.other.code, question.other.key) == ("other", "6")
    assert [o.exclusive for o in question.options] == [False, False, False, False, True]


def test_probe_and_prefill_after_going_back() -> None:
    question = render(COMMENT, "zh-Hans", answers={"comment": "很好"}).questions[0]
    assert question.probe == "还有吗？"
    assert question.current == "很好"
    assert AgentFlag.PREFILLED in question.flags
    special = render(AGE, specials={"age": "refused"}).questions[0]
    assert special.current_special == "refused"
    assert AgentFlag.PREFILLED in special.flags


def test_script_text_and_end() -> None:
    script = render(SATISFACTION)
    assert script.text == "How satisfied are you with our service?"
    assert script.expects_reply
    done = AGENT.render(Step(done=True, key="done"), "en")
    assert (done.questions, done.expects_reply) == ((), False)


def test_console_fields_are_read_like_a_web_form() -> None:
    page = step(view(REASONS, channel="agent"), view(AGE, channel="agent"))
    parsed = AGENT.parse(
        page, Inbound(fields={"why": ["price", "other"], "why__other": ["parking"], "age": ["42"]}), "en"
    )
    assert parsed.replies == {
        "why": Reply(value=("price", "other"), other_text="parking"),
        "age": Reply(value="42"),
    }
    assert AGENT.parse(page, Inbound(fields={"_action": ["back"]}), "en").control is Control.BACK
    special = AGENT.parse(one(SATISFACTION, channel="agent"), Inbound(fields={"sat": ["__dont_know"]}), "en")
    assert special.replies == {"sat": Reply(special="dont_know")}
