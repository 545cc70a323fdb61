"""Reads of the results pages: outcome counts, the paginated responses list and one response in full."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, func

from questionnaires.definition import NON_ANSWERED_TYPES, Question, Questionnaire, QuestionType, localize
from questionnaires.state import InterviewState
from survey_app.surveys import queries as survey_queries
from survey_app.surveys.models import Case, Interview, InterviewSource

PER_PAGE = 50
#: Statuses whose answers enter the per-question summary (AAPOR 1.1 and 1.2); break-offs do not.
SUMMARY_STATUSES = ("complete", "partial")
SPECIAL_LABELS = {"dont_know": _l("Don't know"), "refused": _l("Refused")}
YES_NO = {True: _l("Yes"), False: _l("No")}


class PageOutOfRange(LookupError):
    """The responses list has no such page."""


def interviews(*columns: Any, survey_id: int, include_tests: bool) -> Any:
    """``select(*columns)`` over a survey's interviews (outer-joined to their case), tests left out
    unless ``include_tests``."""
    statement = survey_queries.query_interviews_joined(*columns).where(Interview.survey_id == survey_id)
    return statement if include_tests else survey_queries.not_test(statement)


@dataclass(frozen=True)
class Outcomes:
    """How a survey's interviews stand (test links left out unless asked for)."""

    started: int = 0
    completed: int = 0
    partial: int = 0
    break_off: int = 0
    not_started: int = 0
    #: Of ``started``, how many came in through the open link (a non-probability source).
    open_link: int = 0

    @property
    def completion_rate(self) -> float | None:
        """Completed as a share of started (None before anyone started)."""
        return self.completed / self.started if self.started else None


def count_outcomes(session: Session, survey_id: int, *, include_tests: bool = False) -> Outcomes:
    """Started (every interview record), completed, partial, break-off and open-link counts."""
    rows = session.exec(
        interviews(
            col(Interview.status),
            col(Interview.source),
            func.count(),
            survey_id=survey_id,
            include_tests=include_tests,
        ).group_by(col(Interview.status), col(Interview.source))
    ).all()
    by_status: Counter[str] = Counter()
    open_link = 0
    for status, source, count in rows:
        by_status[str(status)] += int(count)
        if source == InterviewSource.open:
            open_link += int(count)
    return Outcomes(
        started=sum(by_status.values()),
        completed=by_status["complete"],
        partial=by_status["partial"],
        break_off=by_status["break_off"],
        not_started=by_status["not_started"],
        open_link=open_link,
    )


@dataclass(frozen=True)
class ResponseRow:
    """A line of the responses list (no answers or state: those stay in the database)."""

    id: int
    status: str
    source: InterviewSource
    language: str
    channel: str
    started_at: dt.datetime
    updated_at: dt.datetime
    completed_at: dt.datetime | None
    is_test: bool


@dataclass(frozen=True)
class ResponsePage:
    """One page of the responses list."""

    rows: list[ResponseRow]
    total: int
    page: int
    pages: int


