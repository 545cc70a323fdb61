"""The web page: a WTForms form built from a step, and form data read back into replies."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import Form
from wtforms.csrf.session import SessionCSRF

from channels.base import Control, Inbound
from channels.fields import submitted_step_key
from channels.web import WebChannel, WebPage, make_step_form
from questionnaires.answers import Parsed
from questionnaires.state import Reply, Step
from tests.channels.helpers import (
    AGE,
    AMOUNT,
    COMMENT,
    FOLLOW_UP,
    GRID,
    INFO,
    NPS,
    REASONS,
    SATISFACTION,
    VISIT,
    engine_check,
    step,
    view,
)

WEB = WebChannel()
PAGE_QUESTIONS: list[dict[str, Any]] = [
    SATISFACTION,
    NPS,
    REASONS,
    FOLLOW_UP,
    AGE,
    AMOUNT,
    VISIT,
    COMMENT,
    GRID,
    INFO,
]


class _Inputs(HTMLParser):
    """Collects the form controls of rendered HTML: (tag, attributes)."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("input", "textarea", "select"):
            self.controls.append((tag, dict(attrs)))


def controls(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Inputs()
    parser.feed(html)
    return parser.controls


def page(*definitions: dict[str, Any], **kwargs: Any) -> Step:
    return step(*(view(d, channel="web", **kwargs) for d in definitions))


def rendered(form: Any) -> str:
    return "".join(str(field()) for field in form)


def by_name(form: Any) -> dict[str, list[tuple[str, dict[str, str | None]]]]:
    found: dict[str, list[tuple[str, dict[str, str | None]]]] = {}
    for tag, attrs in controls(rendered(form)):
        found.setdefault(str(attrs["name"]), []).append((tag, attrs))
    return found


def test_inputs_have_the_right_types_and_attributes() -> None:
    form = make_step_form(page(*PAGE_QUESTIONS), "en")
    inputs = by_name(form)
    assert {a["type"] for _, a in inputs["sat"]} == {"radio"}
    assert [a["value"] for _, a in inputs["sat"]] == ["c1", "c2", "c3", "c4", "c5", "__dont_know"]
    assert [a["value"] for _, a in inputs["nps"]] == [*map(str, range(11)), "__dont_know", "__refused"]
    assert {a["type"] for _, a in inputs["why"]} == {"checkbox"}
    assert [a["value"] for _, a in inputs["why"]] == [
        "price",
        "quality",
        "staff",
        "wait",
        "none",
        "other",
        "__dont_know",
    ]
    assert [a.get("data-exclusive") for _, a in inputs["why"]][4] == "true"
    assert inputs["why__other"][0][1]["type"] == "text"
    assert [a["value"] for _, a in inputs["follow"]] == ["yes", "no"]
    ((_, age),) = inputs["age"]
    assert (age["type"], age["min"], age["max"], age["step"], age["inputmode"]) == (
        "number",
        "18",
        "99",
        "1",
        "numeric",
    )
    ((_, amount),) = inputs["amount"]
    assert (amount["step"], amount["inputmode"]) == ("0.01", "decimal")
    assert [a["value"] for _, a in inputs["age__special"]] == ["__refused"]
    assert inputs["age__special"][0][1]["type"] == "checkbox"
    assert inputs["visit"][0][1]["type"] == "date"
    ((tag, comment),) = inputs["comment"]
    assert (tag, comment["maxlength"]) == ("textarea", "500")
    for row in ("speed", "care", "price"):
        assert [a["value"] for _, a in inputs[f"grid__{row}"]] == ["1", "2", "3", "4", "5"]
    assert [a["value"] for _, a in inputs["grid__special"]] == ["__dont_know"]
    assert inputs["_step"][0][1]["type"] == "hidden"
    assert "hello" not in inputs  # a statement has no input
    assert not any(a.get("required") is not None for found in inputs.values() for _, a in found)


def test_the_form_has_no_validators() -> None:
    form = make_step_form(page(*PAGE_QUESTIONS), "en")
    assert all(not field.validators for field in form)


def test_layout_describes_each_question_for_templates() -> None:
    form = make_step_form(page(SATISFACTION, REASONS, GRID, INFO), "en")
    kinds = [(entry.question.id, entry.kind) for entry in form.layout]
    assert kinds == [("sat", "radio"), ("why", "checkbox"), ("grid", "matrix"), ("hello", "info")]
    reasons = form.layout[1]
    assert form[reasons.field].name == "why"
    assert form[reasons.other].name == "why__other"
    grid = form.layout[2]
    assert [(item.code, form[attr].name) for item, attr in grid.items] == [
        ("speed", "grid__speed"),
        ("care", "grid__care"),
        ("price", "grid__price"),
    ]
    assert form[grid.special].name == "grid__special"


SUBMISSIONS = [
    (SATISFACTION, {"sat": ["c4"]}, Reply(value="c4"), "c4"),
    (SATISFACTION, {"sat": ["__dont_know"]}, Reply(special="dont_know"), None),
    (NPS, {"nps": ["9"]}, Reply(value="9"), 9),
    (NPS, {"nps": ["__refused"]}, Reply(special="refused"), None),
    (FOLLOW_UP, {"follow": ["no"]}, Reply(value="no"), False),
    (REASONS, {"why": ["staff", "price"]}, Reply(value=("staff", "price")), ("price", "staff")),
    (
        REASONS,
        {"why": ["price", "other"], "why__other": ["Parking"]},
        Reply(value=("price", "other"), other_text="Parking"),
        ("price", "other"),
    ),
    # typed into "Other" without ticking it: Other is selected (no JavaScript needed)
    (
        REASONS,
        {"why": ["price"], "why__other": ["Parking"]},
        Reply(value=("price", "other"), other_text="Parking"),
        None,
    ),
    (REASONS, {"why": ["__dont_know"]}, Reply(special="dont_know"), None),
    (REASONS, {}, Reply(value=()), None),
    (AGE, {"age": ["42"]}, Reply(value="42"), 42),
    (AGE, {"age": [""], "age__special": ["__refused"]}, Reply(special="refused"), None),
    (AMOUNT, {"amount": ["12.50"]}, Reply(value="12.50"), 12.5),
    (VISIT, {"visit": ["2024-03-05"]}, Reply(value="2024-03-05"), "2024-03-05"),
    (
        COMMENT,
        {"comment": ["Great <b>service</b>"]},
        Reply(value="Great <b>service</b>"),
        "Great <b>service</b>",
    ),
    (COMMENT, {}, Reply(value=""), None),
    (
        GRID,
        {"grid__speed": ["4"], "grid__care": ["5"], "grid__price": ["2"]},
        Reply(value={"speed": "4", "care": "5", "price": "2"}),
        {"speed": 4, "care": 5, "price": 2},
    ),
    (GRID, {"grid__speed": ["4"]}, Reply(value={"speed": "4"}), None),
    (GRID, {"grid__special": ["__dont_know"]}, Reply(special="dont_know"), None),
]


@pytest.mark.parametrize(("definition", "fields", "expected", "value"), SUBMISSIONS)
def test_form_data_round_trips_to_replies(
    definition: dict[str, Any], fields: dict[str, list[str]], expected: Reply, value: Any
) -> None:
    this_page = page(definition)
    parsed = WEB.parse(this_page, Inbound(fields=fields), "en")
    assert parsed.ok, parsed.error
    assert parsed.replies == {definition["id"]: expected}
    if value is not None:
        result = engine_check(definition, expected, "web")
        assert isinstance(result, Parsed)
        assert result.value == value
    # the same data in a werkzeug MultiDict re-renders what was sent
    form = make_step_form(this_page, "en", MultiDict([(k, v) for k, vs in fields.items() for v in vs]))
    sent = {(name, value) for name, values_ in fields.items() for value in values_ if value}
    shown = {
        (str(a["name"]), str(a["value"]))
        for tag, a in controls(rendered(form))
        if (a.get("type") in ("radio", "checkbox") and "checked" in a)
        or (a.get("type") not in ("radio", "checkbox", "hidden") and a.get("value"))
    }
    textareas = {(f.name, f.data) for f in form if f.type == "TextAreaField" and f.data}
    assert sent == shown | textareas


def test_missing_required_answers_go_to_the_engine() -> None:
    parsed = WEB.parse(page(SATISFACTION, FOLLOW_UP), Inbound(fields={}), "en")
    assert parsed.replies == {"sat": Reply(), "follow": Reply()}
    assert engine_check(SATISFACTION, parsed.replies["sat"], "web") == ["required"]


def test_a_special_with_an_answer_is_a_contradiction() -> None:
    this_page = page(REASONS, AGE)
    fields = {"why": ["price", "__dont_know"], "age": ["42"], "age__special": ["__refused"]}
    parsed = WEB.parse(this_page, Inbound(fields=fields), "zh-Hans")
    assert parsed.field_errors == {
        "why": "“Don't know”不能与其他选项同时选择。",
        "age": "“Prefer not to say”不能与其他选项同时选择。",
    }
    assert parsed.error == parsed.field_errors["why"]
    assert not parsed.replies


def test_several_values_for_a_radio_go_to_the_engine() -> None:
    parsed = WEB.parse(page(SATISFACTION), Inbound(fields={"sat": ["c1", "c2"]}), "en")
    assert engine_check(SATISFACTION, parsed.replies["sat"], "web") == ["one_option_only"]


def test_back_button() -> None:
    assert (
        WEB.parse(page(SATISFACTION), Inbound(fields={"_action": ["back"], "sat": ["c1"]}), "en").control
        is Control.BACK
    )


def test_prefill_shows_the_answers_already_given() -> None:
    answers = {
        "sat": "c2",
        "why": ("price", "other"),
        "follow": True,
        "age": 42,
        "grid": {"speed": 3, "care": 4},
    }
    this_page = page(
        SATISFACTION,
        REASONS,
        FOLLOW_UP,
        AGE,
        GRID,
        NPS,
        answers=answers,
        specials={"nps": "refused"},
        other_texts={"why": "Parking"},
    )
    form = make_step_form(this_page, "en")
    checked = {(a["name"], a["value"]) for _, a in controls(rendered(form)) if "checked" in a}
    assert checked == {
        ("sat", "c2"),
        ("why", "price"),
        ("why", "other"),
        ("follow", "yes"),
        ("grid__speed", "3"),
        ("grid__care", "4"),
        ("nps", "__refused"),
    }
    values = {
        (a["name"], a["value"]) for _, a in controls(rendered(form)) if a.get("type") in ("text", "number")
    }
    assert ("why__other", "Parking") in values
    assert ("age", "42") in values


def test_prefill_of_a_special_on_a_text_question() -> None:
    form = make_step_form(page(AGE, specials={"age": "refused"}), "en")
    checked = {(a["name"], a["value"]) for _, a in controls(rendered(form)) if "checked" in a}
    assert checked == {("age__special", "__refused")}


def test_step_key_travels_with_the_form() -> None:
    this_page = page(SATISFACTION)
    form = make_step_form(this_page, "en")
    assert form["step_key"].data == this_page.key
    assert submitted_step_key({"_step": [this_page.key]}) == this_page.key


def test_question_ids_that_clash_with_the_form_api_still_work() -> None:
    data = {"id": "data", "type": "text", "text": "Data?"}
    hidden = {"id": "_private", "type": "text", "text": "Private?"}
    errors = {"id": "errors", "type": "numeric", "text": "Errors?"}
    this_page = page(data, hidden, errors)
    form = make_step_form(this_page, "en", {"data": ["x"], "_private": ["y"], "errors": ["3"]})
    assert isinstance(form.data, dict)  # the Form API is intact
    assert {f.name: f.data for f in form if f.name != "_step"} == {
        "data": "x",
        "_private": "y",
        "errors": "3",
    }
    parsed = WEB.parse(this_page, Inbound(fields={"data": ["x"], "_private": ["y"], "errors": ["3"]}), "en")
    assert parsed.replies == {
        "data": Reply(value="x"),
        "_private": Reply(value="y"),
        "errors": Reply(value="3"),
    }


def test_two_inputs_with_one_name_are_refused() -> None:
    clash = {**GRID, "items": [{"code": "special", "label": "Special"}]}
    with pytest.raises(ValueError, match="grid__special"):
        make_step_form(page(clash), "en")


def test_the_application_supplies_csrf_through_the_base_class() -> None:
    class CsrfForm(Form):  # type: ignore[misc]
        class Meta:
            csrf = True
            csrf_class = SessionCSRF
            csrf_secret = b"test-secret"

    session: dict[str, Any] = {}
    form = make_step_form(page(SATISFACTION), "en", base=CsrfForm, meta={"csrf_context": session})
    assert isinstance(form, CsrfForm)
    assert "csrf_token" in form
    assert "csrf" in session  # SessionCSRF keeps its secret in the session


def test_render_returns_the_page() -> None:
    this_page = page(SATISFACTION, AGE)
    result = WEB.render(this_page, "en")
    assert isinstance(result, WebPage)
    assert result.questions == this_page.questions
    assert result.step_key == this_page.key
    assert result.form is not None
    done = WEB.render(Step(done=True, key="done"), "en")
    assert (done.form, done.expects_reply) == (None, False)


def test_the_same_page_reuses_its_form_class_but_not_its_answers() -> None:
    answered = {"sat": "c2", "grid": {"speed": 3}}
    fresh = make_step_form(page(SATISFACTION, GRID), "en")
    again = make_step_form(page(SATISFACTION, GRID, answers=answered), "en")
    assert type(fresh) is type(again)  # built once per page, whatever was answered
    assert fresh is not again
    assert fresh["q0"].data is None
    assert again["q0"].data == "c2"
    assert again["q1_item0"].data == "3"
    # Each instance's layout carries its own step's views (with the answers given).
    assert fresh.layout[0].question.current is None
    assert again.layout[0].question.current == "c2"
    assert [f.kind for f in fresh.layout] == [f.kind for f in again.layout] == ["radio", "matrix"]
    assert again.layout[1].items[0][1] == "q1_item0"


def test_a_page_with_other_wording_or_another_base_gets_its_own_form_class() -> None:
    english = make_step_form(page(SATISFACTION), "en")
    chinese = make_step_form(step(view(SATISFACTION, channel="web", language="zh-Hans")), "zh-Hans")
    assert type(english) is not type(chinese)
    assert english["q0"].label.text != chinese["q0"].label.text

    class Other(Form):
        pass

    assert type(make_step_form(page(SATISFACTION), "en", base=Other)).__mro__[1] is Other
