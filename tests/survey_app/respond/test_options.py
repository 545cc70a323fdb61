"""The respondent page writes radio and checkbox options exactly as WTForms' widgets would."""

from __future__ import annotations

from typing import Any

import pytest

from channels.web import make_step_form
from questionnaires import engine
from questionnaires.definition import parse_definition
from survey_app.respond.options import choice_options, hidden_input

TRICKY = 'Tom & "Jerry" <b>\'s</b>'

DOCUMENT: dict[str, Any] = {
    "id": "options_test",
    "title": {"en": "Options"},
    "languages": ["en"],
    "pages": [
        {
            "id": "p1",
            "questions": [
                {
                    "id": "sat",
                    "type": "rating",
                    "required": True,
                    "special": ["dont_know"],
                    "text": {"en": "Satisfied?"},
                    "scale": {"points": 5},
                },
                {
                    "id": "pick",
                    "type": "single_choice",
                    "text": {"en": "Pick one"},
                    "options": [
                        {"code": "a", "label": {"en": TRICKY}},
                        {"code": "b", "label": {"en": "B"}},
                    ],
                },
                {
                    "id": "multi",
                    "type": "multiple_choice",
                    "required": True,
                    "text": {"en": "Pick any"},
                    "options": [
                        {"code": "x", "label": {"en": "X"}},
                        {"code": "y", "label": {"en": "Y"}},
                        {"code": "none", "label": {"en": "None of these"}, "exclusive": True},
                    ],
                    "other": {"code": "other", "label": {"en": "Other"}},
                },
                {"id": "yn", "type": "yes_no", "text": {"en": "Yes or no?"}},
            ],
        }
    ],
}


def wtforms_html(field: Any) -> list[str]:
    return [f"{option()} {option.label()}" for option in field]


@pytest.mark.parametrize(
    "formdata",
    [
        None,
        {"sat": ["4"], "pick": ["a"], "multi": ["x", "none"], "yn": ["no"]},
        {"sat": ["__dont_know"], "multi": ["other"]},
    ],
    ids=["empty", "answered", "special-and-other"],
)
def test_choice_options_match_wtforms_widgets(formdata: dict[str, list[str]] | None) -> None:
    questionnaire = parse_definition(DOCUMENT)
    state = engine.start(questionnaire, context={}, language="en", channel="web", seed=1, now=0.0)
    step = engine.next_step(questionnaire, state)
    form = make_step_form(step, "en", formdata)
    fields = [form[layout.field] for layout in form.layout if layout.kind in ("radio", "checkbox")]
    assert len(fields) == 4
    checked = 0
    for field in fields:
        fast = [str(html) for html in choice_options(field)]
        assert fast == wtforms_html(field)
        checked += sum(" checked " in html for html in fast)
    assert checked == (0 if formdata is None else sum(len(v) for v in formdata.values()))
    rendered = "".join(str(html) for field in fields for html in choice_options(field))
    assert "Tom &amp; &#34;Jerry&#34; &lt;b&gt;&#39;s&lt;/b&gt;" in rendered
    assert 'data-exclusive="true"' in rendered


def test_choice_options_fall_back_to_the_field_widget_for_other_option_widgets() -> None:
    from wtforms import Form, RadioField, SelectChoice

    class Plain(Form):
        colour = RadioField(
            "Colour", choices=[SelectChoice("r", "Red"), SelectChoice("g", "Green")], default="g"
        )

    field = Plain()["colour"]
    assert [str(html) for html in choice_options(field)] == wtforms_html(field)


def test_hidden_input_matches_wtforms_widget() -> None:
    from wtforms import Form, HiddenField

    class Hidden(Form):
        plain = HiddenField(default=TRICKY)
        named = HiddenField(name="_step", default="0:a,b")
        extra = HiddenField(default="x", render_kw={"data-x": "1"})

    form = Hidden()
    for field in form:
        assert str(hidden_input(field)) == str(field())
    assert "&amp; &#34;Jerry&#34;" in str(hidden_input(form.plain))
    assert 'data-x="1"' in str(hidden_input(form.extra))


def test_hidden_input_matches_for_the_csrf_token(app: Any) -> None:
    from flask_wtf import FlaskForm

    questionnaire = parse_definition(DOCUMENT)
    state = engine.start(questionnaire, context={}, language="en", channel="web", seed=1, now=0.0)
    app.config["WTF_CSRF_ENABLED"] = True
    with app.test_request_context("/"):
        form = make_step_form(engine.next_step(questionnaire, state), "en", base=FlaskForm)
        for field in (form.csrf_token, form.step_key):
            html = str(hidden_input(field))
            assert html == str(field())
            assert 'type="hidden"' in html


def test_hidden_input_of_a_missing_field_renders_nothing(app: Any) -> None:
    from flask import render_template_string

    with app.test_request_context("/"):
        assert render_template_string("[{{ hidden_input(form.csrf_token) }}]", form=object()) == "[]"
