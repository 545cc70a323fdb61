"""A whole SMS interview through the signed webhook, in English and Chinese, equal to the web path."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import pytest
from flask_babel import force_locale

from channels.texts import text
from questionnaires.state import Reply
from survey_app.fieldwork.conversation import PAUSE_AFTER, welcome_back
from survey_app.surveys.models import Case
from tests.survey_app.fieldwork.twilio_fixtures import (
    TWILIO_CONFIG,
    add_phone_case,
    interview_of,
    library_document,
    make_phone_survey,
    post_signed,
    start_sms_interview,
    web_answers,
)

pytestmark = pytest.mark.app_config(**TWILIO_CONFIG)

_sids = iter(range(10**6))


def text_in(client, phone: str, body: str) -> str:
    """Send ``body`` from ``phone`` to the SMS webhook; return the reply texts (TwiML unwrapped)."""
    sid = f"SM{next(_sids):032d}"
    response = post_signed(
        client, "/webhooks/twilio/sms", {"MessageSid": sid, "From": phone, "To": "+14155550100", "Body": body}
    )
    assert response.status_code == 200, response.data
    assert response.mimetype == "application/xml"
    return html.unescape(response.get_data(as_text=True))


def test_whole_sms_interview_in_english_equals_the_web(client, db_session):
    survey = make_phone_survey(db_session, library_document("interviewer_rating"))
    phone = "+14155550111"
    case = add_phone_case(db_session, survey, phone, language="en")
    start_sms_interview(db_session, case)
    assert "interviewer to understand" in text_in(client, phone, "two")  # an English number word
    assert "courteous" in text_in(client, phone, "Easy")  # an option's words: 4
    reply = text_in(client, phone, "seven")  # out of range: the engine says what is allowed
    assert "from 1 to 5" in reply
    assert "length of the interview" in text_in(client, phone, "5")
    reply = text_in(client, phone, "maybe")  # not an option: re-prompt with the allowed replies
    assert text("err_choice", "en", low=1, high=3) in reply
    assert "What went wrong" in text_in(client, phone, "far too long")  # skip logic: problem page shown
    assert "quality team" in text_in(client, phone, "1, 3 and they were late")  # Other with its words
    assert "Thank you" in text_in(client, phone, "yes")
    interview = interview_of(db_session, case)
    assert interview is not None
    assert interview.completed_at is not None
    expected = web_answers(
        db_session,
        survey.id,
        "en",
        [
            {"ir_overall": "2", "ir_clear": "4", "ir_courteous": "5", "ir_length": "far_too_long"},
            {
                "ir_problem": Reply(
                    value=("hard_to_understand", "impolite", "other"), other_text="they were late"
                ),
                "ir_followup": "yes",
            },
        ],
    )
    assert interview.answers == expected


def test_whole_sms_interview_in_chinese_equals_the_web(client, db_session):
    survey = make_phone_survey(db_session, library_document("interviewer_rating"))
    phone = "+8613800138000"
    case = add_phone_case(db_session, survey, phone, language="zh-Hans")
    start_sms_interview(db_session, case)
    reply = text_in(client, phone, "很好吧")  # not a number: re-prompt in Chinese
    assert text("err_choice", "zh-Hans", low=1, high=5) in reply
    assert "容易听懂" in text_in(client, phone, "五")  # Chinese numeral
    assert "礼貌" in text_in(client, phone, "四分")  # "4 points"
    assert "时长" in text_in(client, phone, "非常礼貌")  # the option's words: 5
    reply = text_in(client, phone, "可以接受")  # the option's words; problem page skipped
    assert "谢谢" in reply
    interview = interview_of(db_session, case)
    assert interview is not None
    assert interview.completed_at is not None
    assert interview.language == "zh-Hans"
    expected = web_answers(
        db_session,
        survey.id,
        "zh-Hans",
        [{"ir_overall": "5", "ir_clear": "4", "ir_courteous": "5", "ir_length": "acceptable"}],
    )
    assert interview.answers == expected


def test_chinese_interview_through_the_problem_page(client, db_session):
    survey = make_phone_survey(db_session, library_document("interviewer_rating"))
    phone = "+8613800138001"
    case = add_phone_case(db_session, survey, phone, language="zh-Hans")
    start_sms_interview(db_session, case)
    for body in ("二", "３", "3", "太长了"):  # numeral, full-width digit, digit, option words
        text_in(client, phone, body)
    reply = text_in(client, phone, "一、三")  # several options in Chinese numerals
    assert "质检" in reply
    reply = text_in(client, phone, "也许")
    assert "是" in reply or "否" in reply  # the yes/no re-prompt, in Chinese
    assert "谢谢" in text_in(client, phone, "是")
    answers = interview_of(db_session, case).answers
    assert answers["ir_problem"] == ["hard_to_understand", "impolite"]
    assert answers["ir_followup"] is True
    assert answers["ir_overall"] == 2
    assert answers["ir_clear"] == 3


def test_help_and_repeat_during_an_interview(client, db_session):
    survey = make_phone_survey(db_session, library_document("interviewer_rating"))
    phone = "+14155550112"
    case = add_phone_case(db_session, survey, phone, language="zh-Hans")
    start_sms_interview(db_session, case)
    assert text("sms_help", "zh-Hans") in text_in(client, phone, "HELP")
    assert "满意" in text_in(client, phone, "重复")
    assert interview_of(db_session, case).answers == {}


def pause(db_session, case: Case, hours: float) -> None:
    """Make the interview's last activity ``hours`` older (instead of waiting)."""
    interview = interview_of(db_session, case)
    assert interview is not None
    interview.updated_at = interview.updated_at.replace(tzinfo=dt.UTC) - dt.timedelta(hours=hours)
    db_session.add(interview)
    db_session.commit()


