"""Turning a question into what a channel shows: one language, piped texts, this respondent's order.

Option randomisation uses a generator seeded with the interview seed and the question id, so a
respondent sees the same order on every visit and on every channel, and a replay is identical.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Mapping
from typing import Any

from questionnaires.answers import scale_bounds
from questionnaires.definition import (
    CHOICE_TYPES,
    Option,
    Question,
    Questionnaire,
    QuestionType,
    Text,
    localize,
)
from questionnaires.messages import message
from questionnaires.plan import AnswerEnv, plan_for
from questionnaires.state import ChoiceView, InterviewState, QuestionView

SPECIAL_KEYS = {"dont_know": "8", "refused": "9"}
PIPE = re.compile(r"\{(answer:)?([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)\}")


class Renderer:
    """Renders questions of one questionnaire for one interview state."""

    def __init__(self, questionnaire: Questionnaire, state: InterviewState) -> None:
        self.questionnaire = questionnaire
        self.state = state
        self.language = state.language
        self.fallback = questionnaire.default_language

    def text(self, text: Text | None) -> str:
        """Localise ``text`` and fill its ``{placeholders}``."""
        raw = localize(text, self.language, self.fallback)
        return PIPE.sub(self._pipe, raw) if "{" in raw else raw

    def _pipe(self, match: re.Match[str]) -> str:
        name = match.group(2)
        if match.group(1):
            return self.answer_label(name)
        key = name.removeprefix("contact.")
        value = self.state.context.get(key)
        return "" if value is None else str(value)

    def answer_label(self, qid: str) -> str:
        """Return an earlier answer as words: option labels for choices, the value otherwise."""
        special = self.state.specials.get(qid)
        if special is not None:
            return message(special, self.language)
        value = self.state.answers.get(qid)
        item = plan_for(self.questionnaire).by_id.get(qid)
        if value is None and item is not None and item.calculation is not None:
            value = self._env().answer(qid)
        if value is None:
            return ""
        if item is None:
            return str(value)
        question = item.question
        if question.type in CHOICE_TYPES:
            codes = value if isinstance(value, tuple) else (value,)
            labels = {o.code: o.label for o in question.options}
            words = [
                self.state.other_texts.get(qid, "")
                if question.other and c == question.other.code
                else localize(labels.get(c, c), self.language, self.fallback)
                for c in codes
            ]
            separator = "、" if self.language.startswith("zh") else ", "
            return separator.join(w for w in words if w)
        if question.type is QuestionType.YES_NO:
            return message("yes" if value else "no", self.language)
        return str(value)

    def _env(self) -> AnswerEnv:
        state = self.state
        return AnswerEnv(
            plan_for(self.questionnaire),
            state.answers,
            state.specials,
            state.context,
            dt.datetime.fromtimestamp(state.started_at, dt.UTC).date(),
        )

    def ordered(self, question: Question, options: tuple[Option, ...]) -> tuple[Option, ...]:
        """Return ``options`` in this respondent's order: shuffled if asked, anchors kept in place."""
        if not question.randomize or len(options) < 2:
            return options
        movable = [o for o in options if not o.fixed]
        random.Random(f"{self.state.seed}:{question.id}").shuffle(movable)
        shuffled = iter(movable)
        return tuple(o if o.fixed else next(shuffled) for o in options)

    def choices(self, question: Question) -> tuple[ChoiceView, ...]:
        """Return the answer choices of ``question`` with their keys for SMS and IVR."""
        if question.type in CHOICE_TYPES or (question.type is QuestionType.MATRIX and question.options):
            options = (
                question.options
                if question.type is QuestionType.MATRIX
                else self.ordered(question, question.options)
            )
            return tuple(
                ChoiceView(o.code, self.text(o.label), str(i), o.exclusive) for i, o in enumerate(options, 1)
            )
        if question.type in (QuestionType.RATING, QuestionType.NPS) or question.type is QuestionType.MATRIX:
            low, high = scale_bounds(question)
            labels: Mapping[str, Text] = (question.scale.labels or {}) if question.scale else {}
            return tuple(
                ChoiceView(str(v), self.text(labels[str(v)]) if str(v) in labels else str(v), str(v))
                for v in range(low, high + 1)
            )
        if question.type is QuestionType.YES_NO:
            return (
                ChoiceView("yes", message("yes", self.language), "1"),
                ChoiceView("no", message("no", self.language), "2"),
            )
        return ()

    def special_choices(
        self, question: Question, choices: tuple[ChoiceView, ...], other: ChoiceView | None
    ) -> tuple[ChoiceView, ...]:
        """Return Don't know / Refused with keys that never collide with an option's key.

        Interviewing convention keys them 8 and 9; where an option already uses the key (NPS 0-10,
        a list of nine) the digit is repeated (88, 99) so that 8 keeps meaning the option.
        """
        taken = {c.key for c in choices} | ({other.key} if other else set())
        result = []
        for offered in question.special_for(self.state.channel):
            kind = offered.kind.value
            key = SPECIAL_KEYS.get(kind, "7")
            while key in taken:
                key += key[-1]
            taken.add(key)
            label = self.text(offered.label) if offered.label else message(kind, self.language)
            result.append(ChoiceView(kind, label, key))
        return tuple(result)

    def view(self, question: Question) -> QuestionView:
        """Return the full view of ``question`` for this interview's language and channel."""
        state = self.state
        choices = self.choices(question)
        other = None
        if question.other is not None:
            other = ChoiceView(question.other.code, self.text(question.other.label), str(len(choices) + 1))
        special = self.special_choices(question, choices, other)
        scale = question.scale
        low, high = (
            scale_bounds(question)
            if question.type in (QuestionType.RATING, QuestionType.NPS)
            else (None, None)
        )
        if question.type is QuestionType.MATRIX and not question.options:
            low, high = scale_bounds(question)
        items = self.ordered(question, question.items)
        variants = question.variants
        agent = variants.agent
        return QuestionView(
            id=question.id,
            type=question.type.value,
            text=self.text(question.text),
            help=self.text(question.help),
            required=question.required,
            choices=choices,
            other=other,
            special=special,
            items=tuple(ChoiceView(i.code, self.text(i.label), str(n)) for n, i in enumerate(items, 1)),
            scale_min=low,
            scale_max=high,
            low_label=self.text(scale.low_label) if scale else "",
            high_label=self.text(scale.high_label) if scale else "",
            min=question.min,
            max=question.max,
            decimals=question.decimals,
            max_length=question.max_length,
            min_length=question.min_length,
            pattern=question.pattern,
            min_date=question.min_date,
            max_date=question.max_date,
            other_text_required=question.other.text_required if question.other else False,
            other_max_length=question.other.max_length if question.other else None,
            min_selected=question.min_selected,
            max_selected=question.max_selected,
            sms_text=self.text(variants.sms.text) if variants.sms else "",
            ivr_prompt=self.text(variants.ivr.prompt) if variants.ivr else "",
            ivr_speech=bool(variants.ivr and variants.ivr.speech),
            agent_text=self.text(agent.text) if agent and agent.text else "",
            agent_instructions=self.text(agent.instructions) if agent else "",
            agent_read_options=agent.read_options if agent else True,
            agent_probe=self.text(agent.probe) if agent else "",
            current=_current(state.answers.get(question.id)),
            current_special=state.specials.get(question.id),
            current_other=state.other_texts.get(question.id),
        )


def _current(value: Any) -> Any:
    return dict(value) if isinstance(value, Mapping) else value
