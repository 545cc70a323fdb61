"""Automated calls: keypad and speech answers, spoken prompts, TwiML built with the Twilio SDK."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from channels.base import Control, Inbound
from channels.ivr import (
    VOICES,
    IvrChannel,
    IvrPrompt,
    Voice,
    parse_consent,
    twiml_goodbye,
    twiml_intro,
    twiml_message,
    twiml_question,
    voice_for,
)
from questionnaires.answers import Parsed
from questionnaires.state import Reply, Step
from tests.channels.helpers import (
    AGE,
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

IVR = IvrChannel()
DATE: dict[str, Any] = {
    "id": "visit",
    "type": "date",
    "text": tr("When did you visit us?", "您何时到访？", "您何時到訪？"),
}


def parse(definition: dict[str, Any], language: str = "en", **inbound: Any) -> Any:
    return IVR.parse(one(definition, language=language, channel="ivr"), Inbound(**inbound), language)


def render(definition: dict[str, Any], language: str = "en") -> IvrPrompt:
    return IVR.render(one(definition, language=language, channel="ivr"), language)


@pytest.mark.parametrize(
    ("definition", "digits", "expected"),
    [
        (SATISFACTION, "3", Reply(value="c3")),
        (SATISFACTION, "3#", Reply(value="c3")),
        (SATISFACTION, "8", Reply(special="dont_know")),
        (RATING, "5", Reply(value="5")),
        (NPS, "0", Reply(value="0")),  # 0 is an answer, never a control
        (NPS, "7", Reply(value="7")),
        (NPS, "10", Reply(value="10")),
        (NPS, "88", Reply(special="dont_know")),
        (NPS, "99", Reply(special="refused")),
        (NPS, "12", Reply(value="12")),  # the engine reports the range
        (FOLLOW_UP, "1", Reply(value="yes")),
        (FOLLOW_UP, "2", Reply(value="no")),
        (REASONS, "13", Reply(value=("price", "staff"))),
        (REASONS, "313", Reply(value=("staff", "price"))),
        (REASONS, "1*3", Reply(value=("price", "staff"))),
        (REASONS, "8", Reply(special="dont_know")),
        (AGE, "35", Reply(value="35")),
        (AGE, "8", Reply(value="8")),
        (AGE, "*9", Reply(special="refused")),
        (DATE, "20240305", Reply(value="2024-03-05")),
        (GRID, "453", Reply(value={"speed": "4", "care": "5", "price": "3"})),
        (GRID, "*8", Reply(special="dont_know")),
        (COMMENT, "*9", Reply(special="refused")),
    ],
)
def test_keys_map_to_engine_values(definition: dict[str, Any], digits: str, expected: Reply) -> None:
    parsed = parse(definition, digits=digits)
    assert parsed.ok, parsed.error
    assert parsed.replies == {definition["id"]: expected}


@pytest.mark.parametrize(
    ("definition", "digits", "value"),
    [(NPS, "10", 10), (FOLLOW_UP, "2", False), (REASONS, "31", ("price", "staff")), (AGE, "35", 35),
     (DATE, "20240305", "2024-03-05"), (GRID, "453", {"speed": 4, "care": 5, "price": 3})],
)  # fmt: skip
def test_the_engine_accepts_keypad_answers(definition: dict[str, Any], digits: str, value: Any) -> None:
    result = engine_check(definition, parse(definition, digits=digits).replies[definition["id"]], "ivr")
    assert isinstance(result, Parsed)
    assert result.value == value


@pytest.mark.parametrize(
    ("definition", "language", "digits", "error"),
    [
        (SATISFACTION, "en", "7", "Sorry, please press a number from 1 to 5."),
        (SATISFACTION, "zh-Hans", "6", "抱歉，请按 1 到 5 之间的数字。"),
        (FOLLOW_UP, "zh-Hant", "3", "抱歉，請按 1 到 2 之間的數字。"),
        (REASONS, "en", "19", "Sorry, please press a number from 1 to 5."),
        (REASONS, "en", "6", "Sorry, please press a number from 1 to 5."),  # Other is not on the keypad
        (DATE, "en", "2024", "Sorry, please enter 8 digits, then press the pound key."),
        (GRID, "zh-Hans", "45", "抱歉，请输入 3 位数字，然后按井号键。"),
        (COMMENT, "en", "12", "Sorry, please say your answer."),
    ],
)
def test_unusable_keys_get_a_spoken_reprompt(
    definition: dict[str, Any], language: str, digits: str, error: str
) -> None:
    parsed = parse(definition, language, digits=digits)
    assert parsed.error == error
    assert not parsed.replies


def test_star_and_silence_repeat_the_question() -> None:
    assert parse(SATISFACTION, digits="*").control is Control.REPEAT
    assert parse(SATISFACTION).control is Control.REPEAT
    assert parse(SATISFACTION, digits="", speech="  ").control is Control.REPEAT


def test_a_statement_moves_on_without_input() -> None:
    parsed = parse(INFO)
    assert parsed.ok
    assert parsed.replies == {}


@pytest.mark.parametrize(
    ("definition", "language", "speech", "expected"),
    [
        (SATISFACTION, "en", "Very satisfied.", Reply(value="c5")),
        (SATISFACTION, "zh-Hans", "非常满意", Reply(value="c5")),
        (SATISFACTION, "zh-Hans", "三", Reply(value="c3")),
        (NPS, "en", "ten", Reply(value="10")),
        (FOLLOW_UP, "zh-Hant", "是的", Reply(value="yes")),
        (COMMENT, "en", "The staff were friendly.", Reply(value="The staff were friendly.")),
    ],
)
def test_speech_is_read_like_an_sms_reply(
    definition: dict[str, Any], language: str, speech: str, expected: Reply
) -> None:
    assert parse(definition, language, speech=speech).replies == {definition["id"]: expected}


def test_unreadable_speech_gets_the_keypad_reprompt() -> None:
    assert parse(SATISFACTION, speech="purple").error == "Sorry, please press a number from 1 to 5."
    assert parse(SATISFACTION, speech="back").control is Control.BACK


@pytest.mark.parametrize(
    ("language", "voice", "say_language", "speech_language"),
    [
        ("en", "Polly.Joanna", "en-US", "en-US"),
        ("zh-Hans", "Polly.Zhiyu", "cmn-CN", "cmn-Hans-CN"),
        ("zh-Hant", "Google.cmn-TW-Standard-A", "cmn-TW", "cmn-Hant-TW"),
        ("zh-TW", "Google.cmn-TW-Standard-A", "cmn-TW", "cmn-Hant-TW"),
        ("zh", "Polly.Zhiyu", "cmn-CN", "cmn-Hans-CN"),
        ("fr", "Polly.Joanna", "en-US", "en-US"),
    ],
)
def test_voice_table(language: str, voice: str, say_language: str, speech_language: str) -> None:
    assert voice_for(language) == Voice(voice, say_language, speech_language)


@pytest.mark.parametrize(
    ("definition", "language", "prompt"),
    [
        (SATISFACTION, "en", "How satisfied are you with our service? For Very dissatisfied, press 1. "
         "For Dissatisfied, press 2. For Neutral, press 3. For Satisfied, press 4. "
         "For Very satisfied, press 5. For Don't know, press 8."),
        (SATISFACTION, "zh-Hans", "您对我们的服务满意吗？非常不满意请按1，不满意请按2，一般请按3，满意请按4，"
         "非常满意请按5。不知道请按8。"),
        (FOLLOW_UP, "zh-Hant", "我們可以就您的回答聯繫您嗎？是請按1，否請按2。"),
        (NPS, "zh-Hans", "您向朋友推荐我们的可能性有多大？请输入 0 到 10 之间的数字，然后按井号键。"
         "0 表示完全不可能，10 表示极有可能。不知道请按88，不愿回答请按99。"),
        (AGE, "en", "How old are you? Please enter the number on your keypad, then press the pound key. "
         "For Prefer not to say, press star 9."),
        (GRID, "en", "Please rate each. For each of the following, press a number from 1 to 5: "
         "Speed, Care, Price. Press one digit for each, then press the pound key. "
         "For Don't know, press star 8."),
    ],
)  # fmt: skip
def test_generated_prompts_say_which_keys_to_press(
    definition: dict[str, Any], language: str, prompt: str
) -> None:
    assert render(definition, language).text == prompt


def test_ivr_prompt_is_spoken_as_written() -> None:
    definition = {
        **SATISFACTION,
        "variants": {"ivr": {"prompt": tr("Rate us from 1 to 5.", "请按1到5打分。")}},
    }
    assert render(definition, "zh-Hans").text == "请按1到5打分。"


@pytest.mark.parametrize(
    ("definition", "input_", "num_digits", "finish_on_key"),
    [
        (SATISFACTION, "dtmf", 1, None),
        (FOLLOW_UP, "dtmf", 1, None),
        (NPS, "dtmf", 2, "#"),
        (REASONS, "dtmf", None, "#"),
        (AGE, "dtmf", None, "#"),  # *9 must fit, so no fixed length
        ({"id": "n", "type": "numeric", "max": 120, "text": "Age?"}, "dtmf", 3, "#"),
        (DATE, "dtmf", 8, "#"),
        (COMMENT, "dtmf speech", None, "#"),
    ],
)
def test_gather_spec(
    definition: dict[str, Any], input_: str, num_digits: int | None, finish_on_key: str | None
) -> None:
    gather = render(definition).gather
    assert gather is not None
    assert (gather.input, gather.num_digits, gather.finish_on_key) == (input_, num_digits, finish_on_key)


def test_prompts_of_typical_questions_stay_short() -> None:
    for language in LANGUAGES:
        for definition in TYPICAL:
            assert render(definition, language).seconds < 40


def _xml(twiml: str) -> ET.Element:
    return ET.fromstring(twiml)


def test_twiml_question_says_inside_gather_then_repeats_on_no_input() -> None:
    root = _xml(twiml_question(render(NPS, "zh-Hans"), "https://example.org/ivr/answer?i=1&s=2"))
    assert root.tag == "Response"
    assert [child.tag for child in root] == ["Gather", "Say", "Redirect"]
    gather, no_input, redirect = list(root)
    assert gather.attrib == {
        "action": "https://example.org/ivr/answer?i=1&s=2",
        "method": "POST",
        "input": "dtmf",
        "numDigits": "2",
        "finishOnKey": "#",
        "timeout": "5",
    }
    (say,) = list(gather)
    assert say.tag == "Say"
    assert say.attrib == {"voice": "Polly.Zhiyu", "language": "cmn-CN"}
    assert say.text is not None
    assert say.text.startswith("您向朋友推荐我们的可能性有多大？")
    assert no_input.attrib == {"voice": "Polly.Zhiyu", "language": "cmn-CN"}
    assert no_input.text == "抱歉，我们没有收到您的回答。"
    assert redirect.text == "https://example.org/ivr/answer?i=1&s=2"
    assert redirect.attrib == {"method": "POST"}


def test_twiml_question_with_speech_sets_the_recognition_language() -> None:
    definition = {
        **SATISFACTION,
        "variants": {"ivr": {"prompt": tr("Rate us.", "请打分。", "請評分。"), "speech": True}},
    }
    root = _xml(twiml_question(render(definition, "zh-Hant"), "/a", repeat_url="/q"))
    gather = root.find("Gather")
    assert gather is not None
    assert gather.attrib["input"] == "dtmf speech"
    assert gather.attrib["language"] == "cmn-Hant-TW"
    assert gather.attrib["speechTimeout"] == "auto"
    assert "非常滿意" in gather.attrib["hints"]
    say = gather.find("Say")
    assert say is not None
    assert say.attrib == {"voice": "Google.cmn-TW-Standard-A", "language": "cmn-TW"}
    redirect = root.find("Redirect")
    assert redirect is not None
    assert redirect.text == "/q"


def test_twiml_escapes_what_it_says() -> None:
    definition = {"id": "q", "type": "yes_no", "text": "Is 1 < 2 & 3 > 2?"}
    twiml = twiml_question(render(definition), "/a")
    assert "Is 1 &lt; 2 &amp; 3 &gt; 2?" in twiml
    say = _xml(twiml).find("Gather/Say")
    assert say is not None
    assert say.text is not None
    assert say.text.startswith("Is 1 < 2 & 3 > 2?")


def test_a_statement_is_said_then_the_call_moves_on() -> None:
    prompt = render(INFO)
    assert prompt.gather is None
    assert not prompt.expects_reply
    root = _xml(twiml_question(prompt, "/next"))
    assert [child.tag for child in root] == ["Say", "Redirect"]


def test_the_end_of_the_interview_says_goodbye() -> None:
    prompt = IVR.render(Step(done=True, key="done"), "zh-Hans")
    assert (prompt.text, prompt.gather, prompt.expects_reply) == ("感谢您的参与，再见。", None, False)


def test_twiml_intro_asks_consent() -> None:
    root = _xml(twiml_intro("Hello, this is Acme <Research>.", "en", "/consent"))
    gather = root.find("Gather")
    assert gather is not None
    assert gather.attrib["numDigits"] == "1"
    assert gather.attrib["action"] == "/consent"
    says = [say.text for say in gather.findall("Say")]
    assert says == [
        "Hello, this is Acme <Research>.",
        "To start the survey, press 1. If you do not want to take part, press 2. "
        "During the survey, press star to hear a question again.",
    ]
    assert [child.tag for child in root] == ["Gather", "Say", "Redirect"]


@pytest.mark.parametrize(
    ("inbound", "expected"),
    [
        (Inbound(digits="1"), True),
        (Inbound(digits="2"), False),
        (Inbound(speech="yes"), True),
        (Inbound(speech="不要"), False),
        (Inbound(digits="5"), None),
        (Inbound(), None),
    ],
)
def test_parse_consent(inbound: Inbound, expected: bool | None) -> None:
    assert parse_consent(inbound) is expected


def test_twiml_message_and_goodbye() -> None:
    root = _xml(twiml_message("请稍候。", "zh-Hans", hangup=False))
    assert [child.tag for child in root] == ["Say"]
    say = root.find("Say")
    assert say is not None
    assert say.attrib == {"voice": "Polly.Zhiyu", "language": "cmn-CN"}
    root = _xml(twiml_goodbye("en"))
    assert [child.tag for child in root] == ["Say", "Hangup"]
    assert root.findtext("Say") == "Thank you for your time. Goodbye."
    assert _xml(twiml_goodbye("zh-Hant", "謝謝！")).findtext("Say") == "謝謝！"


def test_voices_can_be_replaced() -> None:
    voices = {**VOICES, "en": Voice("Polly.Matthew", "en-US", "en-US")}
    assert IvrChannel(voices).render(one(SATISFACTION, channel="ivr"), "en").voice.voice == "Polly.Matthew"


def test_ten_options_need_two_digits_and_the_pound_key() -> None:
    options = [{"code": f"o{i}", "label": f"Shop {i}"} for i in range(1, 11)]
    definition = {"id": "shop", "type": "single_choice", "text": "Which shop?", "options": options}
    prompt = render(definition)
    assert prompt.text.endswith("For Shop 10, press 10. Then press the pound key.")
    assert prompt.gather is not None
    assert (prompt.gather.num_digits, prompt.gather.finish_on_key) == (2, "#")
    assert parse(definition, digits="1").replies == {"shop": Reply(value="o1")}
    assert parse(definition, digits="10").replies == {"shop": Reply(value="o10")}


@settings(max_examples=200, deadline=None)
@given(
    digits=st.text(alphabet="0123456789*#", max_size=10),
    speech=st.text(max_size=30),
    index=st.integers(min_value=0, max_value=len(TYPICAL)),
)
def test_parse_never_raises(digits: str, speech: str, index: int) -> None:
    definition = [*TYPICAL, COMMENT][index]
    for parsed in (parse(definition, "zh-Hans", digits=digits), parse(definition, "zh-Hans", speech=speech)):
        for reply in parsed.replies.values():
            engine_check(definition, reply, "ivr", "zh-Hans")
