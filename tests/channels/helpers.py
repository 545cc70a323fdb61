"""Building real QuestionViews and Steps for channel tests, without the interview engine.

The engine's Renderer only needs a Questionnaire and an InterviewState, so the views are exactly
what the engine would hand a channel (localised texts, keys, specials for the channel).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from questionnaires.answers import parse_reply
from questionnaires.definition import Question, parse_definition
from questionnaires.render import Renderer
from questionnaires.state import InterviewState, QuestionView, Reply, Step


def tr(en: str, zh: str, zh_hant: str | None = None) -> dict[str, str]:
    return {"en": en, "zh-Hans": zh, "zh-Hant": zh_hant or zh}


LANGUAGES = ["en", "zh-Hans", "zh-Hant"]


def view(
    question: dict[str, Any],
    *,
    language: str = "en",
    channel: str = "sms",
    answers: dict[str, Any] | None = None,
    specials: dict[str, str] | None = None,
    other_texts: dict[str, str] | None = None,
) -> QuestionView:
    """Render ``question`` (a definition dict) as the engine would for ``channel``."""
    questionnaire = parse_definition(
        {"id": "t", "title": "T", "languages": LANGUAGES, "pages": [{"id": "p", "questions": [question]}]}
    )
    state = InterviewState(
        questionnaire_id="t",
        version="1",
        language=language,
        channel=channel,
        seed=7,
        context={},
    ).with_changes(answers=answers or {}, specials=specials or {}, other_texts=other_texts or {})
    return Renderer(questionnaire, state).view(questionnaire.questions()[0])


def step(*views: QuestionView) -> Step:
    return Step(done=False, questions=views, page_id="p", key="0:" + ",".join(v.id for v in views))


def one(question: dict[str, Any], **kwargs: Any) -> Step:
    return step(view(question, **kwargs))


def _options(*labels: dict[str, str]) -> list[dict[str, Any]]:
    return [{"code": f"c{i}", "label": label} for i, label in enumerate(labels, 1)]


SATISFACTION: dict[str, Any] = {
    "id": "sat",
    "type": "single_choice",
    "required": True,
    "text": tr("How satisfied are you with our service?", "您对我们的服务满意吗？", "您對我們的服務滿意嗎？"),
    "options": _options(
        tr("Very dissatisfied", "非常不满意", "非常不滿意"),
        tr("Dissatisfied", "不满意", "不滿意"),
        tr("Neutral", "一般", "普通"),
        tr("Satisfied", "满意", "滿意"),
        tr("Very satisfied", "非常满意", "非常滿意"),
    ),
    "special": ["dont_know"],
}
NPS: dict[str, Any] = {
    "id": "nps",
    "type": "nps",
    "required": True,
    "text": tr(
        "How likely are you to recommend us to a friend?",
        "您向朋友推荐我们的可能性有多大？",
        "您向朋友推薦我們的可能性有多大？",
    ),
    "scale": {
        "points": 11,
        "start": 0,
        "low_label": tr("Not at all likely", "完全不可能", "完全不可能"),
        "high_label": tr("Extremely likely", "极有可能", "極有可能"),
    },
    "special": ["dont_know", "refused"],
}
RATING: dict[str, Any] = {
    "id": "speed",
    "type": "rating",
    "text": tr("How quick was our response?", "我们的响应速度如何？", "我們的回應速度如何？"),
    "scale": {
        "points": 5,
        "labels": {
            "1": tr("Very slow", "很慢", "很慢"),
            "2": tr("Slow", "慢", "慢"),
            "3": tr("OK", "一般", "普通"),
            "4": tr("Fast", "快", "快"),
            "5": tr("Very fast", "很快", "很快"),
        },
    },
}
REASONS: dict[str, Any] = {
    "id": "why",
    "type": "multiple_choice",
    "text": tr("What disappointed you?", "哪些方面让您失望？", "哪些方面讓您失望？"),
    "options": [
        {"code": "price", "label": tr("Price", "价格", "價格")},
        {"code": "quality", "label": tr("Quality", "质量", "品質")},
        {"code": "staff", "label": tr("Staff", "员工", "員工")},
        {"code": "wait", "label": tr("Waiting time", "等待时间", "等待時間")},
        {"code": "none", "label": tr("None of these", "都没有", "都沒有"), "exclusive": True},
    ],
    "other": {"code": "other", "label": tr("Other", "其他", "其他")},
    "special": ["dont_know"],
}
FOLLOW_UP: dict[str, Any] = {
    "id": "follow",
    "type": "yes_no",
    "required": True,
    "text": tr(
        "May we contact you about your answers?",
        "我们可以就您的回答联系您吗？",
        "我們可以就您的回答聯繫您嗎？",
    ),
}
AGE: dict[str, Any] = {
    "id": "age",
    "type": "numeric",
    "min": 18,
    "max": 99,
    "text": tr("How old are you?", "您的年龄是？", "您的年齡是？"),
    "special": ["refused"],
}
AMOUNT: dict[str, Any] = {
    "id": "amount",
    "type": "numeric",
    "decimals": 2,
    "text": tr("How much did you pay?", "您支付了多少钱？", "您支付了多少錢？"),
}
VISIT: dict[str, Any] = {
    "id": "visit",
    "type": "date",
    "min_date": "2020-01-01",
    "text": tr("When did you visit us?", "您何时到访？", "您何時到訪？"),
}
COMMENT: dict[str, Any] = {
    "id": "comment",
    "type": "long_text",
    "max_length": 500,
    "text": tr(
        "Anything else you would like to tell us?", "您还有什么想告诉我们的吗？", "您還有什麼想告訴我們的嗎？"
    ),
    "special": ["refused"],
    "variants": {"agent": {"probe": tr("Anything else?", "还有吗？", "還有嗎？"), "read_options": False}},
}
GRID: dict[str, Any] = {
    "id": "grid",
    "type": "matrix",
    "required": True,
    "text": tr("Please rate each", "请逐项评分", "請逐項評分"),
    "items": [
        {"code": "speed", "label": tr("Speed", "速度", "速度")},
        {"code": "care", "label": tr("Care", "关怀", "關懷")},
        {"code": "price", "label": tr("Price", "价格", "價格")},
    ],
    "scale": {"points": 5},
    "special": ["dont_know"],
}
INFO: dict[str, Any] = {
    "id": "hello",
    "type": "info",
    "text": tr("Thank you for helping us.", "感谢您的帮助。", "感謝您的幫助。"),
}
TYPICAL: list[dict[str, Any]] = [SATISFACTION, NPS, RATING, REASONS, FOLLOW_UP, AGE, VISIT, GRID]


def question(definition: dict[str, Any]) -> Question:
    """Return the definition model of ``definition`` (for checking replies with the engine's rules)."""
    questionnaire = parse_definition(
        {"id": "t", "title": "T", "languages": LANGUAGES, "pages": [{"id": "p", "questions": [definition]}]}
    )
    return questionnaire.questions()[0]


def engine_check(definition: dict[str, Any], reply: Reply, channel: str, language: str = "en") -> Any:
    """Run ``reply`` through the engine's answer rules; return the Parsed result or the problem codes."""
    result = parse_reply(question(definition), reply, channel, language, dt.date(2025, 1, 1))
    if isinstance(result, list):
        return [p.code for p in result]
    return result
