"""Reads for surveys, cases and interviews."""

from __future__ import annotations

import datetime as dt
import enum
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, false
from sqlmodel import Session, col, func, or_, select
from werkzeug.exceptions import NotFound

from questionnaires.definition import Questionnaire, parse_definition
from survey_app.designs.models import QuestionnaireRecord, QuestionnaireVersion
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


# Built once: building a joined select costs more CPU than running it. ``token_hash`` is bound
# per call.
_BY_PERSONAL_TOKEN = (
    select(Case, Survey, Interview)
    .join(Survey, col(Survey.id) == col(Case.survey_id))
    .outerjoin(Interview, col(Interview.case_id) == col(Case.id))
    .where(col(Case.token_hash) == bindparam("token_hash"))
)
_BY_RESUME_TOKEN = (
    select(Interview, Survey)
    .join(Survey, col(Survey.id) == col(Interview.survey_id))
    .where(col(Interview.resume_hash) == bindparam("token_hash"))
)


def get_access_by_personal_token(session: Session, token: str) -> RespondentAccess | None:
    """Find the case, its survey and its interview (if started) from a personal link token."""
    row = session.exec(_BY_PERSONAL_TOKEN, params={"token_hash": token_hash(token)}).first()
    if row is None:
        return None
    case, survey, interview = row
    return RespondentAccess(survey=survey, case=case, interview=interview)


def get_access_by_resume_token(session: Session, token: str) -> RespondentAccess | None:
    """Find an open-link interview and its survey from the respondent's resume token."""
    row = session.exec(_BY_RESUME_TOKEN, params={"token_hash": token_hash(token)}).first()
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


# --- staff pages ------------------------------------------------------------------------------


class SurveyNotFound(NotFound, LookupError):
    """No survey (or version) with that id: a 404 in a request, a LookupError elsewhere."""


def get_survey(session: Session, survey_id: int) -> Survey:
    """The survey with ``survey_id``; raises SurveyNotFound."""
    survey = session.get(Survey, survey_id)
    if survey is None:
        raise SurveyNotFound()
    return survey


def get_version(session: Session, version_id: int) -> QuestionnaireVersion:
    """The published version with ``version_id``; raises SurveyNotFound."""
    version = session.get(QuestionnaireVersion, version_id)
    if version is None:
        raise SurveyNotFound()
    return version


def not_test(statement: Any) -> Any:
    """Restrict an interview query (already outer-joined to ``Case``) to real, non-test interviews."""
    return statement.where(or_(col(Case.is_test).is_(None), col(Case.is_test) == false()))


def query_interviews_joined(*columns: Any) -> Any:
    """``select(*columns)`` over interviews, outer-joined to their case (open links have none)."""
    return select(*columns).select_from(Interview).outerjoin(Case, col(Case.id) == col(Interview.case_id))


@dataclass(frozen=True)
class SurveyRow:
    """A line of the survey list."""

    survey: Survey
    questionnaire_id: int
    questionnaire_title: str
    version_number: int
    phase: SurveyPhase
    #: Interviews (test links excluded) and how many of them are complete.
    started: int
    completed: int


def query_survey_rows(session: Session, now: dt.datetime) -> list[SurveyRow]:
    """Every survey with its questionnaire, version, phase and interview counts, newest first."""
    counts = (
        not_test(
            query_interviews_joined(
                col(Interview.survey_id).label("survey_id"),
                func.count().label("started"),
                func.count().filter(col(Interview.status) == "complete").label("completed"),
            )
        )
        .group_by(col(Interview.survey_id))
        .subquery()
    )
    statement = (
        select(Survey, QuestionnaireRecord.id, QuestionnaireRecord.title, QuestionnaireVersion.number)
        .add_columns(counts.c.started, counts.c.completed)
        .join(QuestionnaireVersion, col(QuestionnaireVersion.id) == col(Survey.version_id))
        .join(QuestionnaireRecord, col(QuestionnaireRecord.id) == col(QuestionnaireVersion.questionnaire_id))
        .outerjoin(counts, counts.c.survey_id == col(Survey.id))
        .order_by(col(Survey.created_at).desc(), col(Survey.id).desc())
    )
    return [
        SurveyRow(survey, qid or 0, title, number, survey_phase(survey, now), started or 0, completed or 0)
        for survey, qid, title, number, started, completed in session.execute(statement)
    ]


