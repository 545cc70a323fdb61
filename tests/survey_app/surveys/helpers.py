"""Helpers of the survey and results tests: a published bilingual version, surveys and interviews."""

from __future__ import annotations

import copy
import datetime as dt
import secrets
from typing import Any

from sqlmodel import Session

from questionnaires import engine
from questionnaires.definition import parse_definition
from questionnaires.state import Reply
from survey_app.db import utcnow
from survey_app.designs.models import QuestionnaireRecord, QuestionnaireVersion
from survey_app.surveys.models import Case, Interview, InterviewSource, Survey
from survey_app.surveys.tokens import new_token, token_hash


def tr(en: str, zh: str) -> dict[str, str]:
    return {"en": en, "zh-Hans": zh}


DOCUMENT: dict[str, Any] = {
    "id": "results_test",
    "title": tr("Results test", "结果测试"),
    "languages": ["en", "zh-Hans"],
    "pages": [
        {
            "id": "p1",
            "questions": [
                {
                    "id": "sat",
                    "type": "rating",
                    "required": True,
                    "text": tr("How satisfied are you?", "您满意吗？"),
                    "scale": {
                        "points": 5,
                        "low_label": tr("Not at all", "很不满意"),
                        "high_label": tr("Very", "非常满意"),
                    },
                },
                {
                    "id": "nps",
                    "type": "nps",
                    "text": tr("Recommend us?", "您会推荐我们吗？"),
                    "special": ["dont_know"],
                },
            ],
        },
        {
            "id": "p2",
            "questions": [
                {
                    "id": "plan",
                    "type": "single_choice",
                    "text": tr("Which plan?", "哪个套餐？"),
                    "options": [
                        {"code": "basic", "label": tr("Basic", "基础")},
                        {"code": "pro", "label": tr("Pro", "专业")},
                    ],
                },
                {
                    "id": "channels",
                    "type": "multiple_choice",
                    "text": tr("Which channels?", "哪些渠道？"),
                    "options": [
                        {"code": "web", "label": tr("Web", "网站")},
                        {"code": "phone", "label": tr("Phone", "电话")},
                    ],
                    "other": {"label": tr("Other", "其他")},
                },
                {"id": "again", "type": "yes_no", "text": tr("Buy again?", "会再买吗？")},
                {
                    "id": "grid",
                    "type": "matrix",
                    "text": tr("Rate each", "逐项评分"),
                    "items": [
                        {"code": "speed", "label": tr("Speed", "速度")},
                        {"code": "price", "label": tr("Price", "价格")},
                    ],
                    "scale": {"points": 5},
                },
                {"id": "age", "type": "numeric", "min": 18, "max": 99, "text": tr("Your age?", "您的年龄？")},
                {"id": "comment", "type": "long_text", "text": tr("Anything else?", "还有什么？")},
            ],
        },
    ],
}


def make_version(
    db_session: Session,
    document: dict[str, Any] | None = None,
    *,
    number: int = 1,
    record: QuestionnaireRecord | None = None,
) -> QuestionnaireVersion:
    """A published version (and its questionnaire record unless given)."""
    document = copy.deepcopy(document or DOCUMENT)
    if record is None:
        record = QuestionnaireRecord(
            key=f"{document['id']}_{secrets.token_hex(3)}",
            title=document["title"]["en"],
            stakeholder_group="end_customer",
            draft=document,
        )
        db_session.add(record)
        db_session.flush()
    version = QuestionnaireVersion(questionnaire_id=record.id, number=number, document=document)
    db_session.add(version)
    db_session.commit()
    return version


def make_survey(db_session: Session, version: QuestionnaireVersion | None = None, **fields: Any) -> Survey:
    """An open survey of ``version`` (a new one by default) in English and Simplified Chinese."""
    version = version or make_version(db_session)
    values: dict[str, Any] = {
        "name": "Customer survey 2026",
        "version_id": version.id,
        "stakeholder_group": "end_customer",
        "languages": ["en", "zh-Hans"],
        "default_language": "en",
        "opens_at": utcnow() - dt.timedelta(days=1),
        "closes_at": utcnow() + dt.timedelta(days=30),
    }
    survey = Survey(**{**values, **fields})
    db_session.add(survey)
    db_session.commit()
    return survey


def make_interview(
    db_session: Session,
    survey: Survey,
    pages: list[dict[str, Any]],
    *,
    complete: bool = True,
    source: InterviewSource = InterviewSource.personal,
    is_test: bool = False,
    language: str = "en",
) -> Interview:
    """Run ``pages`` of replies through the engine and store the interview as the web channel does."""
    version = db_session.get(QuestionnaireVersion, survey.version_id)
    questionnaire = parse_definition(version.document)
    case = None
    if source == InterviewSource.personal:
        case = Case(survey_id=survey.id, token_hash=token_hash(new_token()), is_test=is_test)
        db_session.add(case)
        db_session.flush()
    now = utcnow().timestamp()
    state = engine.start(questionnaire, context={}, language=language, channel="web", seed=1, now=now)
    for replies in pages:
        result = engine.answer(questionnaire, state, replies, now=now + 30)
        assert not result.errors, result.errors
        state = result.state
    if complete:
        state = engine.complete(questionnaire, state, now=now + 60)
    interview = Interview(
        survey_id=survey.id,
        case_id=case.id if case else None,
        version_id=survey.version_id,
        source=source,
        channel="web",
        language=language,
        status=engine.interview_status(
            questionnaire, state, partial_threshold=survey.partial_threshold
        ).value,
        state=state.to_dict(),
        step_key=engine.next_step(questionnaire, state).key,
        answers=engine.final_answers(questionnaire, state),
        completed_at=utcnow() if complete else None,
    )
    db_session.add(interview)
    db_session.commit()
    return interview


FULL = [
    {"sat": "5", "nps": "10"},
    {
        "plan": "pro",
        "channels": Reply(value=["web", "other"], other_text="微信"),
        "again": "yes",
        "grid": {"speed": "4", "price": "2"},
        "age": "40",
        "comment": "=SUM(A1) 很好",
    },
]


def full_pages(**changes: Any) -> list[dict[str, Any]]:
    """The two pages of a complete interview, page 2 with ``changes``; ``sat``/``nps`` go on page 1."""
    first = dict(FULL[0])
    second = dict(FULL[1])
    for key, value in changes.items():
        (first if key in first else second)[key] = value
    return [first, second]


def special(kind: str) -> Reply:
    return Reply(special=kind)


def other(codes: list[str], text: str) -> Reply:
    return Reply(value=codes, other_text=text)
