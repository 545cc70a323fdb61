"""Reads of questionnaires, the problems of their drafts, and their published versions."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass

from sqlmodel import Session, col, func, select
from werkzeug.exceptions import NotFound

from questionnaires.validation import Problem, validate
from survey_app.auth.models import User
from survey_app.designs.models import QuestionnaireRecord, QuestionnaireVersion

#: Validation results by the draft's content, so lists do not re-validate unchanged drafts.
_PROBLEMS: OrderedDict[str, tuple[Problem, ...]] = OrderedDict()
PROBLEM_CACHE_SIZE = 256
_PROBLEMS_LOCK = threading.Lock()


class QuestionnaireNotFound(NotFound, LookupError):
    """No questionnaire (or version) with that id: a 404 in a request, a LookupError elsewhere."""


def get_questionnaire(session: Session, questionnaire_id: int) -> QuestionnaireRecord:
    """The questionnaire with ``questionnaire_id``; raises QuestionnaireNotFound."""
    record = session.get(QuestionnaireRecord, questionnaire_id)
    if record is None:
        raise QuestionnaireNotFound()
    return record


def get_questionnaire_by_key(session: Session, key: str) -> QuestionnaireRecord | None:
    """The questionnaire (or template) whose key is ``key``, or None."""
    return session.exec(select(QuestionnaireRecord).where(QuestionnaireRecord.key == key)).first()


def key_taken(session: Session, key: str, *, exclude_id: int | None = None) -> bool:
    """Whether another questionnaire or template already uses ``key``."""
    statement = select(QuestionnaireRecord.id).where(QuestionnaireRecord.key == key)
    if exclude_id is not None:
        statement = statement.where(QuestionnaireRecord.id != exclude_id)
    return session.exec(statement).first() is not None


def draft_problems(record: QuestionnaireRecord) -> tuple[Problem, ...]:
    """The validator's problems of the draft (cached by content: validating costs milliseconds)."""
    canonical = json.dumps(record.draft, sort_keys=True, ensure_ascii=False, default=str)
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    with _PROBLEMS_LOCK:  # threaded workers share the cache; validating happens outside the lock
        cached = _PROBLEMS.get(digest)
        if cached is not None:
            _PROBLEMS.move_to_end(digest)
            return cached
    found = tuple(validate(record.draft))
    with _PROBLEMS_LOCK:
        _PROBLEMS[digest] = found
        if len(_PROBLEMS) > PROBLEM_CACHE_SIZE:
            _PROBLEMS.popitem(last=False)
    return found


def error_count(problems: tuple[Problem, ...] | list[Problem]) -> int:
    """How many of ``problems`` are errors (warnings do not block publishing)."""
    return sum(1 for problem in problems if problem.severity == "error")


@dataclass(frozen=True)
class QuestionnaireRow:
    """A line of the questionnaire list."""

    record: QuestionnaireRecord
    errors: int
    warnings: int
    latest_version: int | None


def query_questionnaires(
    session: Session, *, templates: bool = False, stakeholder_group: str | None = None
) -> list[QuestionnaireRow]:
    """Questionnaires (or library templates), most recently changed first, with draft status."""
    latest = (
        select(
            col(QuestionnaireVersion.questionnaire_id).label("questionnaire_id"),
            func.max(QuestionnaireVersion.number).label("number"),
        )
        .group_by(col(QuestionnaireVersion.questionnaire_id))
        .subquery()
    )
    statement = (
        select(QuestionnaireRecord, latest.c.number)
        .outerjoin(latest, latest.c.questionnaire_id == QuestionnaireRecord.id)
        .where(QuestionnaireRecord.is_template == templates)
    )
    if stakeholder_group is not None:
        statement = statement.where(QuestionnaireRecord.stakeholder_group == stakeholder_group)
    order = (col(QuestionnaireRecord.key),) if templates else (col(QuestionnaireRecord.updated_at).desc(),)
    rows = []
    for record, number in session.exec(statement.order_by(*order)):
        problems = draft_problems(record)
        errors = error_count(problems)
        rows.append(QuestionnaireRow(record, errors, len(problems) - errors, number))
    return rows


def stakeholder_groups_in_use(session: Session) -> list[str]:
    """Every stakeholder group a questionnaire or template has, sorted."""
    statement = select(QuestionnaireRecord.stakeholder_group).distinct()
    return sorted(session.exec(statement))


def get_version(session: Session, questionnaire_id: int, number: int) -> QuestionnaireVersion:
    """Version ``number`` of a questionnaire; raises QuestionnaireNotFound."""
    version = session.exec(
        select(QuestionnaireVersion).where(
            QuestionnaireVersion.questionnaire_id == questionnaire_id, QuestionnaireVersion.number == number
        )
    ).first()
    if version is None:
        raise QuestionnaireNotFound()
    return version


def latest_version(session: Session, questionnaire_id: int) -> QuestionnaireVersion | None:
    """The most recently published version of a questionnaire, or None."""
    return session.exec(
        select(QuestionnaireVersion)
        .where(QuestionnaireVersion.questionnaire_id == questionnaire_id)
        .order_by(col(QuestionnaireVersion.number).desc())
    ).first()


def unchanged_since(record: QuestionnaireRecord, version: QuestionnaireVersion | None) -> bool:
    """Whether the draft is exactly what ``version`` froze (publishing again would add nothing)."""
    return version is not None and {**record.draft, "version": version.number} == version.document


@dataclass(frozen=True)
class VersionRow:
    """A line of the version history."""

    number: int
    published_at: dt.datetime
    published_by: str | None


def query_versions(session: Session, questionnaire_id: int) -> list[VersionRow]:
    """The published versions of a questionnaire, newest first, with who published them."""
    statement = (
        select(QuestionnaireVersion.number, QuestionnaireVersion.published_at, User.display_name)
        .outerjoin(User, col(User.id) == col(QuestionnaireVersion.published_by_id))
        .where(QuestionnaireVersion.questionnaire_id == questionnaire_id)
        .order_by(col(QuestionnaireVersion.number).desc())
    )
    return [VersionRow(number, at, name) for number, at, name in session.exec(statement)]
