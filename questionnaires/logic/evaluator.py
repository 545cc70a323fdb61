"""Evaluation: an expression tree is compiled once into nested closures, then called per step.

Semantics in short: null propagates through arithmetic; every comparison involving null is
false, except ``x = null`` (true when x is null, '' or an empty list) and ``x != null``; ``and``,
``or`` and ``not`` use ``truthy`` and give true/false; ``/`` by zero and other impossible
operations give null; ``%`` (``mod``) takes the sign of the dividend, as in XPath.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import operator
from collections.abc import Callable, Mapping
from typing import Any

from questionnaires.logic.ast import (
    Arith,
    BoolOp,
    Call,
    Compare,
    Const,
    ContactField,
    CurrentValue,
    Expr,
    In,
    ListExpr,
    MatrixItem,
    Name,
    Neg,
    Not,
)
from questionnaires.logic.functions import FUNCTIONS, selected
from questionnaires.logic.values import Env, code_text, equals, is_empty, order, to_date, to_number, truthy

Compiled = Callable[[Env], object]
_ORDER_TESTS: dict[str, tuple[Callable[[Any, Any], bool], Callable[[int], bool]]] = {
    "<": (operator.lt, lambda o: o < 0),
    "<=": (operator.le, lambda o: o <= 0),
    ">": (operator.gt, lambda o: o > 0),
    ">=": (operator.ge, lambda o: o >= 0),
}
_RUNTIME_ERRORS = (ArithmeticError, ValueError, TypeError, RecursionError)


def compile_expr(expr: Expr) -> Compiled:
    """Compile ``expr`` into a function of an environment that never raises (failures give None)."""
    inner = _compile(expr)

    def run(env: Env) -> object:
        try:
            return inner(env)
        except _RUNTIME_ERRORS:
            return None

    return run


@functools.lru_cache(maxsize=1024)
def _cached(expr: Expr) -> Compiled:
    return compile_expr(expr)


def evaluate(expr: Expr, env: Env) -> object:
    """Return the value of ``expr`` in ``env`` (None for null or a runtime failure)."""
    return _cached(expr)(env)


def _compile(expr: Expr) -> Compiled:
    if isinstance(expr, Const):
        value = expr.value
        return lambda env: value
    if isinstance(expr, Name):
        qid = expr.qid
        return lambda env: env.answer(qid)
    if isinstance(expr, MatrixItem):
        return _matrix_item(expr.qid, expr.item)
    if isinstance(expr, ContactField):
        name = expr.name
        return lambda env: env.contact(name)
    if isinstance(expr, CurrentValue):
        return lambda env: env.current_value()
    if isinstance(expr, ListExpr):
        if all(isinstance(item, Const) for item in expr.items):
            constant = tuple(item.value for item in expr.items if isinstance(item, Const))
            return lambda env: constant
        parts = [_compile(item) for item in expr.items]
        return lambda env: tuple(part(env) for part in parts)
    if isinstance(expr, Not):
        operand = _compile(expr.operand)
        return lambda env: not truthy(operand(env))
    if isinstance(expr, BoolOp):
        return _bool_op(expr)
    if isinstance(expr, Compare):
        return _compare(expr)
    if isinstance(expr, In):
        return _membership(expr)
    if isinstance(expr, Arith):
        return _arith(expr)
    if isinstance(expr, Neg):
        operand = _compile(expr.operand)
        return lambda env: _negate(operand(env))
    return _call(expr)


def _matrix_item(qid: str, item: str) -> Compiled:
    def get(env: Env) -> object:
        answer = env.answer(qid)
        if type(answer) is dict or isinstance(answer, Mapping):
            return answer.get(item)
        return None

    return get


def _bool_op(expr: BoolOp) -> Compiled:
    parts = tuple(_compile(operand) for operand in expr.operands)
    if expr.op == "and":
        if len(parts) == 2:
            first, second = parts
            return lambda env: truthy(first(env)) and truthy(second(env))
        return lambda env: all(truthy(part(env)) for part in parts)
    if len(parts) == 2:
        first, second = parts
        return lambda env: truthy(first(env)) or truthy(second(env))
    return lambda env: any(truthy(part(env)) for part in parts)


def _compare(expr: Compare) -> Compiled:
    op = expr.op
    for side, other in ((expr.left, expr.right), (expr.right, expr.left)):
        if isinstance(other, Const) and other.value is None and op in ("=", "!="):
            operand = _compile(side)
            if op == "=":
                return lambda env: is_empty(operand(env))
            return lambda env: not is_empty(operand(env))
    left, right = _compile(expr.left), _compile(expr.right)
    if op == "=":
        return lambda env: _equal(left(env), right(env))
    if op == "!=":
        return lambda env: _not_equal(left(env), right(env))
    fast, test = _ORDER_TESTS[op]

    def ordered(env: Env) -> bool:
        a = left(env)
        b = right(env)
        ta = type(a)
        if (ta is int or ta is float) and (type(b) is int or type(b) is float):
            return fast(a, b)
        sign = order(a, b)
        return sign is not None and test(sign)

    return ordered


def _equal(a: object, b: object) -> bool:
    if a is None or b is None:
        return False
    if type(a) is type(b) and type(a) in (str, int, float, bool):
        return a == b
    return equals(a, b)


def _not_equal(a: object, b: object) -> bool:
    if a is None or b is None:
        return False
    return not equals(a, b)


def _membership(expr: In) -> Compiled:
    left = _compile(expr.left)
    right = expr.right
    negated = expr.negated
    if isinstance(right, ListExpr) and all(
        isinstance(i, Const) and type(i.value) is str for i in right.items
    ):
        texts = frozenset(i.value for i in right.items if isinstance(i, Const))

        def in_texts(env: Env) -> bool:
            value = left(env)
            if type(value) is str:
                return (value in texts) is not negated
            if value is None:
                return False
            return any(equals(value, t) for t in texts) is not negated

        return in_texts
    container = _compile(right)

    def contains(env: Env) -> bool:
        value = left(env)
        items = container(env)
        if value is None or not isinstance(items, tuple | list):
            return False
        return any(equals(value, item) for item in items) is not negated

    return contains


def _number_op(op: str, a: int | float, b: int | float) -> int | float | None:
    if op == "+":
        result = a + b
    elif op == "-":
        result = a - b
    elif op == "*":
        result = a * b
    elif b == 0:
        return None
    elif op == "/":
        if isinstance(a, int) and isinstance(b, int) and a % b == 0:
            return a // b
        result = a / b
    elif isinstance(a, int) and isinstance(b, int):
        remainder = abs(a) % abs(b)
        return -remainder if a < 0 else remainder
    else:
        result = math.fmod(a, b)
    return result if type(result) is int or math.isfinite(result) else None


def _arith_value(op: str, a: object, b: object) -> object:
    """Apply an arithmetic operator to any two values: numbers, numeric strings or dates."""
    if a is None or b is None:
        return None
    x, y = to_number(a), to_number(b)
    try:
        if x is not None and y is not None:
            return _number_op(op, x, y)
        if op not in ("+", "-"):
            return None
        da, db = to_date(a), to_date(b)
        if da is not None and y is not None:
            return da + dt.timedelta(days=y) if op == "+" else da - dt.timedelta(days=y)
        if op == "+" and db is not None and x is not None:
            return db + dt.timedelta(days=x)
        if op == "-" and da is not None and db is not None:
            return (da - db).days
    except (OverflowError, ValueError):
        return None
    return None


def _arith(expr: Arith) -> Compiled:
    left, right = _compile(expr.left), _compile(expr.right)
    op = expr.op

    def compute(env: Env) -> object:
        a = left(env)
        b = right(env)
        try:
            if type(a) is int and type(b) is int and op != "/" and op != "%":
                return a + b if op == "+" else a - b if op == "-" else a * b
        except OverflowError:  # pragma: no cover - int arithmetic does not overflow
            return None
        return _arith_value(op, a, b)

    return compute


def _negate(value: object) -> int | float | None:
    number = to_number(value) if type(value) is not int else value
    return None if number is None else -number


def _call(expr: Call) -> Compiled:
    name = expr.name
    function = FUNCTIONS.get(name)
    count = len(expr.args)
    if (
        function is None
        or count < function.min_args
        or (function.max_args is not None and count > function.max_args)
    ):
        return lambda env: None  # rejected by check(); null if evaluated anyway
    if name == "answered":
        return _answered(expr.args[0])
    if name == "today":
        return lambda env: env.today()
    args = tuple(_compile(arg) for arg in expr.args)
    if name == "if":
        condition, then, otherwise = args
        return lambda env: then(env) if truthy(condition(env)) else otherwise(env)
    if name == "coalesce":

        def first_present(env: Env) -> object:
            for arg in args:
                value = arg(env)
                if not is_empty(value):
                    return value
            return None

        return first_present
    if name == "selected" and isinstance(expr.args[1], Const):
        return _selected_code(args[0], expr.args[1].value)
    impl = function.impl
    assert impl is not None  # every other function has a plain implementation
    if count == 1:
        (only,) = args
        return lambda env: impl(only(env))
    if count == 2:
        first, second = args
        return lambda env: impl(first(env), second(env))
    return lambda env: impl(*[arg(env) for arg in args])


def _answered(arg: Expr) -> Compiled:
    if isinstance(arg, Name):
        qid = arg.qid
        return lambda env: env.is_answered(qid)
    value = _compile(arg)
    return lambda env: not is_empty(value(env))


def _selected_code(answer: Compiled, code: object) -> Compiled:
    """Specialise ``selected(q, 'literal')``: the common case is a tuple of codes."""
    wanted = code_text(code)
    if wanted is None or isinstance(code, bool):
        return lambda env: False

    def test(env: Env) -> bool:
        value = answer(env)
        if type(value) is tuple and wanted in value:
            return True
        return selected(value, wanted)

    return test
