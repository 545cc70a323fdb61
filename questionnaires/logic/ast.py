"""The syntax tree of the logic language: small frozen dataclasses, and their canonical text.

Operators are stored in canonical form: ``==`` becomes ``=``, ``<>`` becomes ``!=``, ``div``
becomes ``/`` and ``mod`` becomes ``%``. A minus sign before a number literal is folded into the
literal. ``unparse`` writes a tree back as text that parses to an equal tree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

Scalar = int | float | str | bool | None


@dataclass(frozen=True, slots=True)
class Const:
    """A literal: number, string, ``true``, ``false`` or ``null``.

    ``kind`` (the Python type's name) takes part in equality, so ``Const(1)``, ``Const(1.0)`` and
    ``Const(True)`` differ although ``1 == 1.0 == True``.
    """

    value: Scalar
    kind: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", type(self.value).__name__)


@dataclass(frozen=True, slots=True)
class ListExpr:
    """A list ``[a, b]`` (or ``(a, b)`` after ``in``)."""

    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Name:
    """The answer to a question, by its id."""

    qid: str


@dataclass(frozen=True, slots=True)
class MatrixItem:
    """The answer to one item of a matrix question: ``q7.speed``."""

    qid: str
    item: str


@dataclass(frozen=True, slots=True)
class ContactField:
    """A contact attribute: ``contact.first_name``."""

    name: str


@dataclass(frozen=True, slots=True)
class CurrentValue:
    """``value``: the answer being validated by a constraint."""


@dataclass(frozen=True, slots=True)
class Not:
    """Logical negation: ``not x``."""

    operand: Expr


@dataclass(frozen=True, slots=True)
class Neg:
    """Arithmetic negation: ``-x``."""

    operand: Expr


@dataclass(frozen=True, slots=True)
class BoolOp:
    """``a and b and ...`` or ``a or b or ...`` (``op`` is ``and`` or ``or``)."""

    op: str
    operands: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Compare:
    """A comparison; ``op`` is one of ``= != < <= > >=``."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class In:
    """Membership: ``x in [..]`` or, with ``negated``, ``x not in [..]``."""

    left: Expr
    right: Expr
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Arith:
    """Arithmetic; ``op`` is one of ``+ - * / %``."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Call:
    """A function call: ``selected(q1, 'a')``."""

    name: str
    args: tuple[Expr, ...]


Expr = (
    Const
    | ListExpr
    | Name
    | MatrixItem
    | ContactField
    | CurrentValue
    | Not
    | Neg
    | BoolOp
    | Compare
    | In
    | Arith
    | Call
)

COMPARE_OPS = frozenset({"=", "!=", "<", "<=", ">", ">="})
ARITH_OPS = frozenset({"+", "-", "*", "/", "%"})


def children(expr: Expr) -> tuple[Expr, ...]:
    """Return the direct sub-expressions of ``expr``."""
    if isinstance(expr, Compare | Arith | In):
        return (expr.left, expr.right)
    if isinstance(expr, Not | Neg):
        return (expr.operand,)
    if isinstance(expr, BoolOp):
        return expr.operands
    if isinstance(expr, ListExpr):
        return expr.items
    if isinstance(expr, Call):
        return expr.args
    return ()


def depth(expr: Expr) -> int:
    """Return the nesting depth of ``expr`` (a leaf has depth 1), without recursion."""
    deepest = 0
    stack: list[tuple[Expr, int]] = [(expr, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children(node))
    return deepest


# Binding strength, loosest first; used to decide where unparse needs parentheses.
_OR, _AND, _NOT, _COMPARE, _SUM, _PRODUCT, _UNARY, _ATOM = range(8)
_ESCAPES = {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_ESCAPE_RE = re.compile(r"[\\'\n\r\t]")


def quote(text: str) -> str:
    """Return ``text`` as a single-quoted string literal of the language."""
    return "'" + _ESCAPE_RE.sub(lambda m: _ESCAPES[m.group()], text) + "'"


def format_number(number: int | float) -> str:
    """Return a number literal the grammar accepts (no exponent) for a finite ``number``."""
    if isinstance(number, int):
        return str(number)
    text = repr(number)
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    return text if "." in text or not text[-1:].isdigit() else text + ".0"


def _level(expr: Expr) -> int:
    if isinstance(expr, BoolOp):
        return _OR if expr.op == "or" else _AND
    if isinstance(expr, Not):
        return _NOT
    if isinstance(expr, Compare | In):
        return _COMPARE
    if isinstance(expr, Arith):
        return _SUM if expr.op in ("+", "-") else _PRODUCT
    if isinstance(expr, Neg):
        return _UNARY
    if isinstance(expr, Const) and isinstance(expr.value, int | float) and expr.value < 0:
        return _UNARY
    return _ATOM


def _wrap(expr: Expr, minimum: int) -> str:
    text = unparse(expr)
    return f"({text})" if _level(expr) < minimum else text


def unparse(expr: Expr) -> str:
    """Return canonical source text for ``expr``; ``parse(unparse(e)) == e`` for parsed trees."""
    if isinstance(expr, Const):
        value = expr.value
        if value is None:
            return "null"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str):
            return quote(value)
        return format_number(value)
    if isinstance(expr, Name):
        return expr.qid
    if isinstance(expr, MatrixItem):
        return f"{expr.qid}.{expr.item}"
    if isinstance(expr, ContactField):
        return f"contact.{expr.name}"
    if isinstance(expr, CurrentValue):
        return "value"
    if isinstance(expr, ListExpr):
        return "[" + ", ".join(unparse(item) for item in expr.items) + "]"
    if isinstance(expr, Call):
        return expr.name + "(" + ", ".join(unparse(arg) for arg in expr.args) + ")"
    if isinstance(expr, Not):
        return "not " + _wrap(expr.operand, _NOT)
    if isinstance(expr, Neg):
        return "-" + _wrap(expr.operand, _UNARY)
    if isinstance(expr, BoolOp):
        level = _level(expr)
        return f" {expr.op} ".join(_wrap(operand, level + 1) for operand in expr.operands)
    if isinstance(expr, Compare):
        return f"{_wrap(expr.left, _SUM)} {expr.op} {_wrap(expr.right, _SUM)}"
    if isinstance(expr, In):
        keyword = "not in" if expr.negated else "in"
        return f"{_wrap(expr.left, _SUM)} {keyword} {_wrap(expr.right, _ATOM)}"
    level = _level(expr)
    return f"{_wrap(expr.left, level)} {expr.op} {_wrap(expr.right, level + 1)}"
