"""The definition validator: every problem of a questionnaire, each with its path.

``validate`` never raises. It returns structural problems (a field of the wrong kind) and, when the
structure is sound, the semantic ones: duplicate ids, unknown or later questions in expressions,
type errors, conditions that can never hold, missing translations, texts too long for SMS or IVR.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from questionnaires import logic
from questionnaires.definition import (
    CHOICE_TYPES,
    NON_ANSWERED_TYPES,
    Question,
    Questionnaire,
    QuestionType,
    Text,
    parse_definition,
)
from questionnaires.media import ivr_prompt_too_long, sms_length, sms_segment_limit
from questionnaires.render import PIPE

LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
DATE_BOUND = re.compile(r"^(today|\d{4}-\d{2}-\d{2})$")
MAX_IVR_KEYS = 9


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem in a definition: where, what, and whether it blocks publishing."""

    path: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        """Return ``path: message`` (with ``warning:`` for warnings)."""
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{self.path}: {prefix}{self.message}" if self.path else f"{prefix}{self.message}"


def errors_only(problems: list[Problem]) -> list[Problem]:
    """Return the problems that block publishing."""
    return [p for p in problems if p.severity == "error"]


def validate(definition: Questionnaire | Mapping[str, Any] | Any) -> list[Problem]:
    """Return every problem of ``definition`` (a document mapping or a parsed Questionnaire)."""
    if isinstance(definition, Questionnaire):
        questionnaire = definition
    elif not isinstance(definition, Mapping):
        return [Problem("", "a questionnaire must be a mapping with id, title, languages and pages")]
    else:
        try:
            questionnaire = parse_definition(definition)
        except ValidationError as exc:
            return [_structural(error) for error in exc.errors()]
        except (TypeError, ValueError) as exc:
            return [Problem("", f"cannot read the definition: {exc}")]
    return _Checker(questionnaire).run()


def _structural(error: Mapping[str, Any]) -> Problem:
    path = ""
    for part in error.get("loc", ()):
        name = str(part)
        if isinstance(part, int):
            path += f"[{part}]"
        elif name.startswith(("function-", "union[", "dict[")) or name in ("str", "int", "float", "bool"):
            continue  # pydantic's names for union branches, not part of the document
        elif not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
            path += f"[{name!r}]"
        else:
            path += f".{name}" if path else name
    return Problem(path, str(error.get("msg", "invalid value")))


def value_type(question: Question) -> logic.ValueType:
    """Return the logic-language type of an answer to ``question``."""
    return {
        QuestionType.SINGLE_CHOICE: logic.ValueType.CODE,
        QuestionType.MULTIPLE_CHOICE: logic.ValueType.CODES,
        QuestionType.RATING: logic.ValueType.NUMBER,
        QuestionType.NPS: logic.ValueType.NUMBER,
        QuestionType.MATRIX: logic.ValueType.ITEMS,
        QuestionType.NUMERIC: logic.ValueType.NUMBER,
        QuestionType.TEXT: logic.ValueType.TEXT,
        QuestionType.LONG_TEXT: logic.ValueType.TEXT,
        QuestionType.DATE: logic.ValueType.DATE,
        QuestionType.YES_NO: logic.ValueType.BOOL,
        QuestionType.INFO: logic.ValueType.NULL,
        QuestionType.CALCULATE: logic.ValueType.ANY,
    }[question.type]


