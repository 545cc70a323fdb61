"""The grammar of the logic language and ``parse``, which builds the tree in one LALR pass.

Identifiers are ``[A-Za-z_][A-Za-z0-9_]*``; the keywords ``and or not in div mod true false null
contact value`` cannot be question ids. Matrix item codes and contact fields after the dot may
be any run of letters, digits and underscores. Comparisons do not chain (``a < b < c`` is an
error). ``(a, b)`` is a list only after ``in``. Error positions are 0-based offsets; messages
give 1-based columns.
"""

from __future__ import annotations

import functools
import re
from typing import cast

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

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
    depth,
)
from questionnaires.logic.errors import ExpressionError

KEYWORDS = frozenset({"and", "or", "not", "in", "div", "mod", "true", "false", "null", "contact", "value"})
MAX_DEPTH = 200
"""Deeper expressions are rejected, so checking and evaluating them cannot exhaust the stack."""

GRAMMAR = r"""
?start: or_expr

?or_expr: and_expr
        | and_expr ("or" and_expr)+                 -> or_
?and_expr: not_expr
         | not_expr ("and" not_expr)+               -> and_
?not_expr: comparison
         | "not" not_expr                           -> not_
?comparison: sum
           | sum comp_op sum                        -> compare
           | sum "in" in_rhs                        -> in_
           | sum "not" "in" in_rhs                  -> not_in
!comp_op: "=" | "==" | "!=" | "<>" | "<" | "<=" | ">" | ">="
?sum: product
    | sum add_op product                            -> arith
!add_op: "+" | "-"
?product: unary
        | product mul_op unary                      -> arith
!mul_op: "*" | "/" | "%" | "div" | "mod"
?unary: atom
      | "-" unary                                   -> neg
?atom: primary
     | "(" or_expr ")"
?in_rhs: primary
       | "(" or_expr ("," or_expr)* ")"             -> list_
?primary: NUMBER                                    -> number
        | STRING                                    -> string
        | "true"                                    -> true
        | "false"                                   -> false
        | "null"                                    -> null
        | "[" (or_expr ("," or_expr)*)? "]"         -> list_
        | NAME                                      -> name
        | NAME "." ITEM                             -> matrix_item
        | "contact" "." ITEM                        -> contact
        | "value"                                   -> value
        | NAME "(" (or_expr ("," or_expr)*)? ")"    -> call

NAME: /(?!(and|or|not|in|div|mod|true|false|null|contact|value)(?![A-Za-z0-9_]))[A-Za-z_][A-Za-z0-9_]*/
ITEM: /[A-Za-z0-9_]+/
NUMBER: /\d+(\.\d+)?|\.\d+/
STRING: /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/s

%ignore /\s+/
"""

_COMPARE = {"==": "=", "<>": "!="}
_ARITH = {"div": "/", "mod": "%"}
_UNESCAPE = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"'}
_ESCAPE_RE = re.compile(r"\\(.)", re.DOTALL)
_TOKEN_NAMES = {"RPAR": "')'", "RSQB": "']'"}


def _unescape(text: str) -> str:
    # Unknown escapes keep their backslash, so regex('\d+') means what it says.
    return _ESCAPE_RE.sub(lambda m: _UNESCAPE.get(m.group(1), m.group(0)), text)


