"""The questions of a fresh page are rendered once and reused; pages with answers or errors never."""

from __future__ import annotations

from typing import Any

from flask import g, render_template
from flask_wtf import FlaskForm

from channels.web import make_step_form
from questionnaires import engine
from questionnaires.definition import parse_definition
from survey_app.respond import rendering

DOCUMENT: dict[str, Any] = {
    "id": "rendering_test",
    "title": {"en": "Rendering", "zh-Hans": "渲染"},
    "languages": ["en", "zh-Hans"],
    "pages": [
        {
            "id": "p1",
            "questions": [
                {
                    "id": "sat",
                    "type": "rating",
                    "required": True,
                    "text": {"en": "Satisfied?", "zh-Hans": "满意吗？"},
                    "scale": {"points": 5},
                },
                {"id": "why", "type": "text", "text": {"en": "Why?", "zh-Hans": "为什么？"}},
            ],
        },
        {
            "id": "p2",
            "questions": [{"id": "end", "type": "text", "text": {"en": "More?", "zh-Hans": "还有吗？"}}],
        },
    ],
}


def _page(
    app: Any, language: str, *, answers: dict[str, str] | None = None, errors: dict[str, str] | None = None
) -> str:
    questionnaire = parse_definition(DOCUMENT)
    state = engine.start(questionnaire, context={}, language=language, channel="web", seed=1, now=0.0)
    if answers is not None:  # answer page 1, then step back to it: the answers are prefilled
        state = engine.answer(questionnaire, state, answers, now=1.0).state
        state = engine.back(questionnaire, state, now=2.0)
    step = engine.next_step(questionnaire, state)
    with app.test_request_context("/s/x"):
        g.ui_language = language
        form = make_step_form(step, language, base=FlaskForm)
        return render_template(
            "respond/page.html",
            title="T",
            step=step,
            form=form,
            errors=errors or {},
            languages=["en"],
            language=language,
        )


def test_a_fresh_page_is_rendered_once_per_language(app: Any) -> None:
    rendering._PAGES.clear()
    first = _page(app, "en")
    assert len(rendering._PAGES) == 1
    assert _page(app, "en") == first  # served from the cache, same HTML
    assert len(rendering._PAGES) == 1
    chinese = _page(app, "zh-Hans")
    assert len(rendering._PAGES) == 2
    assert "满意吗？" in chinese
    assert "Satisfied?" not in chinese
    assert '<label for="why">Why?</label>' in first
    assert "(required)" in first


def test_answers_and_errors_are_never_taken_from_or_put_in_the_cache(app: Any) -> None:
    rendering._PAGES.clear()
    fresh = _page(app, "en")
    answered = _page(app, "en", answers={"sat": "4", "why": "<b>cheap</b>"})
    assert len(rendering._PAGES) == 1
    assert answered != fresh
    assert 'checked id="sat-3" name="sat" type="radio" value="4"' in answered
    assert "&lt;b&gt;cheap&lt;/b&gt;" in answered
    assert "<b>cheap</b>" not in answered
    with_error = _page(app, "en", errors={"sat": "Please answer this question."})
    assert len(rendering._PAGES) == 1
    assert 'class="question has-error" id="q-sat"' in with_error
    assert 'id="error-sat"' in with_error
    assert _page(app, "en") == fresh  # the cached fresh page is unchanged by the others