class _Checker:
    def __init__(self, questionnaire: Questionnaire) -> None:
        self.q = questionnaire
        self.problems: list[Problem] = []
        self.position: dict[str, int] = {}
        self.types: dict[str, logic.ValueType] = {}
        self.codes: dict[str, frozenset[str]] = {}
        self.items: dict[str, frozenset[str]] = {}
        self.contact_fields = (
            frozenset(questionnaire.contact_fields) if questionnaire.contact_fields is not None else None
        )

    def error(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def warn(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message, "warning"))

    def run(self) -> list[Problem]:
        self._languages()
        self._index_questions()
        for path, text, before in self._texts():
            self._translation(path, text)
            self._piping(path, text, before)
        for p_index, page in enumerate(self.q.pages):
            first = self.position.get(page.questions[0].id, 0) if page.questions else len(self.position)
            if page.show_if:
                self._expression(f"pages[{p_index}].show_if", page.show_if, before=first, expect_bool=True)
            if not page.questions:
                self.warn(f"pages[{p_index}].questions", "this page has no questions")
            for q_index, question in enumerate(page.questions):
                self._question(f"pages[{p_index}].questions[{q_index}]", question)
        seen_alerts: set[str] = set()
        for a_index, alert in enumerate(self.q.alerts):
            if alert.id in seen_alerts:
                self.error(f"alerts[{a_index}].id", f"duplicate alert id '{alert.id}'")
            seen_alerts.add(alert.id)
            self._expression(
                f"alerts[{a_index}].when", alert.when, before=len(self.position) + 1, expect_bool=True
            )
        return self.problems

    def _languages(self) -> None:
        if not self.q.languages:
            self.error("languages", "declare at least one language, e.g. [en, zh-Hans]")
        for i, language in enumerate(self.q.languages):
            if not LANGUAGE_TAG.match(language):
                self.error(
                    f"languages[{i}]", f"'{language}' is not a language tag such as en, zh-Hans or zh-Hant"
                )
        if len(set(self.q.languages)) != len(self.q.languages):
            self.error("languages", "a language is declared twice")

    def _index_questions(self) -> None:
        page_ids: set[str] = set()
        for p_index, page in enumerate(self.q.pages):
            if page.id in page_ids:
                self.error(f"pages[{p_index}].id", f"duplicate page id '{page.id}'")
            page_ids.add(page.id)
            for q_index, question in enumerate(page.questions):
                if question.id in self.position:
                    self.error(
                        f"pages[{p_index}].questions[{q_index}].id", f"duplicate question id '{question.id}'"
                    )
                    continue
                self.position[question.id] = len(self.position)
                self.types[question.id] = value_type(question)
                if question.type in CHOICE_TYPES or question.type is QuestionType.MATRIX:
                    self.codes[question.id] = frozenset(question.option_codes())
                if question.type is QuestionType.MATRIX:
                    self.items[question.id] = frozenset(item.code for item in question.items)
        if not self.position:
            self.error("pages", "the questionnaire has no questions")

    def _texts(self) -> Iterator[tuple[str, Text, int]]:
        """Yield every localised text with its path and the position it may pipe from."""
        total = len(self.position) + 1
        yield "title", self.q.title, 0
        for name in ("description", "intro", "thank_you"):
            value = getattr(self.q, name)
            if value is not None:
                yield name, value, total if name == "thank_you" else 0
        for a_index, alert in enumerate(self.q.alerts):
            yield f"alerts[{a_index}].message", alert.message, total
        for p_index, page in enumerate(self.q.pages):
            first = self.position.get(page.questions[0].id, total) if page.questions else total
            if page.title is not None:
                yield f"pages[{p_index}].title", page.title, first
            for q_index, question in enumerate(page.questions):
                path = f"pages[{p_index}].questions[{q_index}]"
                yield from _question_texts(path, question, self.position.get(question.id, total))

    def _translation(self, path: str, text: Text) -> None:
        if isinstance(text, str):
            return
        if not text:
            self.error(path, "empty text: give it a value per declared language")
            return
        for language in self.q.languages:
            if not text.get(language, "").strip():
                self.error(path, f"missing translation for declared language '{language}'")
        for language in text:
            if language not in self.q.languages:
                self.warn(path, f"text in '{language}', which is not a declared language")

    def _piping(self, path: str, text: Text, before: int) -> None:
        values = [text] if isinstance(text, str) else list(text.values())
        for value in values:
            for match in PIPE.finditer(value):
                name = match.group(2)
                if match.group(1):
                    self._reference(path, name, before, what="piped answer")
                    continue
                field = name.removeprefix("contact.")
                if self.contact_fields is not None and field not in self.contact_fields:
                    self.error(
                        path, f"unknown contact field '{field}' in {{{name}}}; declare it in contact_fields"
                    )

    def _reference(self, path: str, qid: str, before: int, *, what: str) -> None:
        position = self.position.get(qid)
        if position is None:
            self.error(path, f"unknown question '{qid}' in {what}")
        elif position >= before:
            self.error(path, f"{what} refers to '{qid}', which is not asked before this point")

    def _expression(
        self,
        path: str,
        text: str,
        *,
        before: int,
        expect_bool: bool,
        value: logic.ValueType | None = None,
        own_id: str | None = None,
    ) -> None:
        try:
            expr = logic.parse(text)
        except logic.ExpressionError as exc:
            self.error(path, f"syntax error: {exc}")
            return
        messages = logic.check(
            expr,
            questions=self.types,
            matrix_items=self.items,
            contact_fields=self.contact_fields,
            value_type=value,
            expect=logic.ValueType.BOOL if expect_bool else None,
        )
        for message in messages:
            self.error(path, message)
        for qid in sorted(logic.references(expr)):
            if qid == own_id:
                self.error(
                    path, f"refers to its own question '{qid}': use 'value' for the answer being checked"
                )
            elif qid in self.position and self.position[qid] >= before:
                self.error(
                    path,
                    f"refers to question '{qid}', which comes later; conditions may only use earlier answers",
                )
        for qid, code in logic.compared_codes(expr):
            if qid in self.codes and code not in self.codes[qid]:
                self.error(path, f"question '{qid}' has no option '{code}', so this comparison is never true")
        if expect_bool and not messages and not logic.references(expr) and not _uses_runtime(text):
            try:
                constant = logic.truthy(logic.evaluate(expr, _EMPTY_ENV))
            except Exception:  # noqa: BLE001 - a static probe; the checker already reported real problems
                constant = True
            if not constant:
                self.error(path, "this condition is never true, so what it guards can never be shown")

    def _question(self, path: str, question: Question) -> None:
        position = self.position.get(question.id, len(self.position))
        if question.show_if:
            self._expression(f"{path}.show_if", question.show_if, before=position, expect_bool=True)
        if question.constraint:
            if question.type in NON_ANSWERED_TYPES:
                self.error(f"{path}.constraint", f"a {question.type.value} item takes no answer to constrain")
            self._expression(
                f"{path}.constraint",
                question.constraint,
                before=position,
                expect_bool=True,
                value=value_type(question),
                own_id=question.id,
            )
        if question.type is QuestionType.CALCULATE:
            if not question.calculation:
                self.error(f"{path}.calculation", "a calculate item needs a calculation expression")
            else:
                self._expression(
                    f"{path}.calculation", question.calculation, before=position, expect_bool=False
                )
        elif question.calculation:
            self.error(f"{path}.calculation", "only calculate items have a calculation")
        _TypeRules(self, path, question).run()
        self._variants(path, question)

    def _variants(self, path: str, question: Question) -> None:
        variants = question.variants
        if variants.sms is not None:
            texts = (
                [variants.sms.text]
                if isinstance(variants.sms.text, str)
                else list(variants.sms.text.values())
            )
            for text in texts:
                limit, encoding = sms_segment_limit(text)
                if sms_length(text) > limit:
                    self.warn(
                        f"{path}.variants.sms.text",
                        f"{sms_length(text)} characters in {encoding}: "
                        f"over one SMS segment of {limit}; shorten it",
                    )
        if variants.ivr is not None:
            texts = (
                [variants.ivr.prompt]
                if isinstance(variants.ivr.prompt, str)
                else list(variants.ivr.prompt.values())
            )
            if any(ivr_prompt_too_long(text) for text in texts):
                self.warn(
                    f"{path}.variants.ivr.prompt",
                    "the spoken prompt is too long for a phone call (over ~40 s)",
                )
        if (
            question.type in CHOICE_TYPES
            and len(question.option_codes()) > MAX_IVR_KEYS
            and variants.ivr is not None
        ):
            self.warn(f"{path}.options", f"more than {MAX_IVR_KEYS} options cannot each have a phone key")