def test_a_paused_interview_resumes_where_it_stopped(client, db_session):
    """No reply for longer than PAUSE_AFTER pauses the interview; the next text resumes it."""
    survey = make_phone_survey(db_session, library_document("interviewer_rating"))
    phone = "+14155550113"
    case = add_phone_case(db_session, survey, phone, language="en")
    start_sms_interview(db_session, case)
    text_in(client, phone, "4")
    text_in(client, phone, "4")
    pause(db_session, case, PAUSE_AFTER.total_seconds() / 3600 + 1)
    # Something that is no answer: they get the question they stopped at, nothing is lost.
    reply = text_in(client, phone, "hello, what was this about?")
    assert "Welcome back" in reply
    assert "courteous" in reply
    assert "Please" not in reply
    pause(db_session, case, PAUSE_AFTER.total_seconds() / 3600 + 1)
    reply = text_in(client, phone, "3")  # an answer: taken, with the greeting
    assert "Welcome back" in reply
    assert "length of the interview" in reply
    assert interview_of(db_session, case).answers == {"ir_overall": 4, "ir_clear": 4, "ir_courteous": 3}
    assert "Welcome back" not in text_in(client, phone, "1")  # no longer paused


def test_a_paused_chinese_interview_greets_in_chinese(client, db_session):
    survey = make_phone_survey(db_session, library_document("interviewer_rating"))
    phone = "+8613800138002"
    case = add_phone_case(db_session, survey, phone, language="zh-Hans")
    start_sms_interview(db_session, case)
    pause(db_session, case, 48)
    with client.application.test_request_context(), force_locale("zh_Hans"):
        greeting = welcome_back("zh-Hans")
    assert greeting != welcome_back("en")
    reply = text_in(client, phone, "你好")
    assert greeting in reply
    assert "满意" in reply


def test_texts_from_an_unknown_number_get_no_reply(client, db_session):
    reply = text_in(client, "+14155550199", "5")
    assert "<Message>" not in reply


def answer_to_length_question(client, db_session, language: str, phone: str, reply: str) -> tuple[str, Any]:
    """Walk to the single-choice length question (low ratings) and send ``reply`` to it."""
    survey = make_phone_survey(db_session, library_document("interviewer_rating"))
    case = add_phone_case(db_session, survey, phone, language=language)
    start_sms_interview(db_session, case)
    for body in ("1", "1", "1"):
        text_in(client, phone, body)
    return text_in(client, phone, reply), case


@pytest.mark.parametrize(
    ("language", "reply", "expected"),
    [
        ("en", "c", "far_too_long"),  # an option letter
        ("en", "B.", "bit_long"),
        ("zh-Hans", "Ｂ", "bit_long"),  # full-width letter
        ("en", "2", "bit_long"),  # a number
        ("zh-Hans", "三", "far_too_long"),  # a Chinese numeral
        ("zh-Hans", "有点太长", "bit_long"),  # the option's words in the respondent's language
        ("en", "A bit too long", "bit_long"),
    ],
)
def test_option_replies(client, db_session, language, reply, expected):
    _reply, case = answer_to_length_question(client, db_session, language, "+14155550114", reply)
    assert interview_of(db_session, case).answers["ir_length"] == expected


@pytest.mark.parametrize(("language", "reply"), [("en", "z"), ("en", "d"), ("zh-Hans", "也许吧")])
def test_invalid_option_replies_are_re_prompted_in_their_language(client, db_session, language, reply):
    answer, case = answer_to_length_question(client, db_session, language, "+14155550115", reply)
    assert text("err_choice", language, low=1, high=3) in answer
    assert "ir_length" not in interview_of(db_session, case).answers


def test_several_option_letters_on_a_multiple_choice_question(client, db_session):
    _reply, case = answer_to_length_question(client, db_session, "en", "+14155550116", "3")
    text_in(client, "+14155550116", "a, c")
    assert interview_of(db_session, case).answers["ir_problem"] == ["hard_to_understand", "impolite"]