@v_args(inline=True)
class _Build(Transformer[Token, Expr]):
    """Callbacks run by the LALR parser as it reduces each rule (no intermediate tree)."""

    def or_(self, *operands: Expr) -> Expr:
        return BoolOp("or", operands)

    def and_(self, *operands: Expr) -> Expr:
        return BoolOp("and", operands)

    def not_(self, operand: Expr) -> Expr:
        return Not(operand)

    def compare(self, left: Expr, op: str, right: Expr) -> Expr:
        return Compare(_COMPARE.get(op, op), left, right)

    def in_(self, left: Expr, right: Expr) -> Expr:
        return In(left, right)

    def not_in(self, left: Expr, right: Expr) -> Expr:
        return In(left, right, negated=True)

    def comp_op(self, token: Token) -> str:
        return str(token)

    add_op = mul_op = comp_op

    def arith(self, left: Expr, op: str, right: Expr) -> Expr:
        return Arith(_ARITH.get(op, op), left, right)

    def neg(self, operand: Expr) -> Expr:
        if isinstance(operand, Const) and type(operand.value) in (int, float):
            return Const(-operand.value)  # type: ignore[operator]
        return Neg(operand)

    def number(self, token: Token) -> Expr:
        text = str(token)
        if len(text) > 40:
            raise ExpressionError(f"number too long at column {(token.start_pos or 0) + 1}", token.start_pos)
        return Const(float(text) if "." in text else int(text))

    def string(self, token: Token) -> Expr:
        return Const(_unescape(str(token)[1:-1]))

    def true(self) -> Expr:
        return Const(True)

    def false(self) -> Expr:
        return Const(False)

    def null(self) -> Expr:
        return Const(None)

    def list_(self, *items: Expr) -> Expr:
        return ListExpr(items)

    def name(self, token: Token) -> Expr:
        return Name(str(token))

    def matrix_item(self, qid: Token, item: Token) -> Expr:
        return MatrixItem(str(qid), str(item))

    def contact(self, field: Token) -> Expr:
        return ContactField(str(field))

    def value(self) -> Expr:
        return CurrentValue()

    def call(self, name: Token, *args: Expr) -> Expr:
        return Call(str(name), args)


@functools.cache
def _parser() -> Lark:
    return Lark(GRAMMAR, parser="lalr", lexer="contextual", transformer=_Build(), maybe_placeholders=False)


def parse(text: str) -> Expr:
    """Parse ``text`` into an expression tree; raise ExpressionError (only) when it is invalid."""
    if not isinstance(text, str):
        raise ExpressionError("an expression must be text")
    return _parse(text)


@functools.lru_cache(maxsize=4096)
def _parse(text: str) -> Expr:
    if not text.strip():
        raise ExpressionError("empty expression", 0)
    try:
        expr = cast(Expr, _parser().parse(text))
    except UnexpectedInput as exc:
        raise _syntax_error(text, exc) from None
    except LarkError as exc:  # pragma: no cover - lark raises UnexpectedInput for bad input
        raise ExpressionError(f"cannot parse the expression: {exc}") from None
    if depth(expr) > MAX_DEPTH:
        raise ExpressionError(f"expression is nested too deeply (more than {MAX_DEPTH} levels)")
    return expr


def _where(text: str, position: int) -> str:
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    return f"at column {column}" if line == 1 else f"at line {line}, column {column}"


def _syntax_error(text: str, exc: UnexpectedInput) -> ExpressionError:
    position = exc.pos_in_stream if isinstance(exc.pos_in_stream, int) else None
    if isinstance(exc, UnexpectedCharacters):
        char = text[position] if position is not None and position < len(text) else ""
        where = _where(text, position or 0)
        if char in ("'", '"'):
            return ExpressionError(f"unterminated string starting {where}", position)
        hint = {"&": "; use 'and'", "|": "; use 'or'", "!": "; use 'not' or '!='"}.get(char, "")
        return ExpressionError(f"unexpected character {char!r} {where}{hint}", position)
    if isinstance(exc, UnexpectedToken) and exc.token.type != "$END":
        token = exc.token
        position = token.start_pos if isinstance(token.start_pos, int) else position
        shown = str(token)
        shown = shown if len(shown) <= 20 else shown[:17] + "..."
        return ExpressionError(f"unexpected {shown!r} {_where(text, position or 0)}", position)
    if isinstance(exc, UnexpectedToken | UnexpectedEOF):
        expected = exc.expected if isinstance(exc, UnexpectedEOF) else exc.accepts or exc.expected
        missing = [_TOKEN_NAMES[name] for name in ("RPAR", "RSQB") if name in expected]
        suffix = f": missing {' or '.join(missing)}" if missing else ""
        return ExpressionError(f"unexpected end of expression{suffix}", len(text))
    return ExpressionError(f"invalid expression {_where(text, position or 0)}", position)
