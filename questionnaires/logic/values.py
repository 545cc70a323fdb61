"""Runtime values of the logic language: types, the environment protocol, coercions.

Values are plain Python objects: numbers are ``int``/``float`` (never ``bool``), text is ``str``,
a single-choice code is a ``str``, a multiple-choice answer a tuple or list of codes, a matrix
answer a mapping of item code to value, a date a ``datetime.date`` (ISO strings are accepted
wherever a date is expected), and ``None`` is "no value". None of these helpers raise.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
import re
from collections.abc import Mapping
from typing import Protocol

from questionnaires.logic.ast import format_number


class ValueType(enum.Enum):
    """The static type of an expression or of a question's answer."""

    NUMBER = "number"
    TEXT = "text"
    BOOL = "true/false"
    DATE = "date"
    CODE = "choice code"
    """A single-choice code; compares with both text and number literals."""
    CODES = "list of codes"
    """A multiple-choice answer (or a list literal)."""
    ITEMS = "matrix answer"
    """A matrix question: use ``q.item`` for one item's answer."""
    ANY = "any value"
    """Contact attributes and computed values: compatible with everything."""
    NULL = "null"


class Env(Protocol):
    """What an expression may look at while it is evaluated."""

    def answer(self, qid: str) -> object:
        """Return the answer to ``qid``; None when unanswered, skipped or a special answer."""

    def is_answered(self, qid: str) -> bool:
        """Return True when ``qid`` has any answer, including a special answer (Don't know)."""

    def contact(self, name: str) -> object:
        """Return a contact attribute; None when missing."""

    def today(self) -> dt.date:
        """Return the date of the interview."""

    def current_value(self) -> object:
        """Return the answer being validated (``value`` in a constraint)."""


_NUMBER_RE = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*")
_DATE_RE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[T ].*)?", re.DOTALL)


def truthy(value: object) -> bool:
    """Return the truth of a value: None, false, 0, '' and empty lists are false."""
    if value is None or value is False:
        return False
    if value is True:
        return True
    if isinstance(value, int | float):
        return value == value and value != 0
    if isinstance(value, str | tuple | list | Mapping):
        return len(value) > 0
    return True


def is_empty(value: object) -> bool:
    """Return True for None, '' and empty lists or mappings (what ``= null`` tests)."""
    if value is None:
        return True
    if isinstance(value, str | tuple | list | Mapping):
        return len(value) == 0
    return False


def to_number(value: object) -> int | float | None:
    """Return ``value`` as a finite number, or None (numeric strings and booleans convert)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str) and len(value) < 400 and _NUMBER_RE.fullmatch(value):
        text = value.strip()
        if "." in text:
            number = float(text)
            return number if math.isfinite(number) else None
        return int(text)
    return None


def to_date(value: object) -> dt.date | None:
    """Return ``value`` as a date (dates, datetimes and ISO ``YYYY-MM-DD`` strings), or None."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        match = _DATE_RE.fullmatch(value.strip())
        if match is not None:
            try:
                return dt.date.fromisoformat(match.group(1))
            except ValueError:
                return None
    return None


def to_text(value: object) -> str:
    """Return ``value`` as text: '' for None, whole floats without '.0', lists space-separated."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return number_text(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return " ".join(to_text(v) for v in value)
    if isinstance(value, Mapping):
        return " ".join(to_text(v) for v in value.values())
    return str(value)


def number_text(number: int | float) -> str:
    """Return a number as text, a whole float without its '.0' (``5.0`` gives ``'5'``)."""
    try:
        if isinstance(number, float):
            if not math.isfinite(number):
                return ""
            if number.is_integer() and abs(number) < 1e16:
                return str(int(number))
        return format_number(number)
    except ValueError:  # an integer beyond Python's digit limit for str()
        return ""


def code_text(value: object) -> str | None:
    """Return a value as an option code: text as is, numbers as their text, else None."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return number_text(value)
    return None


def _bool_of(text: str) -> bool | None:
    lowered = text.strip().lower()
    if lowered in ("true", "yes", "1"):
        return True
    if lowered in ("false", "no", "0"):
        return False
    return None


def equals(a: object, b: object) -> bool:
    """Return True when two non-null values are equal, comparing codes and numbers numerically."""
    if a is None or b is None:
        return False
    ta, tb = type(a), type(b)
    if ta is tb and ta is not list and ta is not tuple:
        return a == b
    if ta is bool or tb is bool:
        if ta is bool and tb is bool:
            return a == b
        other = b if ta is bool else a
        flag = a if ta is bool else b
        converted = _bool_of(other) if isinstance(other, str) else None
        if converted is None:
            number = to_number(other) if isinstance(other, int | float) else None
            converted = None if number is None else number != 0
        return converted is not None and converted == flag
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, int | float) or isinstance(b, int | float):
        na, nb = to_number(a), to_number(b)
        return na is not None and nb is not None and na == nb
    if isinstance(a, dt.date) or isinstance(b, dt.date):
        da, db = to_date(a), to_date(b)
        return da is not None and da == db
    if isinstance(a, tuple | list) and isinstance(b, tuple | list):
        return len(a) == len(b) and all(equals(x, y) for x, y in zip(a, b, strict=True))
    return False


def order(a: object, b: object) -> int | None:
    """Return -1, 0 or 1 comparing two values, or None when they cannot be ordered.

    Numbers (and numeric strings against numbers) compare numerically, two strings compare
    numerically when both are numeric and as text otherwise, dates against dates or ISO strings.
    """
    if a is None or b is None or type(a) is bool or type(b) is bool:
        return None
    x: object
    y: object
    if isinstance(a, str) and isinstance(b, str):
        na, nb = to_number(a), to_number(b)
        x, y = (na, nb) if na is not None and nb is not None else (a, b)
    elif isinstance(a, int | float) or isinstance(b, int | float):
        x, y = to_number(a), to_number(b)
    elif isinstance(a, dt.date) or isinstance(b, dt.date):
        x, y = to_date(a), to_date(b)
    else:
        return None
    if x is None or y is None:
        return None
    try:
        if x < y:  # type: ignore[operator]
            return -1
        if x > y:  # type: ignore[operator]
            return 1
        return 0 if x == y else None
    except (TypeError, OverflowError):
        return None
