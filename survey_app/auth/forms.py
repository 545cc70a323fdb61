"""Sign-in, account and user-administration forms."""

from __future__ import annotations

from typing import TypedDict

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, NumberRange, Optional

from survey_app.auth.models import ROLE_LABELS, Role
from survey_app.auth.operations import MIN_PASSWORD_LENGTH, UserError
from survey_app.config import LANGUAGES


def _language_choices() -> list[tuple[str, str]]:
    return [("", str(_l("Same as the browser"))), *LANGUAGES.items()]


def _role_choices() -> list[tuple[str, str]]:
    return [(role.value, str(ROLE_LABELS[role])) for role in Role]


def show_error(form: FlaskForm, error: UserError) -> None:
    """Put an operation's error under the field it is about (or at the top of the form)."""
    field = getattr(form, error.field, None) if error.field else None
    if field is None:
        form.form_errors.append(error.message)
    else:
        field.errors = [*field.errors, error.message]


class _Form(FlaskForm):  # type: ignore[misc]  # flask_wtf ships no type information
    """The base of this module's forms."""


class ProfileFields(TypedDict):
    """The account fields the create and edit forms share, as ``operations`` expects them."""

    display_name: str
    role: Role
    vendor_id: int | None
    preferred_language: str | None


def profile_fields(form: _UserFields) -> ProfileFields:
    return {
        "display_name": form.display_name.data or "",
        "role": Role(form.role.data),
        "vendor_id": form.vendor_id.data,
        "preferred_language": form.preferred_language.data or None,
    }


class LoginForm(_Form):
    email = StringField(_l("E-mail address"), validators=[DataRequired(), Length(max=320)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    next = HiddenField()


class LogoutForm(_Form):
    """No fields: the form exists for its CSRF token, so a foreign page cannot sign people out."""


class _UserFields(_Form):
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    role = SelectField(_l("Role"), choices=_role_choices, validators=[DataRequired()])
    vendor_id = IntegerField(
        _l("Vendor number"),
        validators=[Optional(), NumberRange(min=1)],
        description=_l("Only for vendor managers and call agents."),
    )
    preferred_language = SelectField(_l("Interface language"), choices=_language_choices)


class UserCreateForm(_UserFields):
    email = StringField(_l("E-mail address"), validators=[DataRequired(), Email(), Length(max=320)])
    password = PasswordField(
        _l("Password"),
        validators=[Optional(), Length(min=MIN_PASSWORD_LENGTH)],
        description=_l("Leave empty to generate one; it is shown once."),
    )


class UserEditForm(_UserFields):
    is_active = BooleanField(_l("Active (can sign in)"))


class ResetPasswordForm(_Form):
    password = PasswordField(
        _l("New password"),
        validators=[Optional(), Length(min=MIN_PASSWORD_LENGTH)],
        description=_l("Leave empty to generate one; it is shown once."),
    )


class LanguageForm(_Form):
    preferred_language = SelectField(_l("Interface language"), choices=_language_choices)


class PasswordChangeForm(_Form):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH)]
    )
    confirm_password = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords do not match."))],
    )
