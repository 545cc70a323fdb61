r"""The survey logic expression language: display conditions, constraints and computed values.

``parse`` turns text into a tree of frozen dataclasses (raising only ``ExpressionError``),
``check`` reports every static problem against the questionnaire's questions, ``compile_expr``
turns a tree into a closure of an ``Env`` that never raises, and ``evaluate`` runs one.

The language in brief (keywords are lower case and reserved)::

    literals     3  2.5  'text'  "text"  true  false  null  [1, 'a']   (escapes: \\ \' \" \n \t \r)
    names        q1   q7.speed (matrix item)   contact.first_name   value (in constraints)
    operators    loosest first: or; and; not; = == != <> < <= > >= in, not in; + -; * / % div mod;
                 unary -
    functions    answered selected count_selected length today date days_between year month day
                 if min max round int floor ceil abs pow number string concat contains
                 starts_with ends_with regex substr lower upper trim coalesce

Null propagates through arithmetic and makes every comparison false, except ``= null`` and
``!= null``; see ``evaluator`` for the exact semantics and ``functions`` for each function.
"""

from questionnaires.logic.analysis import compared_codes, references, walk
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
    unparse,
)
from questionnaires.logic.checker import check
from questionnaires.logic.errors import ExpressionError
from questionnaires.logic.evaluator import Compiled, compile_expr, evaluate
from questionnaires.logic.functions import FUNCTIONS
from questionnaires.logic.grammar import KEYWORDS, parse
from questionnaires.logic.values import Env, ValueType, truthy

__all__ = [
    "FUNCTIONS",
    "KEYWORDS",
    "Arith",
    "BoolOp",
    "Call",
    "Compare",
    "Compiled",
    "Const",
    "ContactField",
    "CurrentValue",
    "Env",
    "Expr",
    "ExpressionError",
    "In",
    "ListExpr",
    "MatrixItem",
    "Name",
    "Neg",
    "Not",
    "ValueType",
    "check",
    "compared_codes",
    "compile_expr",
    "evaluate",
    "parse",
    "references",
    "truthy",
    "unparse",
    "walk",
]
