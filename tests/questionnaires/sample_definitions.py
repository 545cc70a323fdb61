"""Definitions shared by the engine tests: small, but with every feature the engine must handle."""

from __future__ import annotations

from typing import Any


def tr(en: str, zh: str) -> dict[str, str]:
    return {"en": en, "zh-Hans": zh}


def rich_document() -> dict[str, Any]:
    return {
        "id": "rich",
        "version": 3,
        "title": tr("Rich test", "综合测试"),
        "stakeholder_group": "end_customer",
        "languages": ["en", "zh-Hans"],
        "contact_fields": ["first_name", "segment"],
        "alerts": [{"id": "unhappy", "when": "sat <= 2", "message": tr("Offer a follow-up", "请提供回访")}],
        "pages": [
            {
                "id": "p1",
                "title": tr("About you", "关于您"),
                "questions": [
                    {"id": "intro", "type": "info", "text": tr("Hello {first_name}", "{first_name}，您好")},
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
                        "randomize": True,
                        "max_selected": 3,
                        "options": [
                            {"code": "price", "label": tr("Price", "价格")},
                            {"code": "quality", "label": tr("Quality", "质量")},
                            {"code": "staff", "label": tr("Staff", "员工")},
                            {"code": "wait", "label": tr("Waiting", "等待")},
                            {"code": "none", "label": tr("None", "都没有"), "fixed": True, "exclusive": True},
                        ],
                        "other": {"code": "other", "label": tr("Other", "其他")},
                    },
                    {"id": "nps", "type": "nps", "required": True, "text": tr("Recommend?", "推荐？")},
                ],
            },
            {
                "id": "p2",
                "questions": [
                    {
                        "id": "detail",
                        "type": "long_text",
                        "show_if": "selected(why, 'quality')",
                        "text": tr(
                            "You said {answer:why}. Tell us more.", "您提到{answer:why}，请详细说明。"
                        ),
                        "max_length": 50,
                    },
                    {
                        "id": "age",
                        "type": "numeric",
                        "min": 18,
                        "max": 99,
                        "text": tr("Age?", "年龄？"),
                        "constraint": "value != 50",
                        "constraint_message": tr("Not fifty", "不能是五十"),
                    },
                    {"id": "top_box", "type": "calculate", "calculation": "if(sat = 5, 1, 0)"},
                    {
                        "id": "follow",
                        "type": "yes_no",
                        "required": True,
                        "text": tr("Follow up?", "需要回访吗？"),
                    },
                    {
                        "id": "when",
                        "type": "date",
                        "show_if": "follow",
                        "text": tr("When?", "何时？"),
                        "min_date": "2020-01-01",
                    },
                ],
            },
            {
                "id": "p3",
                "show_if": "contact.segment = 'vip'",
                "questions": [
                    {
                        "id": "grid",
                        "type": "matrix",
                        "required": True,
                        "text": tr("Rate each", "请逐项评分"),
                        "items": [
                            {"code": "speed", "label": tr("Speed", "速度")},
                            {"code": "care", "label": tr("Care", "关怀")},
                        ],
                        "scale": {"points": 5},
                    },
                ],
            },
        ],
    }