def get_survey_row(session: Session, survey: Survey, now: dt.datetime) -> SurveyRow:
    """The list line of one survey (its questionnaire, version, phase and counts)."""
    version = get_version(session, survey.version_id)
    record = session.get(QuestionnaireRecord, version.questionnaire_id)
    started, completed = session.exec(
        not_test(
            query_interviews_joined(
                func.count(), func.count().filter(col(Interview.status) == "complete")
            ).where(Interview.survey_id == survey.id)
        )
    ).one()
    title = record.title if record is not None else ""
    return SurveyRow(
        survey, version.questionnaire_id, title, version.number, survey_phase(survey, now), started, completed
    )


def count_interviews(session: Session, survey_id: int) -> int:
    """How many interviews (test ones included) a survey has: once there is one, its version is fixed."""
    statement = select(func.count()).select_from(Interview).where(Interview.survey_id == survey_id)
    return int(session.exec(statement).one())


@dataclass(frozen=True)
class TestLinkCounts:
    """The pilot links of a survey and the interviews they produced."""

    links: int
    interviews: int


def count_test_links(session: Session, survey_id: int) -> TestLinkCounts:
    """How many test links a survey has, and how many of them were opened."""
    links, interviews = session.exec(
        select(func.count(col(Case.id)), func.count(col(Interview.id)))
        .select_from(Case)
        .outerjoin(Interview, col(Interview.case_id) == col(Case.id))
        .where(Case.survey_id == survey_id, col(Case.is_test))
    ).one()
    return TestLinkCounts(int(links), int(interviews))


@dataclass(frozen=True)
class VersionChoice:
    """A published version one can field."""

    id: int
    number: int
    published_at: dt.datetime
    languages: tuple[str, ...]


@dataclass(frozen=True)
class FieldableQuestionnaire:
    """A questionnaire with at least one published version, its versions newest first."""

    record: QuestionnaireRecord
    versions: tuple[VersionChoice, ...]

    @property
    def latest(self) -> VersionChoice:
        return self.versions[0]


def _languages_of(document: dict[str, Any]) -> tuple[str, ...]:
    languages = document.get("languages") or ["en"]
    return tuple(str(tag) for tag in languages)


def query_fieldable_questionnaires(session: Session) -> list[FieldableQuestionnaire]:
    """Questionnaires (not library templates) with published versions, by title."""
    statement = (
        select(QuestionnaireRecord, QuestionnaireVersion)
        .join(QuestionnaireVersion, col(QuestionnaireVersion.questionnaire_id) == col(QuestionnaireRecord.id))
        .where(col(QuestionnaireRecord.is_template) == false())
        .order_by(
            col(QuestionnaireRecord.title),
            col(QuestionnaireRecord.id),
            col(QuestionnaireVersion.number).desc(),
        )
    )
    grouped: dict[int, tuple[QuestionnaireRecord, list[VersionChoice]]] = {}
    for record, version in session.exec(statement):
        entry = grouped.setdefault(record.id or 0, (record, []))
        entry[1].append(
            VersionChoice(
                version.id or 0, version.number, version.published_at, _languages_of(version.document)
            )
        )
    return [FieldableQuestionnaire(record, tuple(versions)) for record, versions in grouped.values()]


def query_sibling_versions(session: Session, version: QuestionnaireVersion) -> list[VersionChoice]:
    """Every published version of ``version``'s questionnaire, newest first (the edit form's choices)."""
    statement = (
        select(QuestionnaireVersion)
        .where(QuestionnaireVersion.questionnaire_id == version.questionnaire_id)
        .order_by(col(QuestionnaireVersion.number).desc())
    )
    return [
        VersionChoice(v.id or 0, v.number, v.published_at, _languages_of(v.document))
        for v in session.exec(statement)
    ]


def get_questionnaire_record(session: Session, version: QuestionnaireVersion) -> QuestionnaireRecord:
    """The questionnaire a version belongs to."""
    record = session.get(QuestionnaireRecord, version.questionnaire_id)
    if record is None:
        raise SurveyNotFound()
    return record
