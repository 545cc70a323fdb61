"""Static checks of an expression against the questions it may use: names, arities and types."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from types import MappingProxyType

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
    quote,
    unparse,
)
from questionnaires.logic.functions import CONDITION, DATELIKE, FUNCTIONS, NUMERIC, compiled_regex
from questionnaires.logic.values import ValueType, to_date

V = ValueType
_NO_ITEMS: Mapping[str, frozenset[str]] = MappingProxyType({})
_COMPATIBLE = (frozenset({V.NUMBER, V.CODE}), frozenset({V.TEXT, V.CODE}), frozenset({V.TEXT, V.DATE}))
_QUESTION_NODES = (Name, MatrixItem, ContactField, CurrentValue)


def check(
    expr: Expr,
    *,
    questions: Mapping[str, ValueType],
    matrix_items: Mapping[str, frozenset[str]] = _NO_ITEMS,
    contact_fields: frozenset[str] | None = None,
    value_type: ValueType | None = None,
    expect: ValueType | None = None,
) -> list[str]:
    """Return every problem of ``expr`` as a message; an empty list means it is sound.

    ``questions`` gives the answer type of each question id, ``matrix_items`` the item codes of
    matrix questions, ``contact_fields`` the known contact attributes (None: any is accepted),
    ``value_type`` the type of ``value`` (None: ``value`` is not allowed here) and ``expect`` the
    type the whole expression must have (BOOL for conditions and constraints).
    """
    checker = _Checker(questions, matrix_items, contact_fields, value_type)
    actual = checker.visit(expr)
    if expect is not None and not _fits(actual, expect):
        if expect is V.BOOL:
            checker.problem(f"condition must be true/false, got {actual.value}")
        else:
            checker.problem(f"expected {expect.value}, got {actual.value}")
    return list(dict.fromkeys(checker.messages))


def _fits(actual: ValueType, expect: ValueType) -> bool:
    if actual in (expect, V.ANY) or expect is V.ANY:
        return True
    if expect is V.BOOL:
        return False
    return actual is V.NULL or (expect is V.TEXT and actual is V.CODE)


def _compatible(a: ValueType, b: ValueType) -> bool:
    if a == b or V.ANY in (a, b) or V.NULL in (a, b):
        return True
    return frozenset({a, b}) in _COMPATIBLE


def _join(types: list[ValueType]) -> ValueType:
    present = set(types) - {V.NULL}
    if not present:
        return V.NULL
    if len(present) == 1:
        return present.pop()
    return V.TEXT if present <= {V.TEXT, V.CODE} else V.ANY


def _fragment(expr: Expr) -> str:
    text = unparse(expr)
    return text if len(text) <= 60 else text[:57] + "..."


class _Checker:
    def __init__(
        self,
        questions: Mapping[str, ValueType],
        matrix_items: Mapping[str, frozenset[str]],
        contact_fields: frozenset[str] | None,
        value_type: ValueType | None,
    ) -> None:
        self.questions = questions
        self.matrix_items = matrix_items
        self.contact_fields = contact_fields
        self.value_type = value_type
        self.messages: list[str] = []

    def problem(self, message: str) -> None:
        self.messages.append(message)

    def visit(self, expr: Expr) -> ValueType:
        if isinstance(expr, Const):
            value = expr.value
            if value is None:
                return V.NULL
            if isinstance(value, bool):
                return V.BOOL
            return V.TEXT if isinstance(value, str) else V.NUMBER
        if isinstance(expr, Name):
            if expr.qid not in self.questions:
                self.problem(f"unknown question '{expr.qid}'")
                return V.ANY
            return self.questions[expr.qid]
        if isinstance(expr, MatrixItem):
            return self.matrix_item(expr)
        if isinstance(expr, ContactField):
            if self.contact_fields is not None and expr.name not in self.contact_fields:
                self.problem(f"unknown contact field '{expr.name}'")
            return V.ANY
        if isinstance(expr, CurrentValue):
            if self.value_type is None:
                self.problem("'value' (the answer being checked) can only be used in a constraint")
                return V.ANY
            return self.value_type
        if isinstance(expr, ListExpr):
            for item in expr.items:
                self.scalar(item, self.visit(item), "a list item")
            return V.CODES
        if isinstance(expr, Not):
            self.condition(expr.operand, "the operand of 'not'")
            return V.BOOL
        if isinstance(expr, BoolOp):
            for operand in expr.operands:
                self.condition(operand, f"each side of '{expr.op}'")
            return V.BOOL
        if isinstance(expr, Compare):
            return self.compare(expr)
        if isinstance(expr, In):
            return self.membership(expr)
        if isinstance(expr, Arith):
            return self.arith(expr)
        if isinstance(expr, Neg):
            self.number(expr.operand, self.visit(expr.operand), "'-'")
            return V.NUMBER
        return self.call(expr)

    # --- helpers reporting one kind of problem -------------------------------------------------

    def matrix_hint(self, expr: Expr) -> str:
        qid = expr.qid if isinstance(expr, Name) else _fragment(expr)
        items = sorted(self.matrix_items.get(qid, ()))
        return f"matrix question '{qid}' needs an item, e.g. {qid}.{items[0] if items else 'item'}"

    def scalar(self, expr: Expr, actual: ValueType, where: str) -> bool:
        if actual is V.ITEMS:
            self.problem(self.matrix_hint(expr))
            return False
        if actual is V.CODES:
            self.problem(f"{where} must be a single value, but {_fragment(expr)} is a list of codes")
            return False
        return True

    def condition(self, expr: Expr, where: str) -> None:
        actual = self.visit(expr)
        if actual not in CONDITION:
            self.problem(f"{where} must be true/false, got {actual.value}: {_fragment(expr)}")

    def number(self, expr: Expr, actual: ValueType, where: str) -> None:
        if actual in NUMERIC:
            return
        if actual is V.ITEMS:
            self.problem(self.matrix_hint(expr))
            return
        hint = ""
        if actual is V.CODE:
            hint = f"; use number({_fragment(expr)}) to use a code as a number"
        elif actual is V.BOOL:
            hint = "; use if(condition, 1, 0) to count conditions"
        self.problem(f"{where} needs a number, got {actual.value}: {_fragment(expr)}{hint}")

    def matrix_item(self, expr: MatrixItem) -> ValueType:
        kind = self.questions.get(expr.qid)
        if kind is None:
            self.problem(f"unknown question '{expr.qid}'")
            return V.ANY
        if kind not in (V.ITEMS, V.ANY):
            self.problem(f"question '{expr.qid}' is not a matrix, so it has no item '{expr.item}'")
            return V.ANY
        items = self.matrix_items.get(expr.qid)
        if items is not None and expr.item not in items:
            self.problem(f"matrix question '{expr.qid}' has no item '{expr.item}'")
        return V.CODE

    # --- operators ------------------------------------------------------------------------------

    def compare(self, expr: Compare) -> ValueType:
        left, right = self.visit(expr.left), self.visit(expr.right)
        equality = expr.op in ("=", "!=")
        if equality and V.NULL in (left, right):
            return V.BOOL
        for side, kind in ((expr.left, left), (expr.right, right)):
            if kind is V.CODES:
                self.problem(
                    f"{_fragment(side)} is a multiple choice answer: use selected({_fragment(side)}, 'code') "
                    "instead of comparing it"
                )
                return V.BOOL
            if kind is V.ITEMS:
                self.problem(self.matrix_hint(side))
                return V.BOOL
        if not equality and V.NULL in (left, right):
            self.problem(
                f"null has no order, so this is never true: {_fragment(expr)}; use = null or != null"
            )
        elif not equality and V.BOOL in (left, right):
            self.problem(f"true/false values have no order: {_fragment(expr)}")
        elif not _compatible(left, right):
            self.problem(f"cannot compare {left.value} with {right.value}: {_fragment(expr)}")
        else:
            self.date_literals(expr.left, left, expr.right, right)
        return V.BOOL

    def date_literals(self, a: Expr, a_type: ValueType, b: Expr, b_type: ValueType) -> None:
        for literal, other in ((a, b_type), (b, a_type)):
            if other is V.DATE and isinstance(literal, Const) and isinstance(literal.value, str):
                if to_date(literal.value) is None:
                    self.problem(f"{_fragment(literal)} is not a date: write dates as 'YYYY-MM-DD'")

    def membership(self, expr: In) -> ValueType:
        left = self.visit(expr.left)
        right = self.visit(expr.right)
        keyword = "not in" if expr.negated else "in"
        if left is V.CODES:
            self.problem(
                f"'{keyword}' needs a single value on its left, but {_fragment(expr.left)} is a multiple "
                f"choice answer; use selected({_fragment(expr.left)}, 'code')"
            )
        elif left is V.ITEMS:
            self.problem(self.matrix_hint(expr.left))
        elif right not in (V.CODES, V.ANY, V.NULL):
            self.problem(
                f"the right side of '{keyword}' must be a list, got {right.value}: {_fragment(expr)}"
            )
        elif isinstance(expr.right, ListExpr):
            for item in expr.right.items:
                item_type = self.type_of_literal(item)
                if item_type is not None and not _compatible(left, item_type):
                    self.problem(f"cannot compare {left.value} with {item_type.value}: {_fragment(expr)}")
                    break
        return V.BOOL

    @staticmethod
    def type_of_literal(expr: Expr) -> ValueType | None:
        if not isinstance(expr, Const) or expr.value is None:
            return None
        if isinstance(expr.value, bool):
            return V.BOOL
        return V.TEXT if isinstance(expr.value, str) else V.NUMBER

    def arith(self, expr: Arith) -> ValueType:
        left, right = self.visit(expr.left), self.visit(expr.right)
        if V.DATE in (left, right) and expr.op in ("+", "-"):
            if left is V.DATE and right is V.DATE:
                if expr.op == "-":
                    return V.NUMBER
                self.problem(f"cannot add two dates: {_fragment(expr)}")
                return V.ANY
            if right is V.DATE and expr.op == "-":
                self.problem(f"cannot subtract a date from a number: {_fragment(expr)}")
                return V.ANY
            other_side = expr.right if left is V.DATE else expr.left
            self.number(other_side, right if left is V.DATE else left, f"'{expr.op}' with a date")
            return V.DATE
        self.number(expr.left, left, f"'{expr.op}'")
        self.number(expr.right, right, f"'{expr.op}'")
        if V.NULL in (left, right):
            return V.NULL
        return V.ANY if V.ANY in (left, right) else V.NUMBER

    # --- functions ------------------------------------------------------------------------------

    def call(self, expr: Call) -> ValueType:
        function = FUNCTIONS.get(expr.name)
        if function is None:
            for arg in expr.args:
                self.visit(arg)
            close = difflib.get_close_matches(expr.name, FUNCTIONS, n=1)
            suggestion = f"; did you mean {close[0]}()?" if close else ""
            self.problem(f"unknown function '{expr.name}'{suggestion}")
            return V.ANY
        count = len(expr.args)
        if count < function.min_args or (function.max_args is not None and count > function.max_args):
            self.problem(f"{expr.name}() takes {function.arity()}, got {count}")
            for arg in expr.args:
                self.visit(arg)
            return function.result or V.ANY
        if expr.name == "answered" and not isinstance(expr.args[0], _QUESTION_NODES):
            self.problem(f"answered() needs a question, e.g. answered(q1), not {_fragment(expr.args[0])}")
        types = [self.visit(arg) for arg in expr.args]
        for index, (arg, actual) in enumerate(zip(expr.args, types, strict=True)):
            self.argument(expr.name, index, arg, actual)
        self.literal_arguments(expr)
        if expr.name in ("min", "max") and {V.NUMBER, V.DATE} <= set(types):
            self.problem(f"{expr.name}() needs all numbers or all dates: {_fragment(expr)}")
        if function.result is not None:
            return function.result
        return _join(types[1:] if expr.name == "if" else types)

    def argument(self, name: str, index: int, arg: Expr, actual: ValueType) -> None:
        accepted = FUNCTIONS[name].param(index)
        if actual in accepted:
            return
        if actual is V.ITEMS:
            self.problem(self.matrix_hint(arg))
        elif name == "selected" and index == 0:
            self.problem(f"selected() needs a choice question, but {_fragment(arg)} is a {actual.value}")
        elif name == "count_selected":
            self.problem(
                f"count_selected() needs a multiple choice question, but {_fragment(arg)} is a {actual.value}"
            )
        elif name == "if" and index == 0:
            self.problem(f"the condition of if() must be true/false, got {actual.value}: {_fragment(arg)}")
        elif accepted == NUMERIC or accepted == NUMERIC | {V.DATE}:
            self.number(arg, actual, f"{name}()")
        elif accepted == DATELIKE:
            self.problem(f"{name}() needs a date, got {actual.value}: {_fragment(arg)}")
        elif actual is V.CODES:
            self.problem(f"{name}() needs a single value, but {_fragment(arg)} is a list of codes")
        else:
            self.problem(f"{name}() cannot take {actual.value}: {_fragment(arg)}")

    def literal_arguments(self, expr: Call) -> None:
        literals = [arg.value if isinstance(arg, Const) else None for arg in expr.args]
        if expr.name == "regex" and isinstance(literals[1], str) and compiled_regex(literals[1]) is None:
            self.problem(f"invalid regular expression {_fragment(expr.args[1])}")
        if expr.name in ("date", "days_between", "year", "month", "day"):
            for literal in literals:
                if isinstance(literal, str) and to_date(literal) is None:
                    self.problem(f"{quote(literal)} is not a date: write dates as 'YYYY-MM-DD'")
