"""The CSV download: one row per interview, one column per answer variable.

Multiple choice becomes one 0/1 column per option (empty when the question was not answered);
matrices one column per row; "Don't know"/"Refused" go in ``<question>_special``. The file is
UTF-8 with a byte-order mark, which is what makes Excel open Chinese text correctly.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from sqlmodel import Session, col

from questionnaires.definition import Question, Questionnaire, QuestionType
from survey_app.results.queries import answered_questions, interviews
from survey_app.surveys import queries as survey_queries
from survey_app.surveys.models import Case, Interview, InterviewSource

BOM = "\ufeff"
META_COLUMNS = (
    "interview_id",
    "status",
    "source",
    "probability_sample",
    "test",
    "language",
    "channel",
    "version",
    "started_at",
    "completed_at",
)
#: A text cell starting with one of these is a formula to a spreadsheet: prefix it so it stays text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _columns_of(question: Question) -> list[tuple[str, Any]]:
    """The (column name, how to read it) pairs of one question."""
    qid = question.id
    columns: list[tuple[str, Any]] = []
    if question.type == QuestionType.MULTIPLE_CHOICE:
        columns += [(f"{qid}_{code}", ("choice", code)) for code in question.option_codes()]
    elif question.type == QuestionType.MATRIX:
        columns += [(f"{qid}_{item.code}", ("row", item.code)) for item in question.items]
    else:
        columns.append((qid, ("value", None)))
    if question.other is not None:
        columns.append((f"{qid}_other_text", ("other", None)))
    if question.special:
        columns.append((f"{qid}_special", ("special", None)))
    return columns


def header(questionnaire: Questionnaire) -> list[str]:
    """The column names: interview facts, then every answer variable in questionnaire order.

    A variable named like a fact column (a question ``language``) gets a ``q_`` prefix, so no two
    columns share a name.
    """
    names = (name for q in answered_questions(questionnaire) for name, _ in _columns_of(q))
    return [*META_COLUMNS, *(f"q_{name}" if name in META_COLUMNS else name for name in names)]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _read(question: Question, how: tuple[str, Any], answers: dict[str, Any]) -> Any:
    kind, key = how
    value = answers.get(question.id)
    special = (
        value.get("special") if isinstance(value, dict) and question.type != QuestionType.MATRIX else None
    )
    if kind == "special":
        return special
    if kind == "other":
        return answers.get(f"{question.id}_other")
    if value is None or special is not None:
        return None
    if kind == "choice":
        return 1 if isinstance(value, list) and key in [str(v) for v in value] else 0
    if kind == "row":
        cell = value.get(key) if isinstance(value, dict) else None
        return cell.get("special") if isinstance(cell, dict) else cell
    return value


def _iso(moment: dt.datetime | None) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else ""


def rows(questionnaire: Questionnaire, records: Iterable[Any], version_number: int) -> Iterator[list[str]]:
    """One CSV row per ``(Interview, is_test)`` record."""
    layout = [(q, how) for q in answered_questions(questionnaire) for _, how in _columns_of(q)]
    for interview, is_test in records:
        answers = interview.answers or {}
        yield [
            str(interview.id),
            interview.status,
            str(interview.source),
            "0" if interview.source == InterviewSource.open else "1",
            "1" if is_test else "0",
            interview.language,
            interview.channel,
            str(version_number),
            _iso(interview.started_at),
            _iso(interview.completed_at),
            *(_cell(_read(q, how, answers)) for q, how in layout),
        ]


def export_csv(session: Session, survey_id: int, version_id: int, *, include_tests: bool = False) -> bytes:
    """The survey's interviews as a CSV file (UTF-8 with BOM), oldest first."""
    questionnaire = survey_queries.get_questionnaire(session, version_id)
    version = survey_queries.get_version(session, version_id)
    statement = interviews(
        Interview, Case.is_test, survey_id=survey_id, include_tests=include_tests
    ).order_by(col(Interview.id))
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header(questionnaire))
    writer.writerows(rows(questionnaire, session.exec(statement), version.number))
    return buffer.getvalue().encode("utf-8")
