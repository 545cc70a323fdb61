"""Parsing and checking one reply against its question type.

Channels hand over what the respondent gave as text (a form field, an SMS reply, DTMF digits
already mapped to codes); this module turns it into a typed value or a list of error codes. It
is the only place where answer rules (ranges, lengths, selection counts, formats) are applied.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from questionnaires.definition import Question, QuestionType, localize
from questionnaires.state import RawValue, Reply

DEFAULT_TEXT_MAX = 500
DEFAULT_LONG_TEXT_MAX = 5000
YES_WORDS = frozenset({"yes", "y", "1", "true", "是", "是的", "对", "對", "好"})
NO_WORDS = frozenset({"no", "n", "0", "2", "false", "否", "不是", "不", "没有", "沒有"})


@dataclass(frozen=True, slots=True)
class Problem:
    """An error code plus the parameters its message needs."""

    code: str
    params: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Parsed:
    """A reply that passed the type rules (a constraint expression may still reject it)."""

    value: Any = None
    special: str | None = None
    other_text: str | None = None
    empty: bool = False


def normalise_text(raw: str) -> str:
    """Fold full-width characters (common in Chinese input) and trim white space."""
    return unicodedata.normalize("NFKC", raw).strip()


def is_empty(raw: RawValue) -> bool:
    """Return True when a raw value carries no answer at all."""
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    if isinstance(raw, Mapping):
        return all(is_empty(v) for v in raw.values())
    if isinstance(raw, Sequence):
        return all(is_empty(v) for v in raw)
    return False


def parse_reply(
    question: Question, reply: Reply, channel: str, language: str, today: dt.date
) -> Parsed | list[Problem]:
    """Check ``reply`` against ``question``'s type rules; return the typed answer or the problems."""
    if reply.special is not None:
        offered = {s.kind.value for s in question.special_for(channel)}
        if reply.special not in offered:
            return [Problem("special_not_offered", {})]
        return Parsed(special=reply.special)
    if is_empty(reply.value):
        if question.required:
            return [Problem("required", {})]
        return Parsed(empty=True)
    parser = _PARSERS[question.type]
    return parser(question, reply, language, today)


def _scalar(raw: RawValue) -> str | None:
    if isinstance(raw, str):
        return normalise_text(raw)
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, int | float):
        return str(raw)
    if isinstance(raw, Sequence) and not isinstance(raw, Mapping) and len(raw) == 1:
        return _scalar(raw[0])
    return None


def _single_choice(question: Question, reply: Reply, language: str, today: dt.date) -> Parsed | list[Problem]:
    if isinstance(reply.value, Sequence) and not isinstance(reply.value, str) and len(reply.value) > 1:
        return [Problem("one_option_only", {})]
    code = _scalar(reply.value)
    if code not in question.option_codes():
        return [Problem("invalid_option", {})]
    return _with_other(question, code, code, reply, language)


def _with_other(
    question: Question, chosen: str, value: Any, reply: Reply, language: str
) -> Parsed | list[Problem]:
    other = question.other
    if other is None or other.code != chosen:
        return Parsed(value=value)
    text = normalise_text(reply.other_text or "")
    if not text and other.text_required:
        return [Problem("other_text_required", {"label": localize(other.label, language)})]
    if len(text) > other.max_length:
        return [Problem("too_long", {"max": other.max_length, "length": len(text)})]
    return Parsed(value=value, other_text=text or None)


def _multiple_choice(
    question: Question, reply: Reply, language: str, today: dt.date
) -> Parsed | list[Problem]:
    raw = reply.value
    items = [raw] if isinstance(raw, str) else list(raw) if isinstance(raw, Sequence) else []
    codes: list[str] = []
    for item in items:
        code = _scalar(item)
        if code and code not in codes:
            codes.append(code)
    valid = question.option_codes()
    if not codes or any(c not in valid for c in codes):
        return [Problem("invalid_option", {})]
    problems: list[Problem] = []
    for option in question.options:
        if option.exclusive and option.code in codes and len(codes) > 1:
            problems.append(Problem("exclusive_option", {"label": localize(option.label, language)}))
    if question.min_selected is not None and len(codes) < question.min_selected:
        problems.append(Problem("too_few_selected", {"min": question.min_selected}))
    if question.max_selected is not None and len(codes) > question.max_selected:
        problems.append(Problem("too_many_selected", {"max": question.max_selected}))
    if problems:
        return problems
    ordered = tuple(c for c in valid if c in codes)
    if question.other is not None and question.other.code in codes:
        return _with_other(question, question.other.code, ordered, reply, language)
    return Parsed(value=ordered)


def scale_bounds(question: Question) -> tuple[int, int]:
    """Return the lowest and highest value of a rating or NPS question."""
    if question.type is QuestionType.NPS:
        return 0, 10
    scale = question.scale
    start = scale.start if scale else 1
    points = scale.points if scale else 5
    return start, start + points - 1


def _whole_number(text: str | None) -> int | None:
    if text is None or not re.fullmatch(r"[+-]?\d+", text):
        return None
    return int(text)


