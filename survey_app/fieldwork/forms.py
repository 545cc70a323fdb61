"""Staff forms of the fieldwork monitor."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, TextAreaField
from wtforms.validators import InputRequired, ValidationError

from survey_app.fieldwork.plan import CHANNELS


class ActionForm(FlaskForm):  # type: ignore[misc]  # flask_wtf is untyped
    """A button that changes something (launch): only the CSRF token."""


class PauseForm(FlaskForm):  # type: ignore[misc]
    """Pause or resume: the whole survey (no field), one channel, or one wave."""

    channel = HiddenField()
    wave = HiddenField()

    def validate_channel(self, field: Field) -> None:
        if field.data and field.data not in CHANNELS:
            raise ValidationError(
                _("There is no channel “%(channel)s” in this survey’s sending.", channel=field.data)
            )

    def validate_wave(self, field: Field) -> None:
        if field.data and not (str(field.data).isdigit() and int(field.data) >= 1):
            raise ValidationError(_("A wave is a whole number from 1."))

    def validate(self, extra_validators: Any = None) -> bool:
        """Validate the fields, then refuse a channel and a wave at once."""
        if not super().validate(extra_validators):
            return False
        if self.channel.data and self.wave.data:
            self.form_errors.append(_("Pause a channel or a wave, not both at once."))
            return False
        return True

    def messages(self) -> list[str]:
        """Return every error, one sentence each."""
        return [
            *self.form_errors,
            *(m for errors in self.errors.values() for m in errors if isinstance(m, str)),
        ]

    def target(self) -> tuple[str | None, int | None]:
        """Return the (channel, wave) named, each None when not given (after validation)."""
        return (self.channel.data or None, int(self.wave.data) if self.wave.data else None)


class PlanForm(FlaskForm):  # type: ignore[misc]
    """The channel plan as JSON (see ``fieldwork.plan`` for the fields)."""

    document = TextAreaField(_l("Channel plan (JSON)"), validators=[InputRequired()])
