"""Conversational SMS: one text message per question, replies read back into answers.

Rendering uses the question's ``sms_text`` when the definition has one (sent as written), else
the question text plus compact options, one per line (``1 Very dissatisfied``), and a reply hint
in the interview language. The message is kept to one segment where possible (160 GSM-7 or 70
UCS-2 characters, ``questionnaires.media``): first without the hint, then with the keys only
(``Reply 1-5.``). When even that needs more than one segment the full text is sent, since the
labels matter more than the cost; ``SmsMessage.segments`` says what it will cost.

Options are always answered with their numeric key (no letters), their label, or a Chinese
numeral; see :mod:`channels.words` for every accepted form and :mod:`channels.keywords` for STOP,
START and HELP. ``BACK``/``返回`` goes back, ``?``/``REPEAT``/``重复`` repeats the question and
``SKIP``/``跳过`` sends an empty answer (which the engine accepts for optional questions only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from channels import words
from channels.base import (
    Control,
    Inbound,
    Outbound,
    ParsedInbound,
    register,
    single_question,
    special_keys,
)
from channels.keywords import match_keyword
from channels.texts import text
from questionnaires.media import sms_segment_limit, sms_segments
from questionnaires.messages import message
from questionnaires.state import ChoiceView, QuestionView, Reply, Step


@dataclass(frozen=True, slots=True, kw_only=True)
class SmsMessage(Outbound):
    """One text message to send (``text`` is the body)."""

    segments: int
    """How many SMS segments the body takes."""
    encoding: str
    """``GSM-7`` or ``UCS-2``."""


def _message(body: str, language: str, expects_reply: bool = True) -> SmsMessage:
    return SmsMessage(
        channel="sms",
        language=language,
        text=body,
        expects_reply=expects_reply,
        segments=sms_segments(body),
        encoding=sms_segment_limit(body)[1],
    )


def key_range(choices: tuple[ChoiceView, ...]) -> tuple[int, int] | None:
    """Return the lowest and highest numeric key of ``choices``."""
    keys = [int(c.key) for c in choices if c.key.lstrip("-").isdigit()]
    return (min(keys), max(keys)) if keys else None


def _options(question: QuestionView) -> list[ChoiceView]:
    return list(question.choices) + ([question.other] if question.other else [])


def _labelled(question: QuestionView) -> bool:
    """Return True when scale points carry words (not just their numbers)."""
    return any(c.label != c.key for c in question.choices)


def _special_lines(question: QuestionView) -> list[str]:
    keys = special_keys(question)
    return [f"{keys[s.code]} {s.label}" for s in question.special if s.code in keys]


def _special_hints(question: QuestionView, language: str) -> list[str]:
    keys = special_keys(question)
    return [text("sms_or_special", language, label=s.label) for s in question.special if s.code not in keys]


def _range_hint(low: int, high: int, language: str, question: QuestionView | None = None) -> str:
    hint = text("sms_reply_range", language, low=low, high=high)
    if question is not None and question.low_label and question.high_label:
        hint += text(
            "sms_scale_ends",
            language,
            low=low,
            high=high,
            low_label=question.low_label,
            high_label=question.high_label,
        )
    return hint + text("full_stop", language)


def _parts(question: QuestionView, language: str) -> tuple[list[str], list[str], str]:
    """Return (option lines, hints, keys-only hint) for a question without ``sms_text``."""
    kind = question.type
    lines: list[str] = []
    hints: list[str] = []
    short = ""
    if kind in ("single_choice", "multiple_choice") or (kind in ("rating", "nps") and _labelled(question)):
        lines = [f"{c.key} {c.label}" for c in _options(question)] + _special_lines(question)
        bounds = key_range(tuple(_options(question)))
        if bounds:
            short = _range_hint(*bounds, language)
        if kind == "multiple_choice":
            hints.append(
                text("sms_reply_many", language, example=" ".join(c.key for c in question.choices[:2]))
            )
        else:
            hints.append(text("sms_reply_one", language))
    elif kind in ("rating", "nps"):
        low, high = question.scale_min or 0, question.scale_max or 0
        hints.append(_range_hint(low, high, language, question))
        lines = _special_lines(question)
        short = _range_hint(low, high, language)
    elif kind == "yes_no":
        hints.append(text("sms_reply_yes_no", language))
        lines = _special_lines(question)
        short = hints[0]
    elif kind == "matrix":
        lines = [f"- {item.label}" for item in question.items]
        if _labelled(question):
            lines += [f"{c.key} {c.label}" for c in question.choices]
        bounds = key_range(question.choices) or (0, 0)
        example = " ".join(
            question.choices[min(i, len(question.choices) - 1)].key for i in range(len(question.items))
        )
        hints.append(
            text(
                "sms_reply_matrix",
                language,
                n=len(question.items),
                low=bounds[0],
                high=bounds[1],
                example=example,
            )
        )
    elif kind == "numeric":
        if question.min is not None and question.max is not None:
            hints.append(
                text("sms_reply_number_range", language, min=_plain(question.min), max=_plain(question.max))
            )
        else:
            hints.append(text("sms_reply_number", language))
    elif kind == "date":
        hints.append(text("sms_reply_date", language))
    hints += _special_hints(question, language)
    return lines, hints, short


def _plain(number: float) -> int | float:
    return int(number) if float(number).is_integer() else number


def compose(question: QuestionView, language: str) -> str:
    """Return the SMS body for ``question``: ``sms_text`` or the text with options and a hint."""
    if question.sms_text:
        return question.sms_text
    lines, hints, short = _parts(question, language)
    separator = "" if language.startswith("zh") else " "
    full = "\n".join([question.text, *lines, separator.join(hints)] if hints else [question.text, *lines])
    candidates = [full]
    if lines and hints:
        candidates.append("\n".join([question.text, *lines]))
    if short:
        candidates.append(f"{question.text}\n{short}")
    for candidate in candidates:
        if sms_segments(candidate) == 1:
            return candidate
    return full


def reprompt(question: QuestionView, language: str) -> str:
    """Return the re-prompt for an unreadable reply: what answers are possible, in ``language``."""
    kind = question.type
    keys = special_keys(question)
    separator = "" if language.startswith("zh") else " "
    suffix = "".join(
        separator
        + (
            text("err_special_key", language, key=keys[s.code], label=s.label)
            if s.code in keys
            else text("sms_or_special", language, label=s.label)
        )
        for s in question.special
    )
    if kind == "yes_no":
        return message("not_yes_no", language) + suffix
    if kind in ("single_choice", "rating", "nps"):
        low, high = key_range(tuple(_options(question))) or (question.scale_min or 0, question.scale_max or 0)
        return text("err_choice", language, low=low, high=high) + suffix
    if kind == "multiple_choice":
        low, high = key_range(tuple(_options(question))) or (1, 1)
        example = " ".join(c.key for c in question.choices[:2])
        return text("err_choice_many", language, low=low, high=high, example=example) + suffix
    if kind == "matrix":
        low, high = key_range(question.choices) or (0, 0)
        example = " ".join(
            question.choices[min(i, len(question.choices) - 1)].key for i in range(len(question.items))
        )
        return (
            text("err_matrix", language, n=len(question.items), low=low, high=high, example=example) + suffix
        )
    if kind == "numeric":
        return message("not_a_number", language, example="12" if question.decimals == 0 else "12.5") + suffix
    if kind == "date":
        return message("not_a_date", language) + suffix
    return message("required", language) + suffix


def parse_text(
    body: str | None, step: Step, language: str, *, opted_out: bool, channel: str
) -> ParsedInbound:
    """Read an SMS body (or a spoken answer) for ``step``: control words first, then the answer."""
    body = body or ""
    control = match_keyword(body, opted_out=opted_out)
    if control is not None:
        return ParsedInbound(control=control)
    folded = words.fold(body)
    if folded in words.BACK_WORDS:
        return ParsedInbound(control=Control.BACK)
    if folded in words.REPEAT_WORDS:
        return ParsedInbound(control=Control.REPEAT)
    question = single_question(step, channel)
    if question is None:
        return ParsedInbound()
    if folded in words.SKIP_WORDS:
        return ParsedInbound(replies={question.id: Reply()})
    result = words.answer(words.letters_to_keys(body, question), question, language)
    if isinstance(result, words.Rejected):
        return ParsedInbound(error=result.message or reprompt(question, language))
    return ParsedInbound(replies={question.id: result})


class SmsChannel:
    """Conversational SMS: one question per message."""

    name: ClassVar[str] = "sms"

    def render(self, step: Step, language: str) -> SmsMessage:
        """Return the message asking the step's question (or closing the interview)."""
        if step.done:
            return _message(text("sms_done", language), language, expects_reply=False)
        question = single_question(step, self.name)
        if question is None:
            return _message(
                "\n".join(q.sms_text or q.text for q in step.questions), language, expects_reply=False
            )
        return _message(compose(question, language), language)

    def parse(self, step: Step, inbound: Inbound, language: str) -> ParsedInbound:
        """Read the reply ``inbound.text`` to ``step`` (``inbound.opted_out`` decides what YES means)."""
        return parse_text(inbound.text, step, language, opted_out=inbound.opted_out, channel=self.name)

    def help_message(self, step: Step, language: str) -> SmsMessage:
        """Return the answer to HELP: how to reply, how to go back and opt out, and the question's help."""
        question = single_question(step, self.name) if not step.done else None
        body = text("sms_help", language)
        if question is not None and question.help:
            body = f"{question.help}\n{body}"
        return _message(body, language, expects_reply=False)


register(SmsChannel)