def _scale(question: Question, reply: Reply, language: str, today: dt.date) -> Parsed | list[Problem]:
    low, high = scale_bounds(question)
    value = _whole_number(_scalar(reply.value))
    if value is None or not low <= value <= high:
        return [Problem("out_of_scale", {"min": low, "max": high})]
    return Parsed(value=value)


def _matrix(question: Question, reply: Reply, language: str, today: dt.date) -> Parsed | list[Problem]:
    raw = reply.value if isinstance(reply.value, Mapping) else {}
    answered: dict[str, Any] = {}
    for item in question.items:
        cell = raw.get(item.code)
        if is_empty(cell):
            continue
        text = _scalar(cell)
        if question.options:
            if text not in question.option_codes():
                return [Problem("invalid_option", {})]
            answered[item.code] = text
        else:
            low, high = scale_bounds(question)
            value = _whole_number(text)
            if value is None or not low <= value <= high:
                return [Problem("out_of_scale", {"min": low, "max": high})]
            answered[item.code] = value
    if question.required and len(answered) < len(question.items):
        return [Problem("required_all_items", {})]
    if not answered:
        return Parsed(empty=True)
    return Parsed(value=answered)


def _numeric(question: Question, reply: Reply, language: str, today: dt.date) -> Parsed | list[Problem]:
    text = (_scalar(reply.value) or "").replace(",", "").replace(" ", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        example = "12" if question.decimals == 0 else "12.5"
        return [Problem("not_a_number", {"example": example})]
    exponent = number.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if question.decimals == 0 and places > 0 and number != number.to_integral_value():
        return [Problem("not_whole_number", {})]
    if places > question.decimals and number != number.quantize(Decimal(1).scaleb(-question.decimals)):
        return [Problem("too_many_decimals", {"decimals": question.decimals})]
    value: int | float = int(number) if question.decimals == 0 else float(number)
    if question.min is not None and value < question.min:
        return [Problem("below_min", {"min": _plain(question.min)})]
    if question.max is not None and value > question.max:
        return [Problem("above_max", {"max": _plain(question.max)})]
    return Parsed(value=value)


def _plain(number: float) -> int | float:
    return int(number) if float(number).is_integer() else number


@lru_cache(maxsize=512)
def _compiled_pattern(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _text(question: Question, reply: Reply, language: str, today: dt.date) -> Parsed | list[Problem]:
    raw = reply.value
    text = unicodedata.normalize("NFKC", raw).strip() if isinstance(raw, str) else _scalar(raw) or ""
    default_max = DEFAULT_LONG_TEXT_MAX if question.type is QuestionType.LONG_TEXT else DEFAULT_TEXT_MAX
    limit = question.max_length or default_max
    if len(text) > limit:
        return [Problem("too_long", {"max": limit, "length": len(text)})]
    if question.min_length is not None and len(text) < question.min_length:
        return [Problem("too_short", {"min": question.min_length})]
    if question.pattern:
        compiled = _compiled_pattern(question.pattern)
        if compiled is not None and not compiled.fullmatch(text):
            return [Problem("pattern_mismatch", {})]
    return Parsed(value=text)


def resolve_date(spec: str | None, today: dt.date) -> dt.date | None:
    """Turn a date bound (``YYYY-MM-DD`` or ``today``) into a date; None when absent or invalid."""
    if spec is None:
        return None
    if spec == "today":
        return today
    try:
        return dt.date.fromisoformat(spec)
    except ValueError:
        return None


def _date(question: Question, reply: Reply, language: str, today: dt.date) -> Parsed | list[Problem]:
    text = _scalar(reply.value) or ""
    try:
        value = dt.date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
    except ValueError:
        value = None
    if value is None:
        return [Problem("not_a_date", {})]
    low, high = resolve_date(question.min_date, today), resolve_date(question.max_date, today)
    if low is not None and value < low:
        return [Problem("date_before_min", {"min": low.isoformat()})]
    if high is not None and value > high:
        return [Problem("date_after_max", {"max": high.isoformat()})]
    return Parsed(value=value.isoformat())


def _yes_no(question: Question, reply: Reply, language: str, today: dt.date) -> Parsed | list[Problem]:
    text = (_scalar(reply.value) or "").lower()
    if text in YES_WORDS:
        return Parsed(value=True)
    if text in NO_WORDS:
        return Parsed(value=False)
    return [Problem("not_yes_no", {})]


def _nothing(question: Question, reply: Reply, language: str, today: dt.date) -> Parsed | list[Problem]:
    return Parsed(empty=True)


_PARSERS = {
    QuestionType.SINGLE_CHOICE: _single_choice,
    QuestionType.MULTIPLE_CHOICE: _multiple_choice,
    QuestionType.RATING: _scale,
    QuestionType.NPS: _scale,
    QuestionType.MATRIX: _matrix,
    QuestionType.NUMERIC: _numeric,
    QuestionType.TEXT: _text,
    QuestionType.LONG_TEXT: _text,
    QuestionType.DATE: _date,
    QuestionType.YES_NO: _yes_no,
    QuestionType.INFO: _nothing,
    QuestionType.CALCULATE: _nothing,
}
