"""Helpers of the authoring tests: a sample bilingual questionnaire and page inspection."""

from __future__ import annotations

import copy
import re
from html.parser import HTMLParser
from typing import Any

from sqlmodel import Session
from werkzeug.datastructures import MultiDict

from survey_app.designs.models import QuestionnaireRecord


def tr(en: str, zh: str) -> dict[str, str]:
    return {"en": en, "zh-Hans": zh}


SAMPLE: dict[str, Any] = {
    "id": "trial",
    "version": 1,
    "title": tr("Trial survey", "试用调查"),
    "stakeholder_group": "end_customer",
    "languages": ["en", "zh-Hans"],
    "contact_fields": ["first_name"],
    "intro": tr("Hello {first_name}, a short survey.", "{first_name}您好，这是一个简短的调查。"),
    "thank_you": tr("Thank you, {first_name}!", "谢谢您，{first_name}！"),
    "pages": [
        {
            "id": "p1",
            "title": tr("Overall", "总体"),
            "questions": [
                {
                    "id": "sat",
                    "type": "rating",
                    "required": True,
                    "text": tr("How satisfied are you, {first_name}?", "{first_name}，您满意吗？"),
                    "scale": {
                        "points": 5,
                        "low_label": tr("Not at all", "很不满意"),
                        "high_label": tr("Very", "非常满意"),
                    },
                    "variants": {
                        "sms": {"text": tr("Satisfied? Reply 1-5", "满意吗？回复1-5")},
                        "ivr": {"prompt": tr("Press 1 to 5.", "请按1到5。")},
                        "agent": {
                            "instructions": tr("Read the ends only", "只读两端"),
                            "read_options": False,
                        },
                    },
                },
                {
                    "id": "why",
                    "type": "long_text",
                    "show_if": "sat <= 2",
                    "required": True,
                    "text": tr("What went wrong?", "哪里出了问题？"),
                },
            ],
        },
        {
            "id": "p2",
            "title": tr("About you", "关于您"),
            "questions": [
                {
                    "id": "channels",
                    "type": "multiple_choice",
                    "text": tr("Which channels do you use?", "您使用哪些渠道？"),
                    "options": [
                        {"code": "web", "label": tr("Web", "网站")},
                        {"code": "shop", "label": tr("Shop", "门店")},
                    ],
                    "special": ["dont_know"],
                },
                {"id": "age", "type": "numeric", "min": 18, "max": 99, "text": tr("Your age?", "您的年龄？")},
            ],
        },
    ],
}


def sample(**changes: Any) -> dict[str, Any]:
    """A deep copy of the sample document with top-level ``changes``."""
    document = copy.deepcopy(SAMPLE)
    document.update(changes)
    return document


def reload(db_session: Session, record: QuestionnaireRecord) -> QuestionnaireRecord:
    db_session.expire_all()
    fresh = db_session.get(QuestionnaireRecord, record.id)
    assert fresh is not None
    return fresh


def html(response: Any) -> str:
    return response.get_data(as_text=True)


def field_block(page: str, anchor: str) -> str:
    """The HTML from ``id="anchor"`` to the next field block of the form."""
    start = page.index(f'id="{anchor}"')
    following = re.search(r'<(?:div|fieldset) [^>]*id="f-', page[start + 10 :])
    end = start + 10 + following.start() if following else len(page)
    return page[start:end]


class _FormReader(HTMLParser):
    """Collects what a browser would submit for the form posting to ``action``."""

    def __init__(self, action: str) -> None:
        super().__init__(convert_charrefs=True)
        self.action = action
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self.textarea: str | None = None
        self.select: str | None = None
        self.options: list[tuple[str, bool]] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("action", "") == self.action  # "": a form posting to its own page
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "file", "button"):
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields.append((name, a.get("value") or "on"))
            else:
                self.fields.append((name, a.get("value", "")))
        elif tag == "textarea" and name:
            self.textarea, self.text = name, ""
        elif tag == "select" and name:
            self.select, self.options = name, []
        elif tag == "option" and self.select:
            self.options.append((a.get("value", ""), "selected" in a))

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "textarea" and self.textarea is not None:
            self.fields.append((self.textarea, self.text.removeprefix("\n")))
            self.textarea = None
        elif tag == "select" and self.select is not None:
            chosen = [v for v, selected in self.options if selected] or [v for v, _ in self.options[:1]]
            self.fields.extend((self.select, v) for v in chosen)
            self.select = None


def form_data(page: str, action: str, changes: dict[str, Any] | None = None) -> MultiDict[str, str]:
    """The fields of the form posting to ``action`` as a browser sends them, with ``changes``.

    A change of None removes the field (an unticked checkbox); a list sets several values.
    """
    reader = _FormReader(action)
    reader.feed(page)
    assert reader.fields, f"no form posting to {action}"
    data = MultiDict(reader.fields)
    for name, value in (changes or {}).items():
        data.poplist(name)
        if isinstance(value, list):
            data.setlist(name, value)
        elif value is not None:
            data[name] = value
    return data
