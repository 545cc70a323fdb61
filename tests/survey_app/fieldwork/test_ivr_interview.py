"""Automated interview calls through the signed voice webhook, in English and Mandarin, equal to the web."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from sqlmodel import select

from channels.texts import text
from questionnaires.state import Reply
from survey_app.fieldwork.models import AttemptState, ContactAttempt, ProcessedWebhook
from survey_app.fieldwork.voice import MAX_REPEATS
from survey_app.respond.operations import start_interview, submit_page
from survey_app.surveys.models import Interview
from survey_app.surveys.queries import get_questionnaire
from tests.survey_app.fieldwork.twilio_fixtures import (
    NOW,
    TWILIO_CONFIG,
    Call,
    add_attempt,
    add_phone_case,
    interview_of,
    library_document,
    make_phone_survey,
    public_url,
    web_answers,
)

TWILIO = pytest.mark.app_config(**TWILIO_CONFIG)
pytestmark = TWILIO
IVR_PLAN = [{"channel": "ivr", "day": 0, "kind": "interview"}]
_sids = itertools.count(1)


def outbound_call(client, db_session, phone: str, language: str) -> tuple[Call, str, Any]:
    """A case with an IVR attempt, and the call Twilio makes for it: (call, start URL, case)."""
    survey = make_phone_survey(db_session, library_document("interviewer_rating"), steps=IVR_PLAN)
    case = add_phone_case(db_session, survey, phone, language=language)
    attempt = add_attempt(db_session, case, channel="ivr")
    call = Call(client, f"CA{next(_sids):032d}", caller=phone)
    return call, public_url("/webhooks/twilio/voice", {"attempt": attempt.idempotency_key}), case


def test_whole_ivr_interview_in_english_equals_the_web(client, db_session):
    call, url, case = outbound_call(client, db_session, "+14155550160", "en")
    call.answer(url)
    assert "four quick questions" in call.spoken()  # the introduction
    assert text("ivr_consent", "en") in call.spoken()
    assert interview_of(db_session, case) is None  # nothing stored before consent
    call.press("1")
    assert "Overall, how satisfied" in call.spoken()
    say = call.gather().find("Say")
    assert say is not None
    assert (say.attrib["voice"], say.attrib["language"]) == ("Polly.Joanna", "en-US")
    assert call.gather().attrib["input"] == "dtmf"
    call.press("2")
    call.silence()  # no input: the question again, after "we did not get your answer"
    assert text("ivr_no_input", "en") in call.spoken()
    assert "How easy was the interviewer" in call.spoken()
    call.press("4")
    call.press("*")  # star repeats
    assert "courteous" in call.spoken()
    call.press("5")
    call.press("3")
    assert "What went wrong" in call.spoken()
    gather = call.gather()
    assert gather.attrib["input"] == "dtmf speech"  # speech is configured for this question
    assert gather.attrib["language"] == "en-US"
    call.press("13")
    assert "quality team" in call.spoken()
    call.press("1")
    assert "Your answers help us" in call.spoken()  # the questionnaire's thank-you
    assert call.hung_up()
    interview = interview_of(db_session, case)
    assert interview is not None
    assert interview.completed_at is not None
    assert interview.channel == "ivr"
    expected = web_answers(
        db_session,
        case.survey_id,
        "en",
        [
            {"ir_overall": "2", "ir_clear": "4", "ir_courteous": "5", "ir_length": "far_too_long"},
            {"ir_problem": ("hard_to_understand", "impolite"), "ir_followup": "yes"},
        ],
    )
    assert interview.answers == expected


def test_whole_ivr_interview_in_mandarin_equals_the_web(client, db_session):
    call, url, case = outbound_call(client, db_session, "+8613800138010", "zh-Hans")
    call.answer(url)
    assert "感谢您参与调查" in call.spoken()
    assert text("ivr_consent", "zh-Hans") in call.spoken()
    call.say("好的")  # consent by voice
    say = call.gather().find("Say")
    assert say is not None
    assert (say.attrib["voice"], say.attrib["language"]) == ("Polly.Zhiyu", "cmn-CN")
    assert "总体而言" in call.spoken()
    call.press("9")  # not a key of this question: which keys are possible, in Mandarin
    assert "1" in call.spoken()
    assert "5" in call.spoken()
    assert "总体而言" in call.spoken()
    call.press("1")
    call.press("5")
    call.press("2")
    call.press("1")
    assert "出现了哪些问题" in call.spoken()
    assert call.gather().attrib["language"] == "cmn-Hans-CN"
    call.say("说话难以听懂（口音、语速等）")  # an option's words, spoken
    call.press("2")
    assert "谢谢您" in call.spoken()
    assert call.hung_up()
    interview = interview_of(db_session, case)
    assert interview is not None
    assert interview.language == "zh-Hans"
    expected = web_answers(
        db_session,
        case.survey_id,
        "zh-Hans",
        [
            {"ir_overall": "1", "ir_clear": "5", "ir_courteous": "2", "ir_length": "acceptable"},
            {"ir_problem": Reply(value=("hard_to_understand",)), "ir_followup": "no"},
        ],
    )
    assert interview.answers == expected


def test_repeated_no_input_ends_with_goodbye(client, db_session):
    call, url, case = outbound_call(client, db_session, "+14155550161", "en")
    call.answer(url)
    call.press("1")
    for _ in range(MAX_REPEATS):  # the question is said again MAX_REPEATS times
        call.silence()
        assert not call.hung_up()
    call.silence()
    assert call.hung_up()
    assert text("ivr_goodbye", "en") in call.spoken()
    assert interview_of(db_session, case).answers == {}


def test_declining_consent_says_goodbye_and_stores_nothing(client, db_session):
    call, url, case = outbound_call(client, db_session, "+14155550162", "zh-Hans")
    call.answer(url)
    call.press("2")
    assert call.hung_up()
    assert text("ivr_goodbye", "zh-Hans") in call.spoken()
    assert interview_of(db_session, case) is None


def test_a_retried_step_is_answered_once(client, db_session):
    call, url, case = outbound_call(client, db_session, "+14155550163", "en")
    call.answer(url)
    call.press("1")
    action = call.gather().attrib["action"]
    first = call.fetch(action, Digits="4")
    again = call.fetch(action, Digits="4")  # Twilio retries the same request
    assert ET.tostring(first) == ET.tostring(again)
    assert interview_of(db_session, case).answers == {"ir_overall": 4}
    call.press("3")
    assert interview_of(db_session, case).answers == {"ir_overall": 4, "ir_clear": 3}
    markers = db_session.exec(select(ProcessedWebhook.key)).all()
    assert len(markers) == len(set(markers)) == 4


def test_answering_machine_is_hung_up_on_by_default(client, db_session):
    call, url, case = outbound_call(client, db_session, "+14155550164", "en")
    call.answer(url, answered_by="machine_start")
    assert call.hung_up()
    assert call.spoken() == ""
    rows = _attempts(db_session, case)
    assert [(a.state, a.error_code) for a in rows] == [(AttemptState.failed, "answering_machine")]
    assert interview_of(db_session, case) is None


@pytest.mark.app_config(**TWILIO_CONFIG, SURVEY_IVR_ON_MACHINE="message")
@pytest.mark.parametrize(("language", "words"), [("en", "short survey"), ("zh-Hans", "调查")])
def test_answering_machine_gets_a_message_when_configured(client, db_session, language, words):
    call, url, case = outbound_call(client, db_session, "+14155550165", language)
    call.answer(url, answered_by="machine_end_beep")
    assert words in call.spoken()
    assert call.hung_up()
    rows = _attempts(db_session, case)
    assert [(a.state, a.error_code) for a in rows] == [(AttemptState.failed, "machine_message")]


def _attempts(db_session, case):
    db_session.expire_all()
    return db_session.exec(select(ContactAttempt).where(ContactAttempt.case_id == case.id)).all()


def test_an_inbound_call_finds_the_callers_case(client, db_session):
    survey = make_phone_survey(db_session, library_document("interviewer_rating"), steps=IVR_PLAN)
    phone = "+8613800138011"
    case = add_phone_case(db_session, survey, phone, language="zh-Hans", first_name="小明")
    call = Call(client, f"CA{next(_sids):032d}", caller=phone, inbound=True)
    call.answer(public_url("/webhooks/twilio/voice"))
    assert "小明" in call.spoken()  # the case's own introduction
    call.press("1")
    call.press("4")
    interview = interview_of(db_session, case)
    assert interview is not None
    assert interview.answers == {"ir_overall": 4}
    assert interview.channel == "ivr"


def test_an_inbound_call_from_an_unknown_number_is_told_so(client, db_session):
    call = Call(client, f"CA{next(_sids):032d}", caller="+14155550199", inbound=True)
    call.answer(public_url("/webhooks/twilio/voice"))
    assert "no survey waiting" in call.spoken()
    assert call.hung_up()
    assert db_session.exec(select(Interview)).all() == []


def test_an_inbound_call_continues_an_interview_started_on_the_web(client, db_session):
    survey = make_phone_survey(db_session, library_document("interviewer_rating"), steps=IVR_PLAN)
    phone = "+14155550166"
    case = add_phone_case(db_session, survey, phone, language="en")
    questionnaire = get_questionnaire(db_session, survey.version_id)
    interview = start_interview(
        db_session, survey, questionnaire, case=case, channel="web", language="en", now=NOW
    )
    page = {"ir_overall": "1", "ir_clear": "2", "ir_courteous": "2", "ir_length": "bit_long"}
    submit_page(
        db_session,
        survey,
        interview,
        questionnaire,
        step_key=str(interview.step_key),
        replies=page,
        go_back=False,
        now=NOW,
    )
    call = Call(client, f"CA{next(_sids):032d}", caller=phone, inbound=True)
    call.answer(public_url("/webhooks/twilio/voice"))
    call.silence()  # no answer to the consent question: the introduction again
    assert text("ivr_consent", "en") in call.spoken()
    call.press("1")
    assert "What went wrong" in call.spoken()  # one question at a time, where the web left off
    call.press("2")
    call.press("1")
    assert call.hung_up()
    stored = interview_of(db_session, case)
    assert stored is not None
    assert stored.completed_at is not None
    assert stored.answers == web_answers(
        db_session, survey.id, "en", [page, {"ir_problem": ("rushed",), "ir_followup": "yes"}]
    )


def test_traditional_chinese_callers_hear_a_taiwanese_mandarin_voice(client, db_session):
    call, url, _case = outbound_call(client, db_session, "+886912345678", "zh-Hant")
    call.answer(url)
    say = call.gather().find("Say")
    assert say is not None
    assert (say.attrib["voice"], say.attrib["language"]) == ("Google.cmn-TW-Standard-A", "cmn-TW")
    assert "感謝您參與調查" in call.spoken()
    assert call.gather().attrib["language"] == "cmn-Hant-TW"  # consent may be spoken
