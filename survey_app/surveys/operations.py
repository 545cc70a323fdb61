"""Writes of surveys: create and edit a survey, its open link, and personal links.

Each operation validates, writes and commits, or raises :class:`SurveyError` and writes nothing.
Link tokens are returned once, in plain text, and stored only as their hash
(``surveys.tokens``): a leaked database does not leak working links.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import update
from sqlmodel import Session, col, select

from questionnaires import engine
from questionnaires.state import InterviewState
from survey_app.auth.models import User
from survey_app.designs.models import QuestionnaireVersion
from survey_app.designs.operations import GROUP_PATTERN
from survey_app.sampling.queries import has_draw
from survey_app.surveys import queries
from survey_app.surveys.models import Case, Interview, Survey
from survey_app.surveys.tokens import new_token, token_hash

DEFAULT_PARTIAL_THRESHOLD = engine.DEFAULT_PARTIAL_THRESHOLD
#: At most this many links issued by hand at once: each is shown on the page (samples are drawn instead).
MAX_LINKS = 50


class SurveyError(ValueError):
    """A rule about surveys was broken; ``field`` names the form field to show it on."""

    def __init__(self, message: object, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.field = field


def _version_languages(version: QuestionnaireVersion) -> tuple[str, ...]:
    return tuple(str(tag) for tag in version.document.get("languages") or ["en"])


def _check_settings(
    version: QuestionnaireVersion,
    *,
    name: str,
    stakeholder_group: str,
    languages: Sequence[str],
    default_language: str,
    opens_at: dt.datetime | None,
    closes_at: dt.datetime | None,
    partial_threshold: float,
) -> dict[str, Any]:
    name = name.strip()
    if not name:
        raise SurveyError(_l("Give the survey a name."), "name")
    if len(name) > 200:
        raise SurveyError(_l("A survey name has at most 200 characters."), "name")
    group = stakeholder_group.strip()
    if not GROUP_PATTERN.match(group):
        raise SurveyError(
            _l("A stakeholder group is lower-case letters, digits and '_', e.g. end_customer."),
            "stakeholder_group",
        )
    declared = _version_languages(version)
    chosen = [tag for tag in declared if tag in languages]  # the version's order, no duplicates
    unknown = [tag for tag in languages if tag not in declared]
    if unknown:
        raise SurveyError(
            _l(
                "%(languages)s: not a language of version %(number)d (it has %(declared)s).",
                languages=", ".join(unknown),
                number=version.number,
                declared=", ".join(declared),
            ),
            "languages",
        )
    if not chosen:
        raise SurveyError(_l("Choose at least one language."), "languages")
    if default_language not in chosen:
        raise SurveyError(
            _l("The default language must be one of the survey's languages."), "default_language"
        )
    for moment in (opens_at, closes_at):
        if moment is not None and moment.tzinfo is None:
            raise ValueError("survey dates must be timezone-aware")
    if opens_at is not None and closes_at is not None and closes_at <= opens_at:
        raise SurveyError(_l("The survey must close after it opens."), "closes_at")
    if not 0 < partial_threshold <= 1:
        raise SurveyError(
            _l("The partial threshold is a share above 0 and at most 1 (e.g. 0.5 for half)."),
            "partial_threshold",
        )
    return {
        "name": name,
        "stakeholder_group": group,
        "languages": chosen,
        "default_language": default_language,
        "opens_at": opens_at,
        "closes_at": closes_at,
        "partial_threshold": float(partial_threshold),
    }


def create_survey(
    session: Session,
    *,
    version: QuestionnaireVersion,
    name: str,
    stakeholder_group: str,
    languages: Sequence[str],
    default_language: str,
    opens_at: dt.datetime | None,
    closes_at: dt.datetime | None,
    partial_threshold: float = DEFAULT_PARTIAL_THRESHOLD,
    user: User | None = None,
) -> Survey:
    """Field ``version``: a new survey with its languages, schedule (aware datetimes) and threshold.

    :raises SurveyError: a setting is invalid; ``field`` names it.
    """
    settings = _check_settings(
        version,
        name=name,
        stakeholder_group=stakeholder_group,
        languages=languages,
        default_language=default_language,
        opens_at=opens_at,
        closes_at=closes_at,
        partial_threshold=partial_threshold,
    )
    survey = Survey(version_id=version.id or 0, created_by_id=user.id if user else None, **settings)
    session.add(survey)
    session.commit()
    return survey


def update_survey(
    session: Session,
    survey: Survey,
    *,
    version: QuestionnaireVersion,
    name: str,
    stakeholder_group: str,
    languages: Sequence[str],
    default_language: str,
    opens_at: dt.datetime | None,
    closes_at: dt.datetime | None,
    partial_threshold: float,
) -> Survey:
    """Change a survey's settings. Its version is fixed once an interview exists.

    A new partial threshold re-classifies the survey's unfinished interviews at once, so results
    never mix the old and the new rule.

    :raises SurveyError: a setting is invalid, or the version would change under interviews.
    """
    if version.id != survey.version_id:
        existing = queries.count_interviews(session, survey.id or 0)
        if existing:
            current = queries.get_version(session, survey.version_id)
            raise SurveyError(
                _l(
                    "The version cannot change: %(n)d interviews were recorded with version %(number)d. "
                    "Create a new survey to field another version.",
                    n=existing,
                    number=current.number,
                ),
                "version_id",
            )
    settings = _check_settings(
        version,
        name=name,
        stakeholder_group=stakeholder_group,
        languages=languages,
        default_language=default_language,
        opens_at=opens_at,
        closes_at=closes_at,
        partial_threshold=partial_threshold,
    )
    threshold_changed = settings["partial_threshold"] != survey.partial_threshold
    survey.version_id = version.id or 0
    for key, value in settings.items():
        setattr(survey, key, value)
    session.add(survey)
    if threshold_changed:
        _reclassify_unfinished(session, survey)
    session.commit()
    return survey


def _reclassify_unfinished(session: Session, survey: Survey) -> None:
    questionnaire = queries.get_questionnaire(session, survey.version_id)
    rows = session.exec(
        select(Interview.id, Interview.state, Interview.status).where(
            Interview.survey_id == survey.id, col(Interview.completed_at).is_(None)
        )
    ).all()
    for interview_id, state, status in rows:
        new = engine.interview_status(
            questionnaire, InterviewState.from_dict(state), partial_threshold=survey.partial_threshold
        ).value
        if new != status:
            session.execute(update(Interview).where(col(Interview.id) == interview_id).values(status=new))


def create_open_link(session: Session, survey: Survey) -> str:
    """Give the survey a new open link and return its token (shown once); any old link stops working."""
    token = new_token()
    survey.open_link_hash = token_hash(token)
    session.add(survey)
    session.commit()
    return token


def disable_open_link(session: Session, survey: Survey) -> None:
    """Switch the open link off: its address answers "not found" from now on."""
    survey.open_link_hash = None
    session.add(survey)
    session.commit()


def create_personal_links(
    session: Session,
    survey: Survey,
    contexts: Sequence[Mapping[str, Any]],
    language: str | None = None,
    *,
    languages: Sequence[str | None] | None = None,
    is_test: bool = False,
) -> list[str]:
    """Create one case per context and return their personal-link tokens, in order (shown once).

    :param contexts: contact attributes per respondent that the questionnaire may pipe or test
        (``{"first_name": "Li"}``); ``{}`` for none.
    :param language: the interview language of every link (default: the respondent's browser,
        then the survey's default language); ``languages`` gives one per context instead.
    :param is_test: pilot links, kept out of results unless asked for.
    :raises SurveyError: a language is not one of the survey's.
    :raises SurveyError: also when the survey's sample has been drawn and the links are not test links.
    """
    if not is_test and has_draw(session, survey.id or 0):
        # Drawn respondents are fixed: nobody hand-picks who is asked (sampling, issue 4).
        raise SurveyError(
            _l("This survey's sample has been drawn: respondents cannot be added by hand."), "count"
        )
    per_link = list(languages) if languages is not None else [language] * len(contexts)
    if len(per_link) != len(contexts):
        raise ValueError("give one language per context")
    for tag in per_link:
        if tag is not None and tag not in survey.languages:
            raise SurveyError(
                _l("%(language)s is not one of this survey's languages.", language=tag), "language"
            )
    tokens = [new_token() for _ in contexts]
    for token, context, tag in zip(tokens, contexts, per_link, strict=True):
        session.add(
            Case(
                survey_id=survey.id or 0,
                token_hash=token_hash(token),
                language=tag,
                context=dict(context),
                is_test=is_test,
            )
        )
    session.commit()
    return tokens


def issue_links(
    session: Session,
    survey: Survey,
    count: int,
    language: str | None = None,
    context: Mapping[str, Any] | None = None,
    *,
    is_test: bool = False,
) -> list[str]:
    """Issue ``count`` personal links by hand (pilot links with ``is_test``); return their tokens once.

    :param context: contact attributes every link gets (``{"first_name": "Test"}``).
    :raises SurveyError: ``count`` is out of range or the language is not the survey's.
    """
    if not 1 <= count <= MAX_LINKS:
        raise SurveyError(_l("Issue between 1 and %(max)d links at a time.", max=MAX_LINKS), "count")
    contexts = [dict(context or {}) for _ in range(count)]
    return create_personal_links(session, survey, contexts, language, is_test=is_test)
