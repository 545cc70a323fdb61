"""The respondent flow of ``bench/web_flows.py``: the 3-page questionnaire, its answers, its page parser.

Shared by the load generator (``_load``), the query counter and the test that checks the parser
on a page the app really renders (``tests/bench/test_web_flows.py``).
"""

from __future__ import annotations

import html
import random
import re
from dataclasses import dataclass
from typing import Any

THANK_YOU = "Your answers are in: thank you for your time."
#: What a respondent sends per page, and the bench's names for the four requests of a flow.
REQUEST_KINDS = ("GET open", "POST page 1", "POST page 2", "POST page 3")


def tr(en: str) -> dict[str, str]:
    """An English-only translatable text of the definition."""
    return {"en": en}


#: Page 1: five 5-point ratings; page 2: NPS + comment; page 3: a 3-option multiple choice.
DOCUMENT: dict[str, Any] = {
    "id": "bench_web_flows",
    "title": tr("Customer feedback"),
    "languages": ["en"],
    "thank_you": tr(THANK_YOU),
    "pages": [
        {
            "id": "ratings",
            "title": tr("Your experience"),
            "questions": [
                {
                    "id": f"r{n}",
                    "type": "rating",
                    "required": True,
                    "text": tr(f"How satisfied are you with aspect {n}?"),
                    "scale": {"points": 5, "low_label": tr("Not at all"), "high_label": tr("Very")},
                }
                for n in range(1, 6)
            ],
        },
        {
            "id": "loyalty",
            "questions": [
                {
                    "id": "nps",
                    "type": "nps",
                    "required": True,
                    "tags": ["nps"],
                    "text": tr("How likely are you to recommend us to a friend or colleague?"),
                    "scale": {
                        "points": 11,
                        "start": 0,
                        "low_label": tr("Not at all likely"),
                        "high_label": tr("Extremely likely"),
                    },
                },
                {
                    "id": "comment",
                    "type": "long_text",
                    "required": True,
                    "max_length": 500,
                    "text": tr("What is the main reason for your score?"),
                },
            ],
        },
        {
            "id": "channels",
            "questions": [
                {
                    "id": "used",
                    "type": "multiple_choice",
                    "required": True,
                    "text": tr("Which of these have you used?"),
                    "options": [
                        {"code": "web", "label": tr("Website")},
                        {"code": "phone", "label": tr("Phone")},
                        {"code": "shop", "label": tr("Shop")},
                    ],
                }
            ],
        },
    ],
}
#: A marker of each page in its HTML (the name of one of its inputs).
PAGE_MARKERS = ('name="r1"', 'name="nps"', 'name="used"')
COMMENTS = ("Quick and friendly.", "Delivery was late twice.", "Good value; the app could be simpler.")


def page_answers(page: int, rng: random.Random) -> list[tuple[str, str]]:
    """The form fields of one page's answers (without ``_step``, ``csrf_token`` and ``_action``)."""
    if page == 0:
        return [(f"r{n}", str(rng.randint(1, 5))) for n in range(1, 6)]
    if page == 1:
        return [("nps", str(rng.randint(0, 10))), ("comment", rng.choice(COMMENTS))]
    chosen = [code for code in ("web", "phone", "shop") if rng.random() < 0.5] or ["web"]
    return [("used", code) for code in chosen]


_HIDDEN = {
    name: re.compile(rf'name="{name}"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="{name}"')
    for name in ("_step", "csrf_token")
}


def hidden_value(page: str, name: str) -> str | None:
    """The value of the hidden input ``name`` (``_step`` or ``csrf_token``) in ``page``, unescaped."""
    match = _HIDDEN[name].search(page)
    return html.unescape(match.group(1) or match.group(2)) if match else None


@dataclass(frozen=True)
class Page:
    """What a simulated respondent reads from a response."""

    #: 0, 1 or 2 for the questionnaire's pages; None for any other page.
    number: int | None
    step: str | None
    csrf: str | None
    thank_you: bool


def parse_page(body: str) -> Page:
    """Which page of the flow ``body`` is, and the hidden fields its form needs sent back."""
    number = next((n for n, marker in enumerate(PAGE_MARKERS) if marker in body), None)
    return Page(number, hidden_value(body, "_step"), hidden_value(body, "csrf_token"), THANK_YOU in body)


class FlowError(Exception):
    """A request failed or its page was not the expected one; the flow is abandoned."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def page_form(body: str, expected: int, rng: random.Random) -> list[tuple[str, str]]:
    """The fields a respondent posts for page ``expected`` shown in ``body``; FlowError if it is not."""
    page = parse_page(body)
    if page.number != expected:
        raise FlowError(f"page {expected + 1} missing")
    if page.csrf is None:
        raise FlowError("no csrf_token")
    if page.step is None:
        raise FlowError(f"page {expected + 1} has no _step")
    hidden = [("csrf_token", page.csrf), ("_step", page.step), ("_action", "next")]
    return [*hidden, *page_answers(expected, rng)]
