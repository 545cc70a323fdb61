"""Forms of the authoring pages. Builder forms are built per questionnaire: one field per language.

The forms only carry data: whether the questionnaire is right is the validator's business
(``questionnaires.validation``), whose messages the pages show next to the fields.
"""

from __future__ import annotations

import functools
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    FieldList,
    FloatField,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from questionnaires.definition import QuestionType, localize
from survey_app.config import LANGUAGES
from survey_app.designs.formdata import QUESTION_TEXTS, SETTINGS_TEXTS, lang_field
from survey_app.designs.operations import DesignError

STAKEHOLDER_GROUPS = {
    "end_customer": _l("End customers"),
    "staff": _l("Staff"),
    "supplier": _l("Suppliers"),
    "outsourced_partner": _l("Outsourced partners"),
    "regulator": _l("Regulators"),
}
QUESTION_TYPES = {
    QuestionType.SINGLE_CHOICE: _l("Single choice"),
    QuestionType.MULTIPLE_CHOICE: _l("Multiple choice"),
    QuestionType.RATING: _l("Rating scale"),
    QuestionType.NPS: _l("Net Promoter Score (0–10)"),
    QuestionType.MATRIX: _l("Matrix (rows × scale or options)"),
    QuestionType.NUMERIC: _l("Number"),
    QuestionType.TEXT: _l("Short text"),
    QuestionType.LONG_TEXT: _l("Long text"),
    QuestionType.DATE: _l("Date"),
    QuestionType.YES_NO: _l("Yes / no"),
    QuestionType.INFO: _l("Statement (no answer)"),
    QuestionType.CALCULATE: _l("Calculated value"),
}


def group_label(group: str) -> str:
    return str(STAKEHOLDER_GROUPS.get(group, group))


def language_name(tag: str) -> str:
    return LANGUAGES.get(tag, tag)


def type_label(kind: object) -> str:
    try:
        return str(QUESTION_TYPES[QuestionType(str(kind))])
    except ValueError:
        return str(kind)


def localized(value: object, language: str) -> str:
    """A draft's text in ``language`` for display (drafts may hold anything, so never fail)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and value:
        return str(localize(value, language))
    return ""


def show_error(form: FlaskForm, error: DesignError) -> None:
    """Put an operation's error under the field it is about (or at the top of the form)."""
    field = getattr(form, error.field, None) if error.field else None
    if field is None:
        form.form_errors.append(error.message)
    else:
        field.errors = [*field.errors, error.message]


class _Form(FlaskForm):  # type: ignore[misc]  # flask_wtf ships no type information
    """The base of this module's forms."""


def _revision() -> IntegerField:
    return IntegerField(widget=HiddenInput(), validators=[InputRequired()])


def _group(**kwargs: Any) -> StringField:
    kwargs.setdefault(
        "description",
        _l("end_customer, staff, supplier, outsourced_partner, regulator, or a group of your own."),
    )
    return StringField(
        _l("Stakeholder group"),
        validators=[Length(max=50), *kwargs.pop("validators", [])],
        render_kw={"list": "stakeholder-groups", "autocomplete": "off"},
        **kwargs,
    )


class CreateForm(_Form):
    key = StringField(
        _l("Id"),
        validators=[DataRequired(), Length(max=100)],
        description=_l("Letters, digits, '_', '.' and '-'; unique. Used in exports and file names."),
    )
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    stakeholder_group = _group(default="end_customer", validators=[DataRequired()])
    languages = StringField(
        _l("Languages"),
        default="en",
        validators=[DataRequired()],
        description=_l("Language tags separated by commas, the default first: en, zh-Hans, zh-Hant."),
    )


class TemplateForm(_Form):
    template_id = SelectField(_l("Template"), coerce=int, validate_choice=False, validators=[InputRequired()])
    key = StringField(
        _l("Id of your copy"),
        validators=[Optional(), Length(max=100)],
        description=_l("Leave empty for the template's id followed by _copy; you can change it later."),
    )


class ImportForm(_Form):
    file = FileField(
        _l("File"),
        validators=[FileRequired(_l("Choose a file to import."))],
        description=_l(
            "A questionnaire in YAML or JSON, or an XLSForm (.xlsx) from ODK, KoboToolbox or SurveyCTO."
        ),
    )
    stakeholder_group = _group(
        description=_l("Leave empty to keep the file's group (end_customer if it has none).")
    )
    key = StringField(
        _l("Id"),
        validators=[Optional(), Length(max=100)],
        description=_l("Leave empty to keep the file's id."),
    )


class DefinitionForm(_Form):
    text = TextAreaField(_l("Definition"), render_kw={"rows": 30, "spellcheck": "false"})
    format = HiddenField(validators=[AnyOf(["yaml", "json"])])
    draft_revision = _revision()


class RevisionForm(_Form):
    """Publish and the move/delete buttons: the revision the page showed."""

    draft_revision = _revision()


class StructureForm(RevisionForm):
    action = HiddenField(validators=[AnyOf(["up", "down", "delete"])])
    page = IntegerField(widget=HiddenInput(), validators=[InputRequired(), NumberRange(min=0)])
    question = IntegerField(widget=HiddenInput(), validators=[Optional(), NumberRange(min=0)])
    expected_id = HiddenField()
    confirm = BooleanField()


