"""Per-question summaries: counts and shares, means of scales, NPS, and a few verbatims.

The answers of complete and partial interviews are read once (only the ``answers`` column) and
tallied here; a summary needs no engine and no per-question query.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col

from questionnaires.definition import Question, Questionnaire, QuestionType, localize
from survey_app.results.queries import (
    SPECIAL_LABELS,
    SUMMARY_STATUSES,
    YES_NO,
    answered_questions,
    interviews,
)
from survey_app.surveys import queries as survey_queries
from survey_app.surveys.models import Interview

#: Verbatims shown per text question (the newest); all of them are in the responses and the CSV.
VERBATIMS = 5
#: Distinct values listed for a calculated value that is not a number.
MAX_CATEGORIES = 10


@dataclass(frozen=True)
class Bar:
    """One answer category: its label, how many gave it, and their share of the base (0–100)."""

    label: str
    count: int
    percent: float


@dataclass(frozen=True)
class Nps:
    """Net Promoter Score: promoters (9–10) minus detractors (0–6), in percentage points."""

    promoters: Bar
    passives: Bar
    detractors: Bar

    @property
    def groups(self) -> list[Bar]:
        """Promoters, passives and detractors, for a chart."""
        return [self.promoters, self.passives, self.detractors]

    @property
    def score(self) -> float:
        """The NPS, from -100 to +100."""
        return self.promoters.percent - self.detractors.percent


@dataclass(frozen=True)
class RowSummary:
    """One row of a matrix question."""

    label: str
    bars: list[Bar]
    mean: float | None


@dataclass
class QuestionSummary:
    """What the respondents answered to one question."""

    question: Question
    text: str
    #: Interviews with an answer (specials included): the base of the shares.
    answered: int = 0
    bars: list[Bar] = field(default_factory=list)
    specials: list[Bar] = field(default_factory=list)
    mean: float | None = None
    minimum: float | None = None
    maximum: float | None = None
    #: Share of the scale's highest point (the loyal "very satisfied" top box).
    top_box: float | None = None
    nps: Nps | None = None
    rows: list[RowSummary] = field(default_factory=list)
    verbatims: list[str] = field(default_factory=list)
    #: Multiple choice: shares are of respondents, so they may add up to more than 100.
    multiple: bool = False


def _share(count: int, base: int) -> float:
    return 100.0 * count / base if base else 0.0


def _bars(labels: list[tuple[str, str]], counts: Counter[str], base: int) -> list[Bar]:
    return [Bar(label, counts[key], _share(counts[key], base)) for key, label in labels]


def _points(question: Question, language: str, fallback: str) -> list[tuple[str, str]]:
    """The (value, label) of every point of a rating or NPS scale, ends labelled."""
    if question.type == QuestionType.NPS:
        values = list(range(0, 11))
    else:
        scale = question.scale
        start, points = (scale.start, scale.points) if scale else (1, 5)
        values = list(range(start, start + points))
    scale = question.scale
    labels = []
    for value in values:
        label = str(value)
        if scale is not None and scale.labels and str(value) in scale.labels:
            label = f"{value} {localize(scale.labels[str(value)], language, fallback)}"
        elif scale is not None and value == values[0] and scale.low_label:
            label = f"{value} {localize(scale.low_label, language, fallback)}"
        elif scale is not None and value == values[-1] and scale.high_label:
            label = f"{value} {localize(scale.high_label, language, fallback)}"
        labels.append((str(value), label))
    return labels


def _numbers(values: list[Any]) -> list[float]:
    return [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)]


def summarize_question(
    question: Question, values: list[Any], language: str, fallback: str
) -> QuestionSummary:
    """Tally the stored answers ``values`` (newest first) of one question."""
    summary = QuestionSummary(question, localize(question.text, language, fallback) or question.id)
    specials: Counter[str] = Counter()
    given = []
    for value in values:
        if isinstance(value, dict) and "special" in value and question.type != QuestionType.MATRIX:
            specials[str(value["special"])] += 1
        else:
            given.append(value)
    summary.answered = base = len(values)
    summary.specials = [
        Bar(str(SPECIAL_LABELS.get(kind, kind)), count, _share(count, base))
        for kind, count in specials.items()
    ]
    options = [(o.code, localize(o.label, language, fallback)) for o in question.options]
    if question.other is not None:
        options.append((question.other.code, localize(question.other.label, language, fallback)))
    kind = question.type
    if kind == QuestionType.SINGLE_CHOICE:
        summary.bars = _bars(options, Counter(str(v) for v in given), base)
    elif kind == QuestionType.MULTIPLE_CHOICE:
        summary.multiple = True
        summary.bars = _bars(options, Counter(str(c) for v in given if isinstance(v, list) for c in v), base)
    elif kind == QuestionType.YES_NO:
        counts = Counter("yes" if v else "no" for v in given)
        summary.bars = _bars([("yes", str(YES_NO[True])), ("no", str(YES_NO[False]))], counts, base)
    elif kind in (QuestionType.RATING, QuestionType.NPS):
        points = _points(question, language, fallback)
        summary.bars = _bars(points, Counter(str(v) for v in given), base)
        numbers = _numbers(given)
        summary.mean = statistics.fmean(numbers) if numbers else None
        if kind == QuestionType.NPS:
            summary.nps = _nps(numbers)
        elif numbers:
            top = float(points[-1][0])
            summary.top_box = _share(sum(1 for n in numbers if n == top), len(numbers))
    elif kind == QuestionType.MATRIX:
        summary.rows = _matrix(question, given, options, language, fallback)
    elif kind in (QuestionType.NUMERIC, QuestionType.CALCULATE) and len(_numbers(given)) == len(given):
        numbers = _numbers(given)
        if numbers:
            summary.mean, summary.minimum, summary.maximum = (
                statistics.fmean(numbers),
                min(numbers),
                max(numbers),
            )
    elif kind == QuestionType.CALCULATE:
        common = Counter(str(v) for v in given).most_common(MAX_CATEGORIES)
        summary.bars = [Bar(value, count, _share(count, base)) for value, count in common]
    else:  # text, long text, date
        summary.verbatims = [str(v) for v in given[:VERBATIMS]]
    return summary


def _nps(numbers: list[float]) -> Nps | None:
    if not numbers:
        return None
    base = len(numbers)
    promoters = sum(1 for n in numbers if n >= 9)
    detractors = sum(1 for n in numbers if n <= 6)
    passives = base - promoters - detractors
    return Nps(
        promoters=Bar(str(_l("Promoters (9–10)")), promoters, _share(promoters, base)),
        passives=Bar(str(_l("Passives (7–8)")), passives, _share(passives, base)),
        detractors=Bar(str(_l("Detractors (0–6)")), detractors, _share(detractors, base)),
    )


def _matrix(
    question: Question, given: list[Any], options: list[tuple[str, str]], language: str, fallback: str
) -> list[RowSummary]:
    columns = options or _points(question, language, fallback)
    rows = []
    for item in question.items:
        values = [v[item.code] for v in given if isinstance(v, dict) and item.code in v]
        plain = [v for v in values if not isinstance(v, dict)]
        numbers = _numbers(plain) if not options else []
        rows.append(
            RowSummary(
                localize(item.label, language, fallback),
                _bars(columns, Counter(str(v) for v in plain), len(values)),
                statistics.fmean(numbers) if numbers else None,
            )
        )
    return rows


def summarize(
    session: Session, survey_id: int, version_id: int, language: str, *, include_tests: bool = False
) -> list[QuestionSummary]:
    """The summary of every answered question of a survey's complete and partial interviews."""
    questionnaire: Questionnaire = survey_queries.get_questionnaire(session, version_id)
    statement = (
        interviews(Interview.answers, survey_id=survey_id, include_tests=include_tests)
        .where(col(Interview.status).in_(SUMMARY_STATUSES))
        .order_by(col(Interview.id).desc())
    )
    answer_sets = list(session.exec(statement))
    fallback = questionnaire.default_language
    return [
        summarize_question(
            question, [a[question.id] for a in answer_sets if question.id in a], language, fallback
        )
        for question in answered_questions(questionnaire)
    ]