def query_responses(
    session: Session,
    survey_id: int,
    *,
    page: int = 1,
    include_tests: bool = False,
    per_page: int | None = None,
) -> ResponsePage:
    """A page of a survey's interviews, newest first: one query for the count, one for the rows.

    :raises PageOutOfRange: ``page`` is past the last page (page 1 always exists).
    """
    per_page = per_page or PER_PAGE
    total = int(
        session.exec(interviews(func.count(), survey_id=survey_id, include_tests=include_tests)).one()
    )
    pages = max(1, math.ceil(total / per_page))
    if page < 1 or page > pages:
        raise PageOutOfRange(page)
    statement = (
        interviews(
            Interview.id,
            Interview.status,
            Interview.source,
            Interview.language,
            Interview.channel,
            Interview.started_at,
            Interview.updated_at,
            Interview.completed_at,
            Case.is_test,
            survey_id=survey_id,
            include_tests=include_tests,
        )
        .order_by(col(Interview.id).desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    rows = [
        ResponseRow(
            int(r[0]), str(r[1]), InterviewSource(r[2]), str(r[3]), str(r[4]), r[5], r[6], r[7], bool(r[8])
        )
        for r in session.exec(statement)
    ]
    return ResponsePage(rows, total, page, pages)


@dataclass(frozen=True)
class AnswerLine:
    """One answered question of a response, as people read it."""

    question_id: str
    text: str
    answers: list[str]


@dataclass(frozen=True)
class Paradata:
    """How the interview went: time taken and what the respondent did besides answering."""

    seconds: float | None
    pages_submitted: int
    changed: int
    invalid: int
    back: int
    language_switches: int
    channel_switches: int


@dataclass(frozen=True)
class ResponseDetail:
    """One response in full."""

    interview: Interview
    is_test: bool
    version_number: int
    lines: list[AnswerLine]
    paradata: Paradata


def get_response(session: Session, survey_id: int, interview_id: int, language: str) -> ResponseDetail:
    """The interview ``interview_id`` of the survey, its answers labelled in ``language``.

    :raises SurveyNotFound: no such interview in this survey (a 404 in a request).
    """
    row = session.exec(
        survey_queries.query_interviews_joined(Interview, Case.is_test).where(
            Interview.id == interview_id, Interview.survey_id == survey_id
        )
    ).first()
    if row is None:
        raise survey_queries.SurveyNotFound()
    interview, is_test = row
    version = survey_queries.get_version(session, interview.version_id)
    questionnaire = survey_queries.get_questionnaire(session, interview.version_id)
    return ResponseDetail(
        interview=interview,
        is_test=bool(is_test),
        version_number=version.number,
        lines=answer_lines(questionnaire, interview.answers, language),
        paradata=paradata_of(interview.state),
    )


def answer_lines(questionnaire: Questionnaire, answers: dict[str, Any], language: str) -> list[AnswerLine]:
    """The answered questions in questionnaire order, with texts and answer labels in ``language``."""
    fallback = questionnaire.default_language
    lines = []
    for question in questionnaire.questions():
        if question.type == QuestionType.INFO or question.id not in answers:
            continue
        text = localize(question.text, language, fallback) or question.id
        labels = answer_labels(question, answers[question.id], language, fallback)
        other = answers.get(f"{question.id}_other")
        if other:
            labels.append(
                f"{localize(question.other.label, language, fallback) if question.other else ''}: {other}"
            )
        lines.append(AnswerLine(question.id, text, labels))
    return lines


def answer_labels(question: Question, value: Any, language: str, fallback: str) -> list[str]:
    """A stored answer as the labels a person reads (codes become option labels)."""
    if isinstance(value, dict) and "special" in value:
        special = next((s for s in question.special if s.kind.value == value["special"]), None)
        label = localize(special.label, language, fallback) if special and special.label else ""
        return [label or str(SPECIAL_LABELS.get(value["special"], value["special"]))]
    options = {o.code: localize(o.label, language, fallback) for o in question.options}
    if question.type == QuestionType.MATRIX and isinstance(value, dict):
        rows = {o.code: localize(o.label, language, fallback) for o in question.items}
        return [
            f"{rows.get(k, k)}: {_point(question, v, options, language, fallback)}" for k, v in value.items()
        ]
    if isinstance(value, list):
        return [options.get(str(v), str(v)) for v in value]
    if question.type == QuestionType.YES_NO:
        return [str(YES_NO[bool(value)])]
    if question.type in (QuestionType.RATING, QuestionType.NPS):
        return [_point(question, value, options, language, fallback)]
    return [options.get(str(value), str(value))]


def _point(question: Question, value: Any, options: dict[str, str], language: str, fallback: str) -> str:
    scale = question.scale
    if scale is not None and scale.labels and str(value) in scale.labels:
        return f"{value} ({localize(scale.labels[str(value)], language, fallback)})"
    return options.get(str(value), str(value))


def paradata_of(state: dict[str, Any]) -> Paradata:
    """Summarise the engine's events (``[at, kind, question, detail]``) of one interview."""
    restored = InterviewState.from_dict(state)
    kinds = Counter(event.kind for event in restored.events)
    end = restored.completed_at or (restored.events[-1].at if restored.events else None)
    seconds = end - restored.started_at if end is not None and restored.started_at else None
    return Paradata(
        seconds=seconds,
        pages_submitted=len(restored.history),
        changed=kinds["changed"],
        invalid=kinds["invalid"],
        back=kinds["back"],
        language_switches=kinds["language"],
        channel_switches=kinds["channel"],
    )


def answered_questions(questionnaire: Questionnaire) -> list[Question]:
    """The questions that carry answers (statements left out), in questionnaire order."""
    return [q for q in questionnaire.questions() if q.type not in NON_ANSWERED_TYPES]
