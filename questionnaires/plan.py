"""A questionnaire compiled for interviewing: items in order, expressions compiled once.

The engine works on flat item indices. Compiling every expression when a questionnaire version is
first used keeps each interview step to dictionary look-ups and closure calls.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from questionnaires import logic
from questionnaires.definition import Page, Question, Questionnaire, QuestionType

Compiled = Callable[[logic.Env], object]


class DefinitionError(ValueError):
    """The engine was given a definition that does not pass validation."""


@dataclass(frozen=True, slots=True)
class Item:
    """One question in questionnaire order, with its page and compiled expressions."""

    index: int
    question: Question
    page_index: int
    page: Page
    conditions: tuple[Compiled, ...]
    condition_refs: frozenset[str]
    constraint: Compiled | None
    calculation: Compiled | None
    askable: bool


@dataclass(frozen=True, slots=True)
class Plan:
    """The compiled form of a questionnaire."""

    items: tuple[Item, ...]
    by_id: Mapping[str, Item]
    askable_before: tuple[int, ...]
    """Number of askable items before each index (for progress)."""
    askable_total: int
    alerts: tuple[tuple[str, Compiled], ...]


def _compile(text: str, where: str) -> tuple[Compiled, frozenset[str]]:
    try:
        expr = logic.parse(text)
    except logic.ExpressionError as exc:
        raise DefinitionError(f"{where}: {exc}") from exc
    return logic.compile_expr(expr), logic.references(expr)


def plan_for(questionnaire: Questionnaire) -> Plan:
    """Return the compiled plan of ``questionnaire``, building it on first use."""
    cached = questionnaire._plan
    if isinstance(cached, Plan):
        return cached
    plan = _build(questionnaire)
    # A derived cache on a private attribute: the definition itself stays frozen.
    questionnaire._plan = plan
    return plan


def _build(questionnaire: Questionnaire) -> Plan:
    items: list[Item] = []
    askable_before: list[int] = []
    askable = 0
    for page_index, page in enumerate(questionnaire.pages):
        page_condition = _compile(page.show_if, f"pages[{page_index}].show_if") if page.show_if else None
        for q_index, question in enumerate(page.questions):
            where = f"pages[{page_index}].questions[{q_index}]"
            conditions: list[Compiled] = []
            refs: set[str] = set()
            if page_condition is not None:
                conditions.append(page_condition[0])
                refs |= page_condition[1]
            if question.show_if:
                compiled, question_refs = _compile(question.show_if, where + ".show_if")
                conditions.append(compiled)
                refs |= question_refs
            constraint = (
                _compile(question.constraint, where + ".constraint")[0] if question.constraint else None
            )
            calculation = None
            if question.type is QuestionType.CALCULATE and question.calculation:
                calculation, calc_refs = _compile(question.calculation, where + ".calculation")
                refs |= calc_refs
            # Shown to the respondent: everything but computed values.
            is_askable = question.type is not QuestionType.CALCULATE
            askable_before.append(askable)
            askable += 1 if is_askable else 0
            items.append(
                Item(
                    index=len(items),
                    question=question,
                    page_index=page_index,
                    page=page,
                    conditions=tuple(conditions),
                    condition_refs=frozenset(refs),
                    constraint=constraint,
                    calculation=calculation,
                    askable=is_askable,
                )
            )
    alerts = tuple(
        (a.id, _compile(a.when, f"alerts[{i}].when")[0]) for i, a in enumerate(questionnaire.alerts)
    )
    return Plan(
        items=tuple(items),
        by_id={item.question.id: item for item in items},
        askable_before=tuple(askable_before),
        askable_total=askable,
        alerts=alerts,
    )


class AnswerEnv:
    """The logic environment of an interview: answers, contact attributes, computed values."""

    __slots__ = ("_answers", "_specials", "_context", "_plan", "_today", "_value", "_computed")

    def __init__(
        self,
        plan: Plan,
        answers: Mapping[str, Any],
        specials: Mapping[str, str],
        context: Mapping[str, Any],
        today: dt.date,
        value: object = None,
    ) -> None:
        self._plan = plan
        self._answers = answers
        self._specials = specials
        self._context = context
        self._today = today
        self._value = value
        self._computed: dict[str, object] = {}

    def answer(self, qid: str) -> object:
        """Return the answer to ``qid``, or a computed value; None when unanswered."""
        value = self._answers.get(qid)
        if value is not None:
            return value
        item = self._plan.by_id.get(qid)
        if item is None or item.calculation is None:
            return None
        if qid not in self._computed:
            # Forward references are rejected by the validator, so this recursion terminates.
            self._computed[qid] = item.calculation(self) if self.visible(item) else None
        return self._computed[qid]

    def is_answered(self, qid: str) -> bool:
        """Return True when ``qid`` has a value or a special answer (Don't know, Refused)."""
        return qid in self._answers or qid in self._specials or self.answer(qid) is not None

    def contact(self, name: str) -> object:
        """Return a contact attribute, None when missing."""
        return self._context.get(name)

    def today(self) -> dt.date:
        """Return the interview's date."""
        return self._today

    def current_value(self) -> object:
        """Return the answer being validated by a constraint."""
        return self._value

    def with_value(self, value: object) -> AnswerEnv:
        """Return an environment for checking a constraint on ``value``."""
        return AnswerEnv(self._plan, self._answers, self._specials, self._context, self._today, value)

    def visible(self, item: Item) -> bool:
        """Return True when every display condition of ``item`` holds."""
        return all(logic.truthy(condition(self)) for condition in item.conditions)
