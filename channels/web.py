"""The web page channel: a WTForms form built from a step, and form data read back into replies.

The form only renders and carries data. It has no validators: every rule (required, ranges,
lengths, selection counts) is checked by the engine, whose errors the page shows next to the
questions. Inputs keep what the respondent typed (numbers and dates are plain strings), so a page
shown again after an error holds exactly what was sent.

CSRF protection belongs to the application: pass its CSRF-enabled base class (for example
``flask_wtf.FlaskForm``) as ``base``; this module only knows ``wtforms.Form``.

Field names are listed in :mod:`channels.fields`. Python attribute names are ``q0``, ``q0_other``,
``q0_item1``... (question ids such as ``data`` or ``_x`` would clash with the Form API or be
ignored by WTForms); templates go through :attr:`StepForm.layout` or the HTML names.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, ClassVar

from wtforms import (
    Form,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.widgets import CheckboxInput, DateInput, ListWidget, NumberInput, RadioInput

from channels.base import Inbound, Outbound, ParsedInbound, register
from channels.fields import (
    STEP_FIELD,
    item_field,
    other_field,
    parse_fields,
    special_field,
    special_value,
)
from questionnaires.state import ChoiceView, QuestionView, Step


@dataclass(frozen=True, slots=True)
class QuestionFields:
    """Which form attributes belong to one question, for templates."""

    question: QuestionView
    kind: str
    """``radio``, ``checkbox``, ``matrix``, ``number``, ``text``, ``textarea``, ``date`` or ``info``."""
    field: str | None = None
    other: str | None = None
    special: str | None = None
    items: tuple[tuple[ChoiceView, str], ...] = ()
    """Matrix rows and the attribute of each row's radio group."""


KINDS = {
    "single_choice": "radio",
    "rating": "radio",
    "nps": "radio",
    "yes_no": "radio",
    "multiple_choice": "checkbox",
    "matrix": "matrix",
    "numeric": "number",
    "text": "text",
    "long_text": "textarea",
    "date": "date",
}


class _FormData:
    """A read-only multidict over ``Mapping[str, Sequence[str]]`` (what WTForms calls formdata)."""

    def __init__(self, fields: Mapping[str, Sequence[str]]) -> None:
        self._fields = {k: [v] if isinstance(v, str) else list(v) for k, v in fields.items()}

    def getlist(self, name: str) -> list[str]:
        return list(self._fields.get(name, []))

    def __contains__(self, name: object) -> bool:
        return name in self._fields

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)


def _with_choice_attrs(widget: Any) -> Callable[..., Any]:
    """Wrap a radio/checkbox widget so that each option renders its own attributes (``data-exclusive``)."""

    def render(field: Any, **kwargs: Any) -> Any:
        choice = getattr(field, "choice", None)
        extra = dict(choice.render_kw) if choice is not None and choice.render_kw else {}
        return widget(field, **{**extra, **kwargs})

    return render


RADIO_OPTION = _with_choice_attrs(RadioInput())
CHECKBOX_OPTION = _with_choice_attrs(CheckboxInput())


def _choices(question: QuestionView, with_specials: bool) -> list[Any]:
    options = list(question.choices) + ([question.other] if question.other else [])
    choices = [
        SelectChoice(c.code, c.label, {"data-exclusive": "true"} if c.exclusive else {}) for c in options
    ]
    if with_specials:
        choices += [
            SelectChoice(special_value(s.code), s.label, {"data-special": "true"}) for s in question.special
        ]
    return choices


def _checkboxes(
    label: str, name: str, choices: list[Any], render_kw: dict[str, Any], description: str = ""
) -> Any:
    return SelectMultipleField(
        label,
        name=name,
        description=description,
        choices=choices,
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CHECKBOX_OPTION,
        render_kw=render_kw,
    )


def _input_kw(question: QuestionView) -> dict[str, Any]:
    kw: dict[str, Any] = {"aria-required": "true"} if question.required else {}
    if question.type == "numeric":
        kw["inputmode"] = "numeric" if question.decimals == 0 else "decimal"
    if question.type in ("text", "long_text") and question.max_length:
        kw["maxlength"] = question.max_length
    if question.type == "date":
        # A fixed bound only: "today" is resolved by the engine when it validates the answer.
        for attribute, bound in (("min", question.min_date), ("max", question.max_date)):
            if bound and bound != "today":
                kw[attribute] = bound
    return kw