class _TypeRules:
    """Checks that depend on the question type."""

    def __init__(self, checker: _Checker, path: str, question: Question) -> None:
        self.c = checker
        self.path = path
        self.q = question

    def run(self) -> None:
        q, kind = self.q, self.q.type
        if kind in CHOICE_TYPES:
            self._options()
        elif q.options and kind is not QuestionType.MATRIX:
            self.c.error(f"{self.path}.options", f"a {kind.value} question takes no options")
        if q.other is not None and kind not in CHOICE_TYPES:
            self.c.error(
                f"{self.path}.other", "only choice questions can have an 'Other (please specify)' option"
            )
        if q.special and kind in NON_ANSWERED_TYPES:
            self.c.error(
                f"{self.path}.special", f"a {kind.value} item takes no answer, so no special answers"
            )
        if q.randomize and kind not in CHOICE_TYPES and kind is not QuestionType.MATRIX:
            self.c.warn(f"{self.path}.randomize", "only choice and matrix questions can be randomised")
        if q.required and kind in NON_ANSWERED_TYPES:
            self.c.warn(
                f"{self.path}.required", f"a {kind.value} item takes no answer, so it cannot be required"
            )
        if kind is QuestionType.MATRIX:
            self._matrix()
        if q.scale is not None and q.scale.labels:
            low = q.scale.start
            high = low + q.scale.points - 1
            for key in q.scale.labels:
                if not (key.lstrip("-").isdigit() and low <= int(key) <= high):
                    self.c.error(f"{self.path}.scale.labels.{key}", f"not a point of the scale {low}..{high}")
        if q.min is not None and q.max is not None and q.min > q.max:
            self.c.error(f"{self.path}.min", f"min ({q.min}) is greater than max ({q.max})")
        if q.min_length is not None and q.max_length is not None and q.min_length > q.max_length:
            self.c.error(f"{self.path}.min_length", "min_length is greater than max_length")
        if q.pattern is not None:
            try:
                re.compile(q.pattern)
            except re.error as exc:
                self.c.error(f"{self.path}.pattern", f"invalid regular expression: {exc}")
        for name in ("min_date", "max_date"):
            bound = getattr(q, name)
            if bound is not None and not DATE_BOUND.match(bound):
                self.c.error(f"{self.path}.{name}", f"'{bound}' is not a date (YYYY-MM-DD) or 'today'")

    def _options(self) -> None:
        q = self.q
        if not q.options:
            self.c.error(f"{self.path}.options", "a choice question needs at least one option")
        seen: set[str] = set()
        for i, option in enumerate(q.options):
            if option.code in seen:
                self.c.error(f"{self.path}.options[{i}].code", f"duplicate option code '{option.code}'")
            seen.add(option.code)
        if q.other is not None and q.other.code in seen:
            self.c.error(
                f"{self.path}.other.code", f"the 'Other' code '{q.other.code}' is also an option code"
            )
        count = len(q.option_codes())
        if q.type is QuestionType.SINGLE_CHOICE and (
            q.min_selected is not None or q.max_selected is not None
        ):
            self.c.warn(f"{self.path}.max_selected", "selection counts apply to multiple choice only")
        if q.min_selected is not None and q.max_selected is not None and q.min_selected > q.max_selected:
            self.c.error(f"{self.path}.min_selected", "min_selected is greater than max_selected")
        if q.min_selected is not None and q.min_selected > count:
            self.c.error(
                f"{self.path}.min_selected",
                f"asks for {q.min_selected} selections but there are {count} options",
            )

    def _matrix(self) -> None:
        q = self.q
        if not q.items:
            self.c.error(f"{self.path}.items", "a matrix needs at least one item (row)")
        seen: set[str] = set()
        for i, item in enumerate(q.items):
            if item.code in seen:
                self.c.error(f"{self.path}.items[{i}].code", f"duplicate item code '{item.code}'")
            seen.add(item.code)


