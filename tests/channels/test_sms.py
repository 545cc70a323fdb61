"""SMS: every kind of reply read into engine replies, messages kept to one segment."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from channels.base import Control, Inbound
from channels.sms import SmsChannel, SmsMessage
from questionnaires.answers import Parsed
from questionnaires.media import sms_segments
from questionnaires.state import Reply, Step
from tests.channels.helpers import (
    AGE,
    AMOUNT,
    COMMENT,
    FOLLOW_UP,
    GRID,
    INFO,
    LANGUAGES,
    NPS,
    RATING,
    REASONS,
    SATISFACTION,
    TYPICAL,
    engine_check,
    one,
    tr,
)

SMS = SmsChannel()
ALL: list[dict[str, Any]] = [*TYPICAL, AMOUNT, COMMENT]


def parse(definition: dict[str, Any], body: str, language: str = "en", *, opted_out: bool = False) -> Any:
    step = one(definition, language=language, channel="sms")
    return SMS.parse(step, Inbound(text=body, opted_out=opted_out), language)


ANSWERS = [
    # single choice: keys, full-width, Chinese numerals, labels in the respondent's language, specials
    (SATISFACTION, "en", "3", Reply(value="c3")),
    (SATISFACTION, "en", "３", Reply(value="c3")),
    (SATISFACTION, "en", " 3. ", Reply(value="c3")),
    (SATISFACTION, "zh-Hans", "三", Reply(value="c3")),
    (SATISFACTION, "en", "Very satisfied", Reply(value="c5")),
    (SATISFACTION, "en", "very SATISFIED!", Reply(value="c5")),
    (SATISFACTION, "zh-Hans", "非常满意", Reply(value="c5")),
    (SATISFACTION, "zh-Hant", "非常滿意", Reply(value="c5")),
    (SATISFACTION, "zh-Hant", "普通", Reply(value="c3")),
    (SATISFACTION, "en", "8", Reply(special="dont_know")),
    (SATISFACTION, "en", "DK", Reply(special="dont_know")),
    (SATISFACTION, "en", "don't know", Reply(special="dont_know")),
    (SATISFACTION, "zh-Hans", "不知道", Reply(special="dont_know")),
    (SATISFACTION, "en", "1 3", Reply(value=("c1", "c3"))),  # the engine says "only one"
    # NPS 0-10: 8 is a score, 88/99 the specials; Chinese numerals; labelled ends
    (NPS, "en", "10", Reply(value="10")),
    (NPS, "en", "１０", Reply(value="10")),
    (NPS, "zh-Hans", "十", Reply(value="10")),
    (NPS, "zh-Hans", "零", Reply(value="0")),
    (NPS, "zh-Hans", "两", Reply(value="2")),
    (NPS, "zh-Hans", "9分", Reply(value="9")),
    (NPS, "en", "8", Reply(value="8")),
    (NPS, "en", "88", Reply(special="dont_know")),
    (NPS, "en", "99", Reply(special="refused")),
    (NPS, "en", "Extremely likely", Reply(value="10")),
    (NPS, "zh-Hans", "完全不可能", Reply(value="0")),
    (NPS, "en", "11", Reply(value="11")),  # out of range: mapped, and the engine explains
    # labelled rating points
    (RATING, "en", "fast", Reply(value="4")),
    (RATING, "zh-Hans", "很快", Reply(value="5")),
    (RATING, "zh-Hans", "四", Reply(value="4")),
    # multiple choice: lists in every notation, labels, Other with its text
    (REASONS, "en", "1 3", Reply(value=("price", "staff"))),
    (REASONS, "en", "1,3", Reply(value=("price", "staff"))),
    (REASONS, "zh-Hans", "1、3", Reply(value=("price", "staff"))),
    (REASONS, "zh-Hans", "1，3", Reply(value=("price", "staff"))),
    (REASONS, "zh-Hans", "一、三", Reply(value=("price", "staff"))),
    (REASONS, "zh-Hans", "1和3", Reply(value=("price", "staff"))),
    (REASONS, "en", "13", Reply(value=("price", "staff"))),
    (REASONS, "en", "3 1 3", Reply(value=("staff", "price"))),
    (REASONS, "en", "Price, Staff", Reply(value=("price", "staff"))),
    (REASONS, "en", "waiting time", Reply(value=("wait",))),
    # option letters: the first, second... option, width and trailing punctuation folded
    (SATISFACTION, "en", "c", Reply(value="c3")),
    (SATISFACTION, "en", "B.", Reply(value="c2")),
    (SATISFACTION, "zh-Hans", "Ｅ", Reply(value="c5")),
    (REASONS, "en", "a, c", Reply(value=("price", "staff"))),
    (REASONS, "en", "a c", Reply(value=("price", "staff"))),
    (REASONS, "zh-Hans", "价格 员工", Reply(value=("price", "staff"))),
    (REASONS, "en", "1 3 6 parking", Reply(value=("price", "staff", "other"), other_text="parking")),
    (REASONS, "en", "6 no parking spaces", Reply(value=("other",), other_text="no parking spaces")),
    (REASONS, "en", "1 the parking", Reply(value=("price", "other"), other_text="the parking")),
    (REASONS, "en", "DK", Reply(special="dont_know")),
    # yes/no
    *[(FOLLOW_UP, "en", word, Reply(value="yes")) for word in ("yes", "Y", "1", "Yes.")],
    *[(FOLLOW_UP, "zh-Hans", word, Reply(value="yes")) for word in ("是", "是的", "对", "好的")],
    *[(FOLLOW_UP, "en", word, Reply(value="no")) for word in ("no", "N", "2", "nope")],
    *[(FOLLOW_UP, "zh-Hans", word, Reply(value="no")) for word in ("否", "不", "不是", "没有")],
    # numbers
    (AGE, "en", "35", Reply(value="35")),
    (AGE, "en", "３５", Reply(value="35")),
    (AGE, "zh-Hans", "35岁", Reply(value="35")),
    (AGE, "zh-Hans", "三十五", Reply(value="35")),
    (AGE, "en", "8", Reply(value="8")),  # a number here, not Don't know
    (AGE, "en", "refused", Reply(special="refused")),
    (AGE, "zh-Hans", "不愿回答", Reply(special="refused")),
    (AMOUNT, "en", "1,234.50", Reply(value="1234.50")),
    # dates
    *[
        (definition, "zh-Hans", written, Reply(value="2024-03-05"))
        for definition in [
            {"id": "d", "type": "date", "text": tr("When?", "何时？")},
        ]
        for written in (
            "2024-03-05",
            "2024/3/5",
            "2024.3.5",
            "2024年3月5日",
            "2024年3月5号",
            "二〇二四年三月五日",
        )
    ],
    # matrix: one value per row in order
    (GRID, "en", "4 5 3", Reply(value={"speed": "4", "care": "5", "price": "3"})),
    (GRID, "en", "453", Reply(value={"speed": "4", "care": "5", "price": "3"})),
    (GRID, "zh-Hans", "4、5、3", Reply(value={"speed": "4", "care": "5", "price": "3"})),
    (GRID, "zh-Hans", "四 五 三", Reply(value={"speed": "4", "care": "5", "price": "3"})),
    (GRID, "en", "DK", Reply(special="dont_know")),
    # free text as is (keywords aside)
    (COMMENT, "en", "  Great service, thanks!  ", Reply(value="Great service, thanks!")),
    (COMMENT, "en", "STOP PLEASE", Reply(value="STOP PLEASE")),
    (COMMENT, "zh-Hans", "不愿回答", Reply(special="refused")),
    (COMMENT, "en", "don't know", Reply(value="don't know")),  # Don't know is not offered here
]


@pytest.mark.parametrize(("definition", "language", "body", "expected"), ANSWERS)
def test_replies_map_to_engine_values(
    definition: dict[str, Any], language: str, body: str, expected: Reply
) -> None:
    parsed = parse(definition, body, language)
    assert parsed.ok, parsed.error
    assert parsed.replies == {definition["id"]: expected}


@pytest.mark.parametrize(
    ("definition", "body", "value"),
    [
        (SATISFACTION, "三", "c3"),
        (NPS, "十", 10),
        (REASONS, "3 1 6 parking", ("price", "staff", "other")),
        (FOLLOW_UP, "是", True),
        (FOLLOW_UP, "n", False),
        (AGE, "三十五岁", 35),
        ({"id": "d", "type": "date", "text": "When?"}, "2024年3月5日", "2024-03-05"),
        (GRID, "453", {"speed": 4, "care": 5, "price": 3}),
    ],
)
def test_the_engine_accepts_what_the_adapter_maps(definition: dict[str, Any], body: str, value: Any) -> None:
    parsed = parse(definition, body, "zh-Hans")
    result = engine_check(definition, parsed.replies[definition["id"]], "sms", "zh-Hans")
    assert isinstance(result, Parsed)
    assert result.value == value


def test_out_of_range_and_several_options_are_left_to_the_engine() -> None:
    assert engine_check(NPS, parse(NPS, "11").replies["nps"], "sms") == ["out_of_scale"]
    assert engine_check(SATISFACTION, parse(SATISFACTION, "1 3").replies["sat"], "sms") == ["one_option_only"]


@pytest.mark.parametrize(
    ("body", "opted_out", "control"),
    [
        ("STOP", False, Control.STOP),
        ("stop", False, Control.STOP),
        ("退订", False, Control.STOP),
        ("TD", False, Control.STOP),
        ("CANCEL", False, Control.STOP),
        ("START", False, Control.START),
        ("YES", True, Control.START),
        ("HELP", False, Control.HELP),
        ("info", False, Control.HELP),
        ("BACK", False, Control.BACK),
        ("返回", False, Control.BACK),
        ("上一题", False, Control.BACK),
        ("?", False, Control.REPEAT),
        ("？", False, Control.REPEAT),
        ("重复", False, Control.REPEAT),
    ],
)
def test_keywords_and_navigation_words_are_controls(body: str, opted_out: bool, control: Control) -> None:
    parsed = parse(FOLLOW_UP, body, opted_out=opted_out)
    assert parsed.control is control
    assert not parsed.replies


def test_yes_answers_a_yes_no_question_unless_the_sender_opted_out() -> None:
    assert parse(FOLLOW_UP, "YES").replies == {"follow": Reply(value="yes")}
    assert parse(FOLLOW_UP, "YES", opted_out=True).control is Control.START


def test_stop_please_is_not_a_keyword() -> None:
    parsed = parse(SATISFACTION, "STOP PLEASE")
    assert parsed.control is None
    assert parsed.error is not None


def test_skip_sends_an_empty_answer() -> None:
    assert parse(COMMENT, "skip").replies == {"comment": Reply()}
    assert parse(COMMENT, "跳过", "zh-Hans").replies == {"comment": Reply()}


@pytest.mark.parametrize(
    ("definition", "language", "body", "error"),
    [
        (SATISFACTION, "en", "7", "Please reply with a number from 1 to 5. Or 8 for Don't know."),
        (SATISFACTION, "zh-Hans", "7", "请回复 1 到 5 之间的数字。“不知道”请回复 8。"),
        (SATISFACTION, "zh-Hant", "好吧", "請回覆 1 到 5 之間的數字。「不知道」請回覆 8。"),
        (
            SATISFACTION,
            "en",
            "1 because it was late",
            "Please reply with a number from 1 to 5. Or 8 for Don't know.",
        ),
        (
            NPS,
            "en",
            "great",
            "Please reply with a number from 0 to 10. Or 88 for Don't know. Or 99 for Prefer not to say.",
        ),
        (REASONS, "en", "1 8", "“Don't know” cannot be combined with other options."),
        (REASONS, "en", "1 7", "Please reply with numbers from 1 to 6, e.g. 1 2. Or 8 for Don't know."),
        (FOLLOW_UP, "en", "maybe", "Please answer yes or no."),
        (FOLLOW_UP, "zh-Hans", "也许", "请回答“是”或“否”。"),
        (AGE, "en", "old", 'Please enter a number, for example 12. Or reply "Prefer not to say".'),
        (AGE, "zh-Hans", "很老", "请输入数字，例如 12。或回复“不愿回答”。"),
        (
            {"id": "d", "type": "date", "text": "When?"},
            "en",
            "5/3/2024",
            "Please enter a date as YYYY-MM-DD, for example 2024-03-31.",
        ),
        (
            GRID,
            "en",
            "4 5",
            'Please reply with 3 numbers from 1 to 5, one per item, e.g. 1 2 3. Or reply "Don\'t know".',
        ),
        (GRID, "zh-Hans", "4 5 9", "请按顺序回复 3 个 1 到 5 之间的数字，如：1 2 3。或回复“不知道”。"),
        (SATISFACTION, "en", "", "Please reply with a number from 1 to 5. Or 8 for Don't know."),
    ],
)
def test_unreadable_replies_get_a_reprompt_saying_what_is_allowed(
    definition: dict[str, Any], language: str, body: str, error: str
) -> None:
    parsed = parse(definition, body, language)
    assert parsed.error == error
    assert not parsed.replies
    assert parsed.control is None


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("definition", ALL, ids=lambda d: d["id"])
def test_typical_questions_fit_one_segment(definition: dict[str, Any], language: str) -> None:
    message = SMS.render(one(definition, language=language), language)
    assert isinstance(message, SmsMessage)
    assert message.segments == 1 == sms_segments(message.text)
    assert message.text.startswith(one(definition, language=language).questions[0].text)
    assert message.expects_reply


def test_english_messages_stay_in_gsm7() -> None:
    for definition in ALL:
        assert SMS.render(one(definition), "en").encoding == "GSM-7"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "How satisfied are you with our service?\n1 Very dissatisfied\n2 Dissatisfied\n3 Neutral\n"
         "4 Satisfied\n5 Very satisfied\n8 Don't know\nReply with a number."),
        ("zh-Hans", "您对我们的服务满意吗？\n1 非常不满意\n2 不满意\n3 一般\n4 满意\n5 非常满意\n"
         "8 不知道\n请回复数字。"),
        ("zh-Hant", "您對我們的服務滿意嗎？\n1 非常不滿意\n2 不滿意\n3 普通\n4 滿意\n5 非常滿意\n"
         "8 不知道\n請回覆數字。"),
    ],
)  # fmt: skip
def test_options_are_listed_with_their_keys(language: str, expected: str) -> None:
    assert SMS.render(one(SATISFACTION, language=language), language).text == expected


def test_nps_lists_the_range_and_its_ends() -> None:
    text = SMS.render(one(NPS), "en").text
    assert text.endswith(
        "88 Don't know\n99 Prefer not to say\nReply 0-10 (0=Not at all likely, 10=Extremely likely)."
    )


def test_long_options_fall_back_to_keys_only() -> None:
    labels = [
        "非常不满意，服务很差",
        "不太满意，有待改进",
        "一般，没有特别的感觉",
        "比较满意，总体不错",
        "非常满意，超出预期",
    ]
    definition = {
        "id": "long",
        "type": "single_choice",
        "text": "请问您对本次维修服务的总体满意程度如何？",
        "options": [{"code": str(i), "label": label} for i, label in enumerate(labels, 1)],
    }
    message = SMS.render(one(definition, language="zh-Hans"), "zh-Hans")
    assert message.segments == 1
    assert message.text == "请问您对本次维修服务的总体满意程度如何？\n请回复1-5。"


def test_too_long_even_with_keys_only_keeps_the_labels() -> None:
    definition = {"id": "q", "type": "yes_no", "text": "很长的问题" * 20}
    message = SMS.render(one(definition, language="zh-Hans"), "zh-Hans")
    assert message.segments > 1
    assert message.text.endswith("请回复“是”或“否”。")


def test_sms_text_is_sent_as_written() -> None:
    definition = {
        **SATISFACTION,
        "variants": {"sms": {"text": tr("Rate us 1-5 (8=DK)", "请打分1-5（8=不知道）")}},
    }
    assert SMS.render(one(definition, language="zh-Hans"), "zh-Hans").text == "请打分1-5（8=不知道）"


def test_statements_and_the_end_expect_no_reply() -> None:
    info = SMS.render(one(INFO, language="zh-Hans"), "zh-Hans")
    assert (info.text, info.expects_reply) == ("感谢您的帮助。", False)
    done = SMS.render(Step(done=True, key="done"), "zh-Hant")
    assert (done.text, done.expects_reply) == ("謝謝！調查已完成。", False)
    assert SMS.parse(one(INFO), Inbound(text="ok"), "en").replies == {}


def test_help_message_adds_the_question_help() -> None:
    definition = {**SATISFACTION, "help": tr("Think of your last visit.", "请回想您最近一次到访。")}
    text = SMS.help_message(one(definition, language="zh-Hans"), "zh-Hans").text
    assert text == "请回想您最近一次到访。\n请回复答案前的数字。回复“返回”修改上一题，回复TD退订。"


@settings(max_examples=300, deadline=None)
@given(
    body=st.text(max_size=60), index=st.integers(min_value=0, max_value=len(ALL) - 1), opted_out=st.booleans()
)
def test_parse_never_raises_and_the_engine_never_chokes(body: str, index: int, opted_out: bool) -> None:
    definition = ALL[index]
    parsed = parse(definition, body, "zh-Hans", opted_out=opted_out)
    assert (parsed.error is not None) + (parsed.control is not None) + bool(parsed.replies) <= 1
    for reply in parsed.replies.values():
        engine_check(definition, reply, "sms", "zh-Hans")


@settings(max_examples=200, deadline=None)
@given(body=st.text(alphabet="0123456789 ,、，和一二三四五六七八九十两零DKdk不知道", max_size=12))
def test_number_like_replies_never_raise(body: str) -> None:
    for definition in (SATISFACTION, NPS, REASONS, GRID, AGE):
        parse(definition, body, "zh-Hans")


def test_a_letter_beyond_the_options_or_an_option_named_by_a_letter_is_not_a_letter_key() -> None:
    # Five options: "f" names none of them, so it is read as text and re-prompted.
    assert parse(SATISFACTION, "f").error
    lettered = {
        "id": "grade",
        "type": "single_choice",
        "text": tr("Grade?", "等级？", "等級？"),
        "options": [
            {"code": "g1", "label": tr("A", "A", "A")},
            {"code": "g2", "label": tr("B", "B", "B")},
        ],
    }
    # "b" is the label of the second option here, and the label wins.
    assert parse(lettered, "b").replies == {"grade": Reply(value="g2")}