def _main_field(question: QuestionView, kind: str) -> Any:
    label, name, help_text = question.text, question.id, question.help
    kw = _input_kw(question)
    if kind == "radio":
        return RadioField(
            label,
            option_widget=RADIO_OPTION,
            name=name,
            choices=_choices(question, True),
            validate_choice=False,
            description=help_text,
            render_kw=kw,
        )
    if kind == "checkbox":
        return _checkboxes(label, name, _choices(question, True), kw, help_text)
    if kind == "number":
        step = "1" if question.decimals == 0 else str(Decimal(1).scaleb(-question.decimals))
        widget = NumberInput(step=step, min=_plain(question.min), max=_plain(question.max))
        return StringField(label, name=name, widget=widget, description=help_text, render_kw=kw)
    if kind == "textarea":
        return TextAreaField(label, name=name, description=help_text, render_kw=kw)
    if kind == "date":
        return StringField(label, name=name, widget=DateInput(), description=help_text, render_kw=kw)
    return StringField(label, name=name, description=help_text, render_kw=kw)


def _plain(number: float | None) -> int | float | None:
    if number is None:
        return None
    return int(number) if float(number).is_integer() else number


def _prefill(question: QuestionView, kind: str) -> Any:
    """Return the form data that shows the answer already given (after a back-step)."""
    if question.current_special is not None:
        value = special_value(question.current_special)
        return value if kind == "radio" else [value]
    current = question.current
    if current is None:
        return None
    if kind == "radio":
        if isinstance(current, bool):
            return "yes" if current else "no"
        return str(current)
    if kind == "checkbox":
        return [str(c) for c in current] if isinstance(current, list | tuple) else [str(current)]
    return str(current)


def make_step_form(
    step: Step,
    language: str,
    formdata: Mapping[str, Sequence[str]] | Any | None = None,
    *,
    base: type[Any] = Form,
    **form_kwargs: Any,
) -> Any:
    """Return a form instance for the questions of ``step``.

    ``formdata`` is the submitted data (a werkzeug ``MultiDict`` or any ``Mapping[str,
    Sequence[str]]``); without it the form shows the answers already given (``current``).
    ``base`` is the form class to extend (the application's CSRF-enabled form); ``form_kwargs``
    go to its constructor (``meta=...``). Labels come from the step, already in ``language``; the
    argument keeps the signature in line with the other channels. The class has a ``layout``
    attribute: one :class:`QuestionFields` per question, in order (the instance's ``layout``
    carries this step's own question views, answers included).
    """
    form_class, plan = _form_class(step, base)
    layout = tuple(
        QuestionFields(question, kind, main, other, special, tuple(zip(question.items, items, strict=True)))
        if kind == "matrix"
        else QuestionFields(question, kind, main, other, special)
        for question, (kind, main, other, special, items) in zip(step.questions, plan, strict=True)
    )
    if formdata is not None:
        if not hasattr(formdata, "getlist"):
            formdata = _FormData(formdata)
        form = form_class(formdata=formdata, **form_kwargs)
    else:
        # formdata=None explicitly: a CSRF base class (Flask-WTF) would otherwise read the request's
        # submitted fields, and the next page would carry the previous page's step key.
        form = form_class(formdata=None, data=_prefill_data(step, plan), **form_kwargs)
    form.layout = layout
    return form


#: Attribute names of one question's inputs: kind, main, other, special, matrix rows.
_Plan = tuple[str, str | None, str | None, str | None, tuple[str, ...]]

#: Form classes by (base, step key, questions without their answers): the same page shown to
#: many respondents builds its class once. Bounded; the least recently used is dropped first.
_CLASSES: OrderedDict[tuple[Any, ...], tuple[type[Any], tuple[_Plan, ...]]] = OrderedDict()
FORM_CLASS_CACHE_SIZE = 512
_CLASSES_LOCK = threading.Lock()


def _form_class(step: Step, base: type[Any]) -> tuple[type[Any], tuple[_Plan, ...]]:
    # The class depends on everything a question shows but not on the answers already given
    # (those are per-instance data), so they are left out of the key.
    questions = tuple(
        replace(q, current=None, current_special=None, current_other=None) for q in step.questions
    )
    key = (base, step.key, questions)
    try:
        hash(key)
    except TypeError:  # an unhashable value in a view: build without caching
        return _build_form_class(step.key, questions, base)
    with _CLASSES_LOCK:  # gunicorn threads share the cache
        cached = _CLASSES.get(key)
        if cached is not None:
            _CLASSES.move_to_end(key)
            return cached
    built = _build_form_class(step.key, questions, base)
    with _CLASSES_LOCK:
        _CLASSES[key] = built
        if len(_CLASSES) > FORM_CLASS_CACHE_SIZE:
            _CLASSES.popitem(last=False)
    return built


