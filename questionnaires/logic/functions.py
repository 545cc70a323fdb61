"""The built-in functions: their signatures (for the checker) and implementations (for the evaluator).

Implementations take plain values and never raise: a value they cannot use gives None (or False,
0, '' where the function's documentation says so). ``answered``, ``today``, ``if`` and
``coalesce`` need the environment or lazy arguments, so the evaluator implements them itself.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from questionnaires.logic.values import ValueType, code_text, to_date, to_number, to_text

V = ValueType
NUMERIC = frozenset({V.NUMBER, V.ANY, V.NULL})
DATELIKE = frozenset({V.DATE, V.TEXT, V.ANY, V.NULL})
TEXTUAL = frozenset(set(V) - {V.ITEMS})
CONDITION = frozenset({V.BOOL, V.ANY, V.NULL})
CHOICE = frozenset({V.CODE, V.CODES, V.ANY, V.NULL})
MULTIPLE = frozenset({V.CODES, V.ANY, V.NULL})
CODE_ARG = frozenset({V.TEXT, V.CODE, V.NUMBER, V.ANY})


@dataclass(frozen=True, slots=True)
class Function:
    """A built-in function: argument counts, accepted argument types, result type, implementation.

    ``params`` gives the accepted types per argument; the last entry repeats for further
    arguments. ``result`` None means the checker derives it from the arguments (``if``,
    ``coalesce``, ``min``, ``max``). ``impl`` None means the evaluator implements it specially.
    """

    name: str
    min_args: int
    max_args: int | None
    params: tuple[frozenset[ValueType], ...]
    result: ValueType | None
    impl: Callable[..., object] | None

    def arity(self) -> str:
        """Describe the accepted argument count, e.g. ``1 or 2 arguments``."""
        if self.max_args is None:
            return f"at least {self.min_args} argument{'s' if self.min_args != 1 else ''}"
        if self.min_args == self.max_args:
            return f"{self.min_args} argument{'s' if self.min_args != 1 else ''}"
        if self.max_args == self.min_args + 1:
            return f"{self.min_args} or {self.max_args} arguments"
        return f"{self.min_args} to {self.max_args} arguments"

    def param(self, index: int) -> frozenset[ValueType]:
        """Return the types accepted for argument ``index``."""
        return self.params[min(index, len(self.params) - 1)]


def _whole(value: object) -> int | None:
    number = to_number(value)
    if number is None or (isinstance(number, float) and not number.is_integer()):
        return None
    return int(number)


def _finite(number: float) -> float | None:
    return number if math.isfinite(number) else None


def selected(value: object, code: object) -> bool:
    """Return True when a choice answer (code or list of codes) contains ``code``."""
    wanted = code_text(code)
    if value is None or wanted is None:
        return False
    if isinstance(value, str):
        return value == wanted or (" " in value and wanted in value.split())
    if isinstance(value, tuple | list):
        return any(code_text(item) == wanted for item in value)
    return code_text(value) == wanted


def count_selected(value: object) -> int:
    """Return the number of selected codes; 0 when unanswered."""
    if value is None:
        return 0
    if isinstance(value, tuple | list | Mapping):
        return len(value)
    if isinstance(value, str):
        return len(value.split())
    return 1


def length(value: object) -> int:
    """Return the length of text or of a list; 0 for null."""
    if value is None:
        return 0
    if isinstance(value, str | tuple | list | Mapping):
        return len(value)
    return len(to_text(value))


def days_between(start: object, end: object) -> int | None:
    """Return the number of days from ``start`` to ``end`` (positive when ``end`` is later)."""
    first, last = to_date(start), to_date(end)
    return None if first is None or last is None else (last - first).days


def _date_part(part: str) -> Callable[[object], int | None]:
    def impl(value: object) -> int | None:
        date = to_date(value)
        return None if date is None else int(getattr(date, part))

    return impl


def extreme(pick: Callable[..., object]) -> Callable[..., object]:
    """Return min or max over non-null arguments: all numbers or all dates, else None."""

    def impl(*values: object) -> object:
        present = [v for v in values if v is not None]
        if not present:
            return None
        numbers = [to_number(v) for v in present]
        if all(n is not None for n in numbers):
            return pick(numbers)
        dates = [to_date(v) for v in present]
        if all(d is not None for d in dates):
            return pick(dates)
        return None

    return impl


def round_half_up(value: object, digits: object = None) -> int | float | None:
    """Round half away from zero; to a whole number without ``digits``."""
    number = to_number(value)
    places = 0 if digits is None else _whole(digits)
    if number is None or places is None:
        return None
    if (isinstance(number, int) and places >= 0) or places > 15:
        return number
    try:
        rounded = Decimal(repr(number) if isinstance(number, float) else number).quantize(
            Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP
        )
        return int(rounded) if places <= 0 else _finite(float(rounded))
    except (InvalidOperation, OverflowError, ValueError):
        return None


def to_int(value: object) -> int | None:
    """Return the number truncated towards zero."""
    number = to_number(value)
    return None if number is None else int(number)


def power(base: object, exponent: object) -> int | float | None:
    """Return ``base`` to the power ``exponent``; None when it is not a finite real number."""
    b, e = to_number(base), to_number(exponent)
    if b is None or e is None:
        return None
    if isinstance(b, int) and isinstance(e, int) and 0 <= e <= 256 and abs(b) < 2**64:
        result: int = b**e
        return result
    try:
        return _finite(math.pow(b, e))
    except (OverflowError, ValueError):
        return None


def _rounder(op: Callable[[float], int]) -> Callable[[object], int | None]:
    def impl(value: object) -> int | None:
        number = to_number(value)
        return None if number is None else number if isinstance(number, int) else op(number)

    return impl


def _absolute(value: object) -> int | float | None:
    number = to_number(value)
    return None if number is None else abs(number)


def _string_test(test: Callable[[str, str], bool]) -> Callable[[object, object], bool]:
    def impl(text: object, part: object) -> bool:
        return text is not None and part is not None and test(to_text(text), to_text(part))

    return impl


@functools.lru_cache(maxsize=256)
def compiled_regex(pattern: str) -> re.Pattern[str] | None:
    """Return the compiled pattern, or None when it is not a valid regular expression."""
    try:
        return re.compile(pattern)
    except (re.error, OverflowError, RecursionError, ValueError):
        return None


def regex(text: object, pattern: object) -> bool:
    """Return True when the regular expression ``pattern`` matches somewhere in ``text``."""
    if text is None or pattern is None:
        return False
    compiled = compiled_regex(to_text(pattern))
    return compiled is not None and compiled.search(to_text(text)) is not None


def substr(text: object, start: object, end: object = None) -> str | None:
    """Return the characters of ``text`` from ``start`` (0-based) up to ``end`` (exclusive)."""
    if text is None:
        return None
    first = _whole(start)
    last = None if end is None else _whole(end)
    if first is None or (end is not None and last is None):
        return None
    return to_text(text)[max(first, 0) : None if last is None else max(last, 0)]


def _text_map(op: Callable[[str], str]) -> Callable[[object], str | None]:
    def impl(value: object) -> str | None:
        return None if value is None else op(to_text(value))

    return impl


def to_date_value(value: object) -> dt.date | None:
    """Return ``value`` as a date (``date('2024-01-31')``), or None."""
    return to_date(value)


def string(value: object) -> str:
    """Return ``value`` as text ('' for null)."""
    return to_text(value)


def concat(*values: object) -> str:
    """Join the text of every argument (null counts as '')."""
    return "".join(to_text(v) for v in values)


def _f(
    name: str,
    lo: int,
    hi: int | None,
    params: tuple[frozenset[ValueType], ...],
    result: V | None,
    impl: Callable[..., object] | None,
) -> tuple[str, Function]:
    return name, Function(name, lo, hi, params, result, impl)


FUNCTIONS: Mapping[str, Function] = dict(
    [
        _f("answered", 1, 1, (TEXTUAL | {V.ITEMS},), V.BOOL, None),
        _f("selected", 2, 2, (CHOICE, CODE_ARG), V.BOOL, selected),
        _f("count_selected", 1, 1, (MULTIPLE,), V.NUMBER, count_selected),
        _f("length", 1, 1, (TEXTUAL - {V.BOOL},), V.NUMBER, length),
        _f("today", 0, 0, (), V.DATE, None),
        _f("date", 1, 1, (DATELIKE,), V.DATE, to_date_value),
        _f("days_between", 2, 2, (DATELIKE,), V.NUMBER, days_between),
        _f("year", 1, 1, (DATELIKE,), V.NUMBER, _date_part("year")),
        _f("month", 1, 1, (DATELIKE,), V.NUMBER, _date_part("month")),
        _f("day", 1, 1, (DATELIKE,), V.NUMBER, _date_part("day")),
        _f("if", 3, 3, (CONDITION, TEXTUAL), None, None),
        _f("coalesce", 1, None, (TEXTUAL,), None, None),
        _f("min", 1, None, (NUMERIC | {V.DATE},), None, extreme(min)),
        _f("max", 1, None, (NUMERIC | {V.DATE},), None, extreme(max)),
        _f("round", 1, 2, (NUMERIC,), V.NUMBER, round_half_up),
        _f("int", 1, 1, (NUMERIC,), V.NUMBER, to_int),
        _f("floor", 1, 1, (NUMERIC,), V.NUMBER, _rounder(math.floor)),
        _f("ceil", 1, 1, (NUMERIC,), V.NUMBER, _rounder(math.ceil)),
        _f("abs", 1, 1, (NUMERIC,), V.NUMBER, _absolute),
        _f("pow", 2, 2, (NUMERIC,), V.NUMBER, power),
        _f("number", 1, 1, (TEXTUAL - {V.CODES},), V.NUMBER, to_number),
        _f("string", 1, 1, (TEXTUAL,), V.TEXT, string),
        _f("concat", 1, None, (TEXTUAL,), V.TEXT, concat),
        _f("contains", 2, 2, (TEXTUAL,), V.BOOL, _string_test(lambda s, p: p in s)),
        _f("starts_with", 2, 2, (TEXTUAL,), V.BOOL, _string_test(str.startswith)),
        _f("ends_with", 2, 2, (TEXTUAL,), V.BOOL, _string_test(str.endswith)),
        _f("regex", 2, 2, (TEXTUAL,), V.BOOL, regex),
        _f("substr", 2, 3, (TEXTUAL, NUMERIC), V.TEXT, substr),
        _f("lower", 1, 1, (TEXTUAL,), V.TEXT, _text_map(str.lower)),
        _f("upper", 1, 1, (TEXTUAL,), V.TEXT, _text_map(str.upper)),
        _f("trim", 1, 1, (TEXTUAL,), V.TEXT, _text_map(str.strip)),
    ]
)
"""Every built-in function by name."""
