"""Reads for surveys, cases and interviews."""

from __future__ import annotations

import datetime as dt
import enum
from collections import OrderedDict
from dataclasses import dataclass

from sqlmodel import Session, col, func, select

from questionnaires.definition import Questionnaire, parse_definition
from survey_app.designs.models import QuestionnaireVersion
from survey_app.surveys.models import Case, Interview, Survey
from survey_app.surveys.tokens import token_hash


class SurveyPhase(enum.StrEnum):
    """Whether a survey accepts answers now."""

    not_open = "not_open"
    open = "open"
    closed = "closed"


def survey_phase(survey: Survey, now: dt.datetime) -> SurveyPhase:
    """Return whether ``survey`` is before its opening, open, or past its closing time."""
    if survey.opens_at is not None and now < survey.opens_at:
        return SurveyPhase.not_open
    if survey.closes_at is not None and now >= survey.closes_at:
        return SurveyPhase.closed
    return SurveyPhase.open


@dataclass
class RespondentAccess:
    """Everything a respondent request needs, read in one query."""

    survey: Survey
    case: Case | None
    interview: Interview | None


def get_access_by_personal_token(session: Session, token: str) -> RespondentAccess | None:
    """Find the case, its survey and its interview (if started) from a personal link token."""
    row = session.exec(
        select(Case, Survey, Interview)
        .join(Survey, col(Survey.id) == col(Case.survey_id))
        .outerjoin(Interview, col(Interview.case_id) == col(Case.id))
        .where(Case.token_hash == token_hash(token))
    ).first()
    if row is None:
        return None
    case, survey, interview = row
    return RespondentAccess(survey=survey, case=case, interview=interview)


def get_access_by_resume_token(session: Session, token: str) -> RespondentAccess | None:
    """Find an open-link interview and its survey from the respondent's resume token."""
    row = session.exec(
        select(Interview, Survey)
        .join(Survey, col(Survey.id) == col(Interview.survey_id))
        .where(Interview.resume_hash == token_hash(token))
    ).first()
    if row is None:
        return None
    interview, survey = row
    return RespondentAccess(survey=survey, case=None, interview=interview)


def get_survey_by_open_token(session: Session, token: str) -> Survey | None:
    """Find the survey whose open link carries ``token``."""
    return session.exec(select(Survey).where(Survey.open_link_hash == token_hash(token))).first()


#: Parsed versions by (database, version id); bounded, least recently used dropped first.
_VERSION_CACHE: OrderedDict[tuple[str, int], Questionnaire] = OrderedDict()
VERSION_CACHE_SIZE = 256


def get_questionnaire(session: Session, version_id: int) -> Questionnaire:
    """Return the parsed, compiled definition of a published version.

    Published versions never change, so each process parses and compiles a version once; a
    respondent request then costs no read for the questionnaire. The key includes the database,
    so two apps in one process (tests, a CLI beside a server) never see each other's versions.
    """
    bind = session.get_bind()
    key = (str(bind.engine.url), version_id)
    cached = _VERSION_CACHE.get(key)
    if cached is not None:
        _VERSION_CACHE.move_to_end(key)
        return cached
    version = session.get(QuestionnaireVersion, version_id)
    if version is None:
        raise LookupError(f"questionnaire version {version_id} does not exist")
    questionnaire = parse_definition(version.document)
    _VERSION_CACHE[key] = questionnaire
    if len(_VERSION_CACHE) > VERSION_CACHE_SIZE:
        _VERSION_CACHE.popitem(last=False)
    return questionnaire


def count_interviews_by_status(session: Session, survey_id: int) -> dict[str, int]:
    """Return the number of interviews of a survey per engine status."""
    rows = session.exec(
        select(Interview.status, func.count())
        .where(Interview.survey_id == survey_id)
        .group_by(Interview.status)
    ).all()
    return {str(status): int(count) for status, count in rows}