def _build_form_class(
    step_key: str, questions: tuple[QuestionView, ...], base: type[Any]
) -> tuple[type[Any], tuple[_Plan, ...]]:
    attrs: dict[str, Any] = {"step_key": HiddenField(name=STEP_FIELD, default=step_key)}
    plan: list[_Plan] = []
    layout: list[QuestionFields] = []
    names: set[str] = {STEP_FIELD}

    def add(attr: str, field: Any, name: str) -> str:
        if name in names:
            raise ValueError(f"two inputs of step {step_key!r} would share the name {name!r}")
        names.add(name)
        attrs[attr] = field
        return attr

    for index, question in enumerate(questions):
        prefix = f"q{index}"
        kind = KINDS.get(question.type, "info")
        if kind == "info":
            plan.append((kind, None, None, None, ()))
            layout.append(QuestionFields(question, kind))
            continue
        main = None
        items: list[str] = []
        if kind == "matrix":
            for number, item in enumerate(question.items):
                name = item_field(question.id, item.code)
                field = RadioField(
                    item.label,
                    option_widget=RADIO_OPTION,
                    name=name,
                    choices=_choices(question, False),
                    validate_choice=False,
                    render_kw=_input_kw(question),
                )
                items.append(add(f"{prefix}_item{number}", field, name))
        else:
            main = add(prefix, _main_field(question, kind), question.id)
        other = None
        if question.other is not None:
            field = StringField(
                question.other.label,
                name=other_field(question.id),
                render_kw={"aria-label": question.other.label, "maxlength": question.other_max_length or 200},
            )
            other = add(f"{prefix}_other", field, other_field(question.id))
        special = None
        if question.special and kind not in ("radio", "checkbox"):
            name = special_field(question.id)
            field = _checkboxes(
                "", name, [SelectChoice(special_value(s.code), s.label) for s in question.special], {}
            )
            special = add(f"{prefix}_special", field, name)
        plan.append((kind, main, other, special, tuple(items)))
        layout.append(
            QuestionFields(
                question, kind, main, other, special, tuple(zip(question.items, items, strict=True))
            )
        )
    attrs["layout"] = tuple(layout)
    return type("StepForm", (base,), attrs), tuple(plan)


def _prefill_data(step: Step, plan: tuple[_Plan, ...]) -> dict[str, Any]:
    """The answers already given, by form attribute (what a back-step shows again)."""
    data: dict[str, Any] = {}
    for question, (kind, main, other, special, items) in zip(step.questions, plan, strict=True):
        if kind == "info":
            continue
        if kind == "matrix":
            current = question.current if isinstance(question.current, Mapping) else {}
            for item, attr in zip(question.items, items, strict=True):
                value = current.get(item.code)
                if value is not None:
                    data[attr] = str(value)
        elif main is not None:
            value = _prefill(question, kind)
            if value is not None:
                data[main] = value
        if other is not None and question.current_other is not None:
            data[other] = question.current_other
        if special is not None and question.current_special:
            data[special] = [special_value(question.current_special)]
    return data


@dataclass(frozen=True, slots=True, kw_only=True)
class WebPage(Outbound):
    """A page: its title (``text``), its questions and the form showing them (None when done)."""

    questions: tuple[QuestionView, ...]
    form: Any
    step_key: str
    progress: float
    can_go_back: bool


class WebChannel:
    """Web pages: a page of questions per step, answered through a form."""

    name: ClassVar[str] = "web"

    def render(self, step: Step, language: str) -> WebPage:
        """Return the page for ``step`` with a form prefilled from answers already given."""
        form = None if step.done else make_step_form(step, language)
        return WebPage(
            channel=self.name,
            language=language,
            text=step.page_title,
            expects_reply=not step.done,
            questions=step.questions,
            form=form,
            step_key=step.key,
            progress=step.progress,
            can_go_back=step.can_go_back,
        )

    def parse(self, step: Step, inbound: Inbound, language: str) -> ParsedInbound:
        """Map the submitted fields (``inbound.fields``) to replies; ``_action=back`` goes back."""
        return parse_fields(step, inbound.fields, language)


register(WebChannel)
