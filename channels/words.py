"""Reading typed or spoken words as raw answers: numbers, option keys and labels, yes/no, dates.

Shared by the SMS channel and by speech on calls. The mapping is deliberately literal: a reply
becomes an option code, a number as text, ``yes``/``no``, an ISO date or the text itself; ranges,
lengths and selection counts are left to the engine, which validates every answer.

Accepted forms:

* numbers: ``3``, full-width ``３``, ``3.``/``(3)``, Chinese numerals (``三``, ``十`` = 10,
  ``两`` = 2, ``零``/``〇`` = 0, ``二十五``, ``一百零五``, digit by digit ``二〇二四``), English
  ``zero`` to ``twenty``; a scale answer may end in ``分``/``points`` (``8分``);
* options: the key (``1``, ``2``...) or the label in the interview language, compared without
  case, width or surrounding punctuation (``very satisfied``, ``非常满意``); keys are always numeric;
* option letters: ``b``, ``B.``, full-width ``Ｂ``, ``a, c`` for the first, second... option of a
  choice question, unless an option is itself labelled with a single letter;
* several options: ``1 3 5``, ``1,3,5``, ``1、3、5``, ``1，3``, ``1和3``, or ``135`` when every key
  is a single digit;
* yes/no: ``y``/``yes``/``是``/``对``/``好``... and ``n``/``no``/``否``/``不``/``不是``..., or keys 1/2;
* dates: ``2024-03-05``, ``2024/3/5``, ``2024.3.5``, ``2024年3月5日`` (also ``号`` and Chinese
  numerals); day-month orders are not guessed;
* specials: ``DK``/``don't know``/``不知道``/``不清楚`` and ``refused``/``不愿回答``/``拒答``, or
  the special's label, only when the question offers it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from channels.base import special_keys
from questionnaires.messages import message
from questionnaires.state import ChoiceView, QuestionView, Reply

CN_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4,
    "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}  # fmt: skip
CN_UNITS = {"十": 10, "拾": 10, "百": 100, "千": 1000, "万": 10_000, "萬": 10_000}
EN_NUMBERS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen twenty".split()
    )
}
YES_WORDS = frozenset(
    {"y", "yes", "yeah", "yep", "sure", "ok", "okay", "true",
     "是", "是的", "对", "對", "对的", "對的", "好", "好的", "可以", "要", "需要", "有", "同意",
     "愿意", "願意"}
)  # fmt: skip
NO_WORDS = frozenset(
    {"n", "no", "nope", "nah", "false",
     "否", "不", "不是", "不对", "不對", "不要", "不需要", "没有", "沒有", "无", "無", "不用", "不同意",
     "不愿意", "不願意"}
)  # fmt: skip
SPECIAL_WORDS = {
    "dont_know": frozenset(
        {"dk", "don't know", "dont know", "do not know", "not sure", "unsure", "idk",
         "不知道", "不清楚", "不确定", "不確定", "说不清", "說不清"}
    ),
    "refused": frozenset(
        {"refused", "refuse", "rf", "prefer not to say", "no comment",
         "不愿回答", "不願回答", "不想回答", "拒答", "拒绝回答", "拒絕回答", "不方便说", "不方便說"}
    ),
}  # fmt: skip
BACK_WORDS = frozenset({"back", "返回", "上一题", "上一題", "后退", "後退"})
REPEAT_WORDS = frozenset({"repeat", "?", "？", "重复", "重複", "再说一遍", "再說一遍"})
SKIP_WORDS = frozenset({"skip", "跳过", "跳過"})
SCALE_SUFFIX = re.compile(r"^(.+?)\s*(?:分|points?|pts?)$")
LIST_SEPARATORS = re.compile(r"\s*(?:[,;/&+、]|和|及|\band\b)\s*|\s+")
DATE_PATTERNS = (
    re.compile(r"^(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})$"),
    re.compile(r"^(.{1,8}?)\s*年\s*(.{1,3}?)\s*月\s*(.{1,3}?)\s*[日号號]?$"),
)
NUMBER = re.compile(r"^([+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)\s*([^\d\s.,+-][^\d]{0,7})?$")


@dataclass(frozen=True, slots=True)
class Rejected:
    """A reply that could not be mapped; ``message`` is a specific reason (else a generic re-prompt)."""

    message: str | None = None


def normalise(text: str) -> str:
    """Fold full-width forms (NFKC), collapse white space and trim it."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def fold(text: str) -> str:
    """Return ``text`` as compared with words and labels: normalised, lower case, outer punctuation off."""
    folded = normalise(text).casefold().replace("’", "'")
    start, end = 0, len(folded)
    while start < end and (unicodedata.category(folded[start]).startswith("P") or folded[start].isspace()):
        start += 1
    while end > start and (
        unicodedata.category(folded[end - 1]).startswith("P") or folded[end - 1].isspace()
    ):
        end -= 1
    return folded[start:end] or ("?" if folded.strip() == "?" else "")


def _fold_signed(text: str) -> str:
    """Fold ``text`` but keep a leading minus sign (``-3``), which ``fold`` takes for punctuation."""
    folded = fold(text)
    if normalise(text).startswith("-") and folded[:1].isdigit():
        return "-" + folded
    return folded


