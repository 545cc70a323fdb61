"""Which language a respondent sees: the link's choice, then the browser's, then the survey's."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from survey_app.i18n import match_language


def respondent_language(
    survey_languages: Sequence[str],
    default_language: str,
    *,
    requested: str | None,
    case_language: str | None,
    accept_languages: Iterable[str],
) -> str:
    """Return the interview language.

    Order: ``?lang=`` on the link (also the language switch), the language recorded for the case
    (from the contact list), the browser's ``Accept-Language`` matched to the survey's languages
    (``zh-TW`` finds ``zh-Hant``), and finally the survey default.
    """
    for candidate in (requested, case_language):
        if candidate in survey_languages:
            return str(candidate)
    for value in accept_languages:
        if value in survey_languages:
            return value
        matched = match_language(value)
        if matched in survey_languages:
            return str(matched)
        primary = value.split("-")[0].lower()
        if primary in survey_languages:
            return primary
    return default_language
