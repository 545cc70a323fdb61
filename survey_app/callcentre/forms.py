"""Forms of the staff pages (vendors, agent profiles) and the messages of the call-centre errors."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField
from wtforms.validators import DataRequired, Length

from survey_app.callcentre.models import AgentProfile

#: Error codes of ``operations.CallCentreError`` and ``queue.QueueError``, as the user reads them.
MESSAGES = {
    "name_required": _l("Enter the vendor's name."),
    "name_taken": _l("A vendor with this name already exists."),
    "bad_tag": _l("Use short codes separated by commas, such as en, zh-Hans or cantonese."),
    "languages_required": _l("Enter at least one language the agent speaks."),
    "bad_hour": _l("Enter a time such as 09:00."),
    "hours_order": _l("The end of the working hours must be after their start."),
    "bad_timezone": _l("Enter a time zone such as Asia/Shanghai."),
    "not_agent": _l("Only call agents of a vendor have a profile."),
    "no_cases": _l("This survey has no assigned cases with a phone number to queue."),
    "not_held": _l("You no longer hold this case."),
    "not_dialled": _l("Dial the number first."),
    "not_started": _l("Start the interview first (after the introduction)."),
    "dialled": _l("The number was dialled: record the call outcome instead of skipping."),
    "reason": _l("Choose why you skip this case."),
    "note": _l("Say why you skip this case."),
    "outcome": _l("Choose the outcome of the call."),
    "callback_time": _l(
        "Enter the callback time in the respondent's local time, later than now and between 08:00 and 21:00."
    ),
    "not_complete": _l("The interview is not finished: choose another outcome or finish the script."),
    "is_complete": _l("The interview is complete: record the outcome Complete."),
    "language": _l("This questionnaire is not available in that language."),
    "rating_mode": _l(
        "Choose how the respondent rates the interview: now, by text message or by automated call."
    ),
    "rating_exists": _l("The rating of this interview was already requested."),
    "no_rating": _l("No rating is being asked in this call."),
    "no_click_to_call": _l("Click-to-call is not available for your vendor."),
    "no_agent_phone": _l("Your phone number for click-to-call is not set: ask your vendor manager."),
    "twilio": _l("The call could not be placed: dial the number by hand and record the outcome as usual."),
    "no_bridge": _l("There is no connected click-to-call for this attempt."),
    "recording_exists": _l("The recording has already started."),
    "bad_phone": _l("Enter the phone number in international format, such as +8613800138000."),
}

STATUS_LABELS = {
    "waiting": _l("Waiting"),
    "locked": _l("On a call"),
    "final": _l("Finished"),
}

SKIP_LABELS = {
    "knows_respondent": _l("I know the respondent"),
    "language": _l("I do not speak the respondent's language"),
    "technical": _l("Technical problem on my side"),
    "other": _l("Other reason (say which)"),
}


def split_tags(value: str | None) -> list[str]:
    """``"en, zh-Hans"`` → ``["en", "zh-Hans"]``."""
    return [part.strip() for part in (value or "").replace(";", ",").split(",") if part.strip()]


class VendorForm(FlaskForm):  # type: ignore[misc]  # flask_wtf ships no type information
    """A new vendor."""

    name = StringField(_l("Vendor name"), validators=[DataRequired(), Length(max=200)])
    click_to_call = BooleanField(_l("Click-to-call allowed"))


class QueueSurveyForm(FlaskForm):  # type: ignore[misc]
    """Queue a survey's assigned cases for calling."""

    survey_id = IntegerField(_l("Survey number"), validators=[DataRequired()])


class AgentProfileForm(FlaskForm):  # type: ignore[misc]
    """An agent's languages, dialects, skills and working hours."""

    languages = StringField(_l("Languages (comma-separated codes)"), validators=[Length(max=200)])
    dialects = StringField(_l("Dialects"), validators=[Length(max=200)])
    skills = StringField(_l("Skills"), validators=[Length(max=200)])
    work_start = StringField(_l("Working hours from"), validators=[Length(max=5)])
    work_end = StringField(_l("Working hours until"), validators=[Length(max=5)])
    timezone = StringField(_l("Time zone"), validators=[Length(max=64)])
    phone = StringField(_l("Phone for click-to-call (international format)"), validators=[Length(max=32)])

    def fill(self, profile: AgentProfile) -> None:
        """Show a stored profile in the form."""
        self.languages.data = ", ".join(profile.languages)
        self.dialects.data = ", ".join(profile.dialects)
        self.skills.data = ", ".join(profile.skills)
        self.work_start.data, self.work_end.data = profile.work_start, profile.work_end
        self.timezone.data = profile.timezone
        self.phone.data = profile.phone or ""