def chinese_int(text: str) -> int | None:
    """Return the value of a Chinese numeral (``三``, ``十``, ``二十五``, ``二〇二四``), else None."""
    if not text or len(text) > 12 or any(ch not in CN_DIGITS and ch not in CN_UNITS for ch in text):
        return None
    if all(ch in CN_DIGITS for ch in text):
        return int("".join(str(CN_DIGITS[ch]) for ch in text))
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in CN_DIGITS:
            digit = CN_DIGITS[ch]
            continue
        unit = CN_UNITS[ch]
        if unit == 10_000:
            total = (total + section + (digit or 0)) * unit
            section = 0
        else:
            section += (1 if digit is None else digit) * unit
        digit = None
    return total + section + (digit or 0)


def whole_number(text: str) -> int | None:
    """Return the whole number ``text`` spells (digits, Chinese numerals, English words), else None."""
    folded = _fold_signed(text)
    if re.fullmatch(r"[+-]?\d{1,12}", folded):
        return int(folded)
    if folded in EN_NUMBERS:
        return EN_NUMBERS[folded]
    return chinese_int(folded)


def number_text(text: str) -> str | None:
    """Return a number as plain text for the engine (``1234.5``), allowing a short unit (``35岁``)."""
    folded = _fold_signed(text)
    whole = whole_number(folded)
    if whole is not None:
        return str(whole)
    match = NUMBER.match(folded)
    if match:
        return match.group(1).replace(",", "")
    for cut in range(min(len(folded), 12), 0, -1):
        value = chinese_int(folded[:cut])
        if value is not None and not re.search(r"\d", folded[cut:]) and len(folded) - cut <= 8:
            return str(value)
    return None


def date_text(text: str) -> str | None:
    """Return ``YYYY-MM-DD`` for a written date (``2024/3/5``, ``2024年3月5日``), else None.

    An impossible date (``2024-02-30``) is returned as written so that the engine reports it.
    """
    folded = normalise(text).rstrip(".。")
    for pattern in DATE_PATTERNS:
        match = pattern.match(folded)
        if match:
            parts = [whole_number(p) for p in match.groups()]
            year, month, day = parts
            if year is None or month is None or day is None or not 1000 <= year <= 9999:
                return None
            return f"{year:04d}-{month:02d}-{day:02d}"
    return None


def yes_no(text: str) -> str | None:
    """Return ``yes`` or ``no`` for a yes/no word, else None."""
    folded = fold(text)
    if folded in YES_WORDS:
        return "yes"
    if folded in NO_WORDS:
        return "no"
    return None


def special_word(text: str, question: QuestionView) -> str | None:
    """Return the special answer (``dont_know``/``refused``) ``text`` asks for, if the question offers it."""
    folded = fold(text)
    keys = special_keys(question)
    for special in question.special:
        words = SPECIAL_WORDS.get(special.code, frozenset())
        if folded in words or folded == fold(special.label) or folded == keys.get(special.code):
            return special.code
    return None


def choice_for(token: str, choices: Sequence[ChoiceView]) -> ChoiceView | None:
    """Return the choice whose key (as a number) or label matches ``token``."""
    folded = fold(token)
    if not folded:
        return None
    number = whole_number(folded)
    for choice in choices:
        if number is not None and choice.key == str(number):
            return choice
    for choice in choices:
        if folded == fold(choice.label):
            return choice
    return None


_OPTION_LETTERS = re.compile(r"[a-z](?:\s*[,、]\s*[a-z]|\s+[a-z])*")


def letters_to_keys(text: str, question: QuestionView) -> str:
    """Return ``text`` with option letters (``b``, ``a c``) replaced by the options' keys.

    People answer "B" to a list even when it is numbered. Only for choice questions, and only when
    no option is itself labelled with such a letter; anything else is returned unchanged.
    """
    if question.type not in ("single_choice", "multiple_choice"):
        return text
    folded = normalise(text).strip().strip(".)").lower()
    if not _OPTION_LETTERS.fullmatch(folded):
        return text
    options = [*question.choices, *([question.other] if question.other else [])]
    letters = re.findall("[a-z]", folded)
    if any(ord(letter) - ord("a") >= len(options) for letter in letters):
        return text
    if any(option.label.strip().lower() in letters for option in options):
        return text
    return " ".join(options[ord(letter) - ord("a")].key for letter in letters)


def split_list(text: str) -> list[str]:
    """Split ``1 3 5``, ``1,3,5``, ``1、3、5`` or ``1和3`` into tokens."""
    return [t for t in LIST_SEPARATORS.split(normalise(text)) if t and not fold(t) == ""]


def _other_with_text(text: str, question: QuestionView) -> Reply | None:
    """Read ``<other key> <text>`` (``6 parking``) as Other with its text."""
    other = question.other
    if other is None:
        return None
    match = re.match(
        rf"^\s*(?:{re.escape(other.key)}|{re.escape(other.label)})\s*[\s:：.,，、)）-]\s*(.+)$",
        normalise(text),
        re.IGNORECASE,
    )
    if match and match.group(1).strip():
        return Reply(value=other.code, other_text=match.group(1).strip())
    return None