def _texts(cls: type, name: str, languages: tuple[str, ...], *, area: bool = False) -> None:
    for language in languages:
        field_class = TextAreaField if area else StringField
        setattr(
            cls,
            lang_field(name, language),
            field_class(language_name(language), render_kw={"lang": language}),
        )


@functools.lru_cache(maxsize=64)
def settings_form_class(languages: tuple[str, ...]) -> type[FlaskForm]:
    """Questionnaire settings: id, titles, group, languages, texts around the questions."""

    class SettingsForm(_Form):
        id = StringField(_l("Id"), validators=[DataRequired(), Length(max=100)])
        stakeholder_group = _group()
        languages = StringField(
            _l("Languages"), description=_l("Language tags separated by commas, the default first.")
        )
        contact_fields = StringField(
            _l("Contact fields"),
            description=_l("Contact attributes that conditions and texts may use, e.g. first_name, product."),
        )
        draft_revision = _revision()

    for name in SETTINGS_TEXTS:
        _texts(SettingsForm, name, languages, area=name != "title")
    return SettingsForm


@functools.lru_cache(maxsize=64)
def clone_form_class(languages: tuple[str, ...]) -> type[FlaskForm]:
    class CloneForm(_Form):
        stakeholder_group = _group(validators=[DataRequired()])
        key = StringField(_l("Id"), validators=[Optional(), Length(max=100)])

    _texts(CloneForm, "title", languages)
    return CloneForm


@functools.lru_cache(maxsize=64)
def page_form_class(languages: tuple[str, ...]) -> type[FlaskForm]:
    class PageForm(_Form):
        id = StringField(_l("Page id"), validators=[DataRequired(), Length(max=64)])
        show_if = StringField(
            _l("Show if"), description=_l("A condition on earlier answers; empty: always shown.")
        )
        draft_revision = _revision()

    _texts(PageForm, "title", languages)
    return PageForm


@functools.lru_cache(maxsize=64)
def _row_class(languages: tuple[str, ...]) -> type[Form]:
    class Row(Form):  # type: ignore[misc]  # wtforms' Form is untyped here
        code = StringField(_l("Code"), validators=[Length(max=64)])
        fixed = BooleanField(_l("Fixed"))
        exclusive = BooleanField(_l("Exclusive"))

    _texts(Row, "label", languages)
    return Row


def _count(label: Any, **kwargs: Any) -> IntegerField:
    return IntegerField(label, validators=[Optional(), NumberRange(min=0)], **kwargs)


@functools.lru_cache(maxsize=64)
def question_form_class(languages: tuple[str, ...]) -> type[FlaskForm]:
    """Every question setting; the page shows the sections that apply to the type (or hold data)."""
    row = _row_class(languages)

    class QuestionForm(_Form):
        id = StringField(_l("Question id"), validators=[DataRequired(), Length(max=64)])
        type = SelectField(
            _l("Type"), choices=[SelectChoice(t.value, label) for t, label in QUESTION_TYPES.items()]
        )
        original_id = HiddenField()
        required = BooleanField(_l("Required"))
        randomize = BooleanField(_l("Randomise the order of options"))
        show_if = StringField(_l("Show if"), description=_l("A condition on earlier answers, e.g. sat <= 2."))
        constraint = StringField(
            _l("Constraint"), description=_l("Must hold for the answer, e.g. value >= 18.")
        )
        calculation = StringField(_l("Calculation"))
        pattern = StringField(_l("Pattern (regular expression)"))
        options = FieldList(FormField(row))
        items = FieldList(FormField(row))
        scale_points = IntegerField(_l("Points"), validators=[Optional(), NumberRange(min=2, max=11)])
        scale_start = IntegerField(_l("First value"), validators=[Optional()])
        min = FloatField(_l("Minimum"), validators=[Optional()])
        max = FloatField(_l("Maximum"), validators=[Optional()])
        decimals = IntegerField(_l("Decimals"), validators=[Optional(), NumberRange(min=0, max=10)])
        min_length = _count(_l("Minimum length"))
        max_length = IntegerField(_l("Maximum length"), validators=[Optional(), NumberRange(min=1)])
        min_selected = _count(_l("At least this many selected"))
        max_selected = IntegerField(
            _l("At most this many selected"), validators=[Optional(), NumberRange(min=1)]
        )
        min_date = StringField(_l("Earliest date"), description=_l("YYYY-MM-DD or today"))
        max_date = StringField(_l("Latest date"), description=_l("YYYY-MM-DD or today"))
        other = BooleanField(_l("Offer “Other (please specify)”"))
        special_dont_know = BooleanField(_l("Offer “Don't know”"))
        special_refused = BooleanField(_l("Offer “Refused”"))
        ivr_speech = BooleanField(_l("Also accept spoken answers"))
        agent_read_options = BooleanField(_l("The interviewer reads the options out"))
        draft_revision = _revision()

    for name in QUESTION_TEXTS:
        _texts(
            QuestionForm,
            name,
            languages,
            area=name in ("text", "sms", "ivr", "agent_text", "agent_instructions"),
        )
    return QuestionForm
