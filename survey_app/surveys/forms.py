"""Forms of the survey pages. Dates are entered as local date-times in a named time zone."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypedDict

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    FloatField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from survey_app.config import LANGUAGES
from survey_app.surveys.operations import DEFAULT_PARTIAL_THRESHOLD, MAX_LINKS, SurveyError
from survey_app.surveys.queries import FieldableQuestionnaire, VersionChoice
from survey_app.surveys.times import NonexistentLocalTime, to_utc, zone

#: The first is how fields are filled in; the others are accepted (browsers without a date picker).
LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
_BAD_DATE = _l("Enter a date and time such as 2026-03-01T09:00.")


def show_error(form: FlaskForm, error: SurveyError) -> None:
    """Put an operation's error under the field it is about (or at the top of the form)."""
    field = getattr(form, error.field, None) if error.field else None
    if field is None:
        form.form_errors.append(error.message)
    else:
        field.errors = [*field.errors, error.message]


def language_label(tag: str) -> str:
    """``简体中文 (zh-Hans)``: a language's own name and its tag."""
    return f"{LANGUAGES.get(tag, tag)} ({tag})"


class _Form(FlaskForm):  # type: ignore[misc]  # flask_wtf ships no type information
    """The base of this module's forms."""


class _Checkboxes(SelectMultipleField):  # type: ignore[misc]  # wtforms fields are untyped here
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SurveySettings(TypedDict):
    """The settings the create and edit forms share, as ``operations`` expects them."""

    name: str
    stakeholder_group: str
    languages: list[str]
    default_language: str
    opens_at: dt.datetime | None
    closes_at: dt.datetime | None
    partial_threshold: float


class SurveyForm(_Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    version_id = SelectField(_l("Questionnaire version"), coerce=int)
    stakeholder_group = StringField(
        _l("Stakeholder group"),
        validators=[Optional(), Length(max=50)],
        description=_l("Defaults to the questionnaire's group."),
        render_kw={"list": "stakeholder-groups", "autocomplete": "off"},
    )
    languages = _Checkboxes(_l("Languages"), description=_l("Languages the version declares."))
    default_language = SelectField(_l("Default language"))
    timezone = StringField(
        _l("Time zone of the dates"),
        validators=[DataRequired(), Length(max=64)],
        description=_l("An IANA time zone such as Asia/Shanghai; dates are stored in UTC."),
        render_kw={"list": "time-zones", "autocomplete": "off"},
    )
    opens_at = DateTimeLocalField(
        _l("Opens"),
        format=LOCAL_FORMATS,
        invalid_value_message=_BAD_DATE,
        validators=[Optional()],
        description=_l("Leave empty to open at once."),
    )
    closes_at = DateTimeLocalField(
        _l("Closes"),
        format=LOCAL_FORMATS,
        invalid_value_message=_BAD_DATE,
        validators=[Optional()],
        description=_l("Leave empty to keep it open until you set a closing time."),
    )
    partial_threshold = FloatField(
        _l("Partial threshold"),
        default=DEFAULT_PARTIAL_THRESHOLD,
        validators=[InputRequired(), NumberRange(min=0.01, max=1)],
        description=_l(
            "Share of the questions on a respondent's path that makes an unfinished interview "
            "a partial rather than a break-off (0.5 = half)."
        ),
    )

    def set_choices(self, versions: list[VersionChoice], languages: list[str]) -> None:
        """Offer ``versions`` and ``languages`` (the union of the versions' languages)."""
        self.version_id.choices = [(v.id, str(_l("Version %(number)d", number=v.number))) for v in versions]
        self.languages.choices = [(tag, language_label(tag)) for tag in languages]
        self.default_language.choices = [(tag, language_label(tag)) for tag in languages]

    def set_fieldable(self, fieldable: list[FieldableQuestionnaire], languages: list[str]) -> None:
        """Offer every version of ``fieldable`` (named with its questionnaire), and ``languages``."""
        self.version_id.choices = [
            (v.id, f"{q.record.title} ({q.record.key}) · {_l('Version %(number)d', number=v.number)}")
            for q in fieldable
            for v in q.versions
        ]
        self.languages.choices = [(tag, language_label(tag)) for tag in languages]
        self.default_language.choices = [(tag, language_label(tag)) for tag in languages]

    def validate_timezone(self, field: StringField) -> None:
        try:
            zone(field.data or "")
        except ValueError:
            raise ValidationError(
                str(
                    _l(
                        "“%(zone)s” is not a time zone: use a name such as Asia/Shanghai or UTC.",
                        zone=field.data,
                    )
                )
            ) from None

    def settings(self) -> SurveySettings | None:
        """The settings in UTC, or None after putting a date error on its field."""
        moments: dict[str, dt.datetime | None] = {}
        for name in ("opens_at", "closes_at"):
            field = getattr(self, name)
            try:
                moments[name] = to_utc(field.data, self.timezone.data) if field.data else None
            except NonexistentLocalTime:
                field.errors = [
                    *field.errors,
                    str(
                        _l(
                            "This time does not exist in %(zone)s (the clocks skip it).",
                            zone=self.timezone.data,
                        )
                    ),
                ]
        if len(moments) < 2:
            return None
        return {
            "name": self.name.data or "",
            "stakeholder_group": self.stakeholder_group.data or "",
            "languages": list(self.languages.data or []),
            "default_language": self.default_language.data or "",
            "opens_at": moments["opens_at"],
            "closes_at": moments["closes_at"],
            "partial_threshold": float(self.partial_threshold.data),
        }


class ButtonForm(_Form):
    """No fields: a button whose form exists for its CSRF token."""


class LinksForm(_Form):
    """Issue personal links (or pilot links, kept out of results) from the survey page."""

    count = IntegerField(
        _l("Number of links"),
        default=3,
        validators=[InputRequired(), NumberRange(min=1, max=MAX_LINKS)],
    )
    language = SelectField(_l("Language"), default="")
    context = TextAreaField(
        _l("Contact attributes (optional)"),
        validators=[Length(max=2000)],
        description=_l("One name=value per line, e.g. first_name=Test, for questions that use them."),
    )
    test = BooleanField(
        _l("Test links"),
        description=_l("For piloting: their interviews are kept out of results unless you ask for them."),
    )

    def set_languages(self, languages: list[str]) -> None:
        self.language.choices = [
            ("", str(_l("The respondent's browser"))),
            *((t, language_label(t)) for t in languages),
        ]

    def validate_context(self, field: TextAreaField) -> None:
        try:
            self.parsed_context = parse_context(field.data or "")
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    def contact(self) -> dict[str, Any]:
        """The parsed contact attributes (after validation)."""
        return dict(getattr(self, "parsed_context", {}))


def parse_context(text: str) -> dict[str, str]:
    """``first_name=Li`` lines as a dict; raises ValueError naming the first bad line."""
    context: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise ValueError(
                str(_l("Line %(n)d: write name=value, with a name of letters, digits and '_'.", n=number))
            )
        context[key] = value.strip()
    return context