def _question_texts(path: str, question: Question, position: int) -> Iterator[tuple[str, Text, int]]:
    if question.type is not QuestionType.CALCULATE or question.text:
        yield f"{path}.text", question.text, position
    for name in ("help", "constraint_message", "pattern_message"):
        value = getattr(question, name)
        if value is not None:
            yield f"{path}.{name}", value, position
    for i, option in enumerate(question.options):
        yield f"{path}.options[{i}].label", option.label, position
    for i, item in enumerate(question.items):
        yield f"{path}.items[{i}].label", item.label, position
    if question.other is not None:
        yield f"{path}.other.label", question.other.label, position
    for i, special in enumerate(question.special):
        if special.label is not None:
            yield f"{path}.special[{i}].label", special.label, position
    if question.scale is not None:
        for name in ("low_label", "high_label"):
            value = getattr(question.scale, name)
            if value is not None:
                yield f"{path}.scale.{name}", value, position
        for key, label in (question.scale.labels or {}).items():
            yield f"{path}.scale.labels.{key}", label, position
    variants = question.variants
    if variants.sms is not None:
        yield f"{path}.variants.sms.text", variants.sms.text, position
    if variants.ivr is not None:
        yield f"{path}.variants.ivr.prompt", variants.ivr.prompt, position
    if variants.agent is not None:
        for name in ("text", "instructions", "probe"):
            value = getattr(variants.agent, name)
            if value is not None:
                yield f"{path}.variants.agent.{name}", value, position


def _uses_runtime(text: str) -> bool:
    # today(), contact.* and value depend on the interview, so a constant probe says nothing.
    return "today" in text or "contact." in text or re.search(r"\bvalue\b", text) is not None


class _EmptyEnv:
    def answer(self, qid: str) -> object:
        return None

    def is_answered(self, qid: str) -> bool:
        return False

    def contact(self, name: str) -> object:
        return None

    def today(self) -> dt.date:
        return dt.date(2000, 1, 1)

    def current_value(self) -> object:
        return None


_EMPTY_ENV = _EmptyEnv()
