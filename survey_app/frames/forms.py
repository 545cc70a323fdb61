"""Forms of the frame pages: upload, the column-mapping step, the do-not-contact list, the rules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import Form, HiddenField, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from survey_app.frames.columns import (
    STANDARD_FIELDS,
    ColumnMap,
    MappingError,
    attribute_key,
    guess_column_map,
)
from survey_app.frames.labels import FIELDS, POLICIES
from survey_app.frames.models import DuplicatePolicy
from survey_app.frames.operations import MAX_FREQUENCY_DAYS
from survey_app.frames.phones import is_valid_region

ATTRIBUTE = "attribute"
IGNORE = "ignore"
ENCODING_CHOICES = [
    SelectChoice("auto", _l("Detect automatically")),
    SelectChoice("utf-8", "UTF-8"),
    SelectChoice("gb18030", "GB18030 / GBK (简体中文)"),
    SelectChoice("big5", "Big5 (繁體中文)"),
    SelectChoice("utf-16", "UTF-16"),
]


def _region(form: Form, field: Any) -> None:
    if field.data and not is_valid_region(field.data):
        raise ValidationError(_l("Unknown region code: use two letters such as CN, HK or US."))


class UploadForm(FlaskForm):  # type: ignore[misc]  # flask_wtf ships no type information
    """Step 1: the file and how to read it."""

    file = FileField(
        _l("Contact file"),
        validators=[FileRequired(_l("Choose a CSV or XLSX file."))],
        description=_l("CSV (UTF-8, GB18030/GBK, Big5) or XLSX; the first row names the columns."),
    )
    name = StringField(_l("Frame name"), validators=[DataRequired(), Length(max=200)])
    region = StringField(
        _l("Default phone region"),
        default="CN",
        validators=[Optional(), Length(min=2, max=2), _region],
        description=_l("Numbers written without +country code are read in this region (CN, HK, TW, US…)."),
    )
    encoding = SelectField(_l("Encoding (CSV)"), choices=ENCODING_CHOICES, default="auto")
    duplicates = SelectField(
        _l("Rows with the same phone or e-mail"),
        choices=[SelectChoice(p.value, POLICIES[p]) for p in DuplicatePolicy],
        default=DuplicatePolicy.keep_first.value,
    )


class MappingForm(FlaskForm):  # type: ignore[misc]  # flask_wtf ships no type information
    """Step 2: the upload token; one ``col-N`` select per file column (read in :func:`column_map`)."""

    token = HiddenField(validators=[InputRequired()])


def mapping_choices() -> list[tuple[str, object]]:
    """What a column can feed: an attribute (default), a contact field, or nothing."""
    return [
        (ATTRIBUTE, _l("Keep as attribute")),
        *((f, FIELDS[f]) for f in STANDARD_FIELDS),
        (IGNORE, _l("Ignore")),
    ]


def proposed_targets(header: Sequence[str]) -> list[str]:
    """The select value proposed for each column (recognised English and Chinese names)."""
    guess = guess_column_map(header)
    by_column = {column: target for target, column in guess.fields.items()}
    return [by_column.get(column, ATTRIBUTE) for column in header]


def column_map(header: Sequence[str], values: dict[str, str]) -> ColumnMap:
    """The map the user chose: ``values[f"col-{i}"]`` for column ``i`` (default: attribute).

    :raises MappingError: ``field_twice`` when one contact field is chosen for two columns.
    """
    fields: dict[str, str] = {}
    attributes: dict[str, str] = {}
    ignored: list[str] = []
    for i, column in enumerate(header):
        target = values.get(f"col-{i}", ATTRIBUTE)
        if target == IGNORE:
            ignored.append(column)
        elif target in STANDARD_FIELDS:
            if target in fields:
                raise MappingError("field_twice", f"{target} is chosen for two columns", field=FIELDS[target])
            fields[target] = column
        else:
            attributes[attribute_key(column, attributes)] = column
    return ColumnMap(fields=fields, attributes=attributes, ignored=tuple(ignored))


class AddressForm(FlaskForm):  # type: ignore[misc]  # flask_wtf ships no type information
    """Add one address to the do-not-contact list."""

    address = StringField(_l("Phone number or e-mail"), validators=[DataRequired(), Length(max=320)])
    region = StringField(
        _l("Region of numbers without +country code"),
        default="CN",
        validators=[Optional(), Length(min=2, max=2), _region],
    )


class AddressFileForm(FlaskForm):  # type: ignore[misc]  # flask_wtf ships no type information
    """Add a file of addresses (one per line, or the first column of a CSV)."""

    file = FileField(_l("File of addresses"), validators=[FileRequired(_l("Choose a file."))])
    region = StringField(
        _l("Region of numbers without +country code"),
        default="CN",
        validators=[Optional(), Length(min=2, max=2), _region],
    )


class RulesForm(FlaskForm):  # type: ignore[misc]  # flask_wtf ships no type information
    """The contact-frequency rule."""

    frequency_days = IntegerField(
        _l("Do not invite anyone invited by any survey in the last … days"),
        validators=[InputRequired(), NumberRange(min=0, max=MAX_FREQUENCY_DAYS)],
        description=_l("0 turns the rule off. Applied when a sample is drawn, and reported there."),
    )