def _looks_numeric(text: str) -> bool:
    return number_text(text) is not None


def single_choice(text: str, question: QuestionView) -> Reply | Rejected:
    """Map a reply to a single-choice, rating, NPS or yes/no question."""
    options = list(question.choices) + ([question.other] if question.other else [])
    choice = choice_for(text, options)
    if choice is not None:
        return Reply(value=choice.code)
    if question.type == "yes_no":
        answer = yes_no(text)
        return Reply(value=answer) if answer else Rejected()
    if question.type in ("rating", "nps"):
        return _scale(text, question)
    with_text = _other_with_text(text, question)
    if with_text is not None:
        return with_text
    tokens = split_list(text)
    if len(tokens) > 1 and all(choice_for(t, options) for t in tokens):
        # Several options on a single-choice question: the engine explains "only one".
        return Reply(value=tuple(c.code for t in tokens if (c := choice_for(t, options))))
    if tokens and choice_for(tokens[0], options) is not None:
        return Rejected()  # "1 because..." is not read as "Other": ask again rather than guess
    if question.other is not None and not _looks_numeric(text):
        # Free words that match no option answer "Other": this is also how a respondent replies
        # after the engine asked what their "Other" is.
        return Reply(value=question.other.code, other_text=normalise(text))
    return Rejected()


def _scale(text: str, question: QuestionView) -> Reply | Rejected:
    folded = fold(text)
    suffix = SCALE_SUFFIX.match(folded)
    candidate = suffix.group(1) if suffix else folded
    number = whole_number(candidate)
    if number is not None:
        return Reply(value=str(number))  # out-of-range values are left to the engine's message
    if question.low_label and folded == fold(question.low_label) and question.scale_min is not None:
        return Reply(value=str(question.scale_min))
    if question.high_label and folded == fold(question.high_label) and question.scale_max is not None:
        return Reply(value=str(question.scale_max))
    return Rejected()


def multiple_choice(text: str, question: QuestionView, language: str) -> Reply | Rejected:
    """Map ``1 3 5`` (or labels, or ``135``) to option codes; trailing words after Other are its text."""
    options = list(question.choices) + ([question.other] if question.other else [])
    whole = choice_for(text, options)
    if whole is not None:
        return Reply(value=(whole.code,))
    folded = fold(text)
    if folded.isdigit() and len(folded) > 1 and all(len(c.key) == 1 for c in options):
        tokens = list(folded)
    else:
        tokens = split_list(text)
    codes: list[str] = []
    rest: list[str] = []
    for index, token in enumerate(tokens):
        choice = choice_for(token, options)
        if choice is None:
            rest = tokens[index:]
            break
        if choice.code not in codes:
            codes.append(choice.code)
    other = question.other
    if rest:
        special = next((s for s in question.special if special_word(rest[0], question) == s.code), None)
        if special is not None:
            return Rejected(message("exclusive_option", language, label=special.label))
        if other is None or _looks_numeric(rest[0]):
            return Rejected()
        if other.code not in codes:
            codes.append(other.code)
        return Reply(value=tuple(codes), other_text=_remainder(text, rest[0]))
    return Reply(value=tuple(codes)) if codes else Rejected()


def _remainder(text: str, first: str) -> str:
    normalised = normalise(text)
    position = normalised.find(first)
    return normalised[position:].strip() if position >= 0 else first


def matrix(text: str, question: QuestionView) -> Reply | Rejected:
    """Map one value per row, in row order (``4 5 3`` or ``453``), to ``{row code: value}``."""
    columns = question.choices
    folded = fold(text)
    rows = question.items
    if folded.isdigit() and len(folded) == len(rows) and all(len(c.key) == 1 for c in columns):
        tokens = list(folded)
    else:
        tokens = split_list(text)
    if len(tokens) != len(rows):
        return Rejected()
    values: dict[str, str] = {}
    for row, token in zip(rows, tokens, strict=True):
        choice = choice_for(token, columns)
        if choice is None:
            return Rejected()
        values[row.code] = choice.code
    return Reply(value=values)


def answer(text: str, question: QuestionView, language: str) -> Reply | Rejected:
    """Map typed or spoken ``text`` to a raw reply for ``question`` (controls are handled by the caller)."""
    if not fold(text):
        return Rejected()
    special = special_word(text, question)
    if special is not None and choice_for(text, question.choices) is None:
        return Reply(special=special)
    kind = question.type
    if kind in ("single_choice", "rating", "nps", "yes_no"):
        return single_choice(text, question)
    if kind == "multiple_choice":
        return multiple_choice(text, question, language)
    if kind == "matrix":
        return matrix(text, question)
    if kind == "numeric":
        number = number_text(text)
        return Reply(value=number) if number is not None else Rejected()
    if kind == "date":
        date = date_text(text)
        return Reply(value=date) if date is not None else Rejected()
    if kind in ("text", "long_text"):
        return Reply(value=unicodedata.normalize("NFKC", text).strip())
    return Reply()
