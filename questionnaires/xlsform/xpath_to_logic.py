"""Translating XLSForm XPath into our logic language (for the importer).

:func:`xpath_to_tree` parses an expression with :func:`~questionnaires.xlsform.xpath_syntax.parse_xpath`
and rewrites the tree: XLSForm names become our question ids, XPath functions become ours, and
comparisons whose meaning depends on the question type (yes/no, multiple choice, codes compared as
numbers) take the form our language needs. Every construct without an equivalent (``pulldata``,
``instance(...)``, a reference to a field that was not imported ...) raises
:class:`~questionnaires.xlsform.tree.TranslationError` with a reason, so the importer reports it
instead of guessing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from questionnaires.xlsform.logic_syntax import emit_logic
from questionnaires.xlsform.tokens import normal_number
from questionnaires.xlsform.tree import (
    COMPARISONS,
    Binary,
    Bool,
    Call,
    Current,
    ListLit,
    Node,
    Num,
    Ref,
    Str,
    TranslationError,
    Unary,
)
from questionnaires.xlsform.xpath_syntax import XPATH_FUNCTIONS, parse_xpath

_KNOWN_UNSUPPORTED = {
    "pulldata": "pulldata() reads an external CSV file",
    "jr:choice-name": "jr:choice-name() looks up a choice label at run time",
    "indexed-repeat": "indexed-repeat() reads a repeat instance",
    "position": "position() depends on repeat instances",
    "instance": "instance() reads a secondary instance (external or choice data)",
    "sum": "sum() aggregates over repeat instances",
    "count": "count() counts repeat instances or nodes",
    "selected-at": "selected-at() has no equivalent",
    "once": "once() (compute only once) has no equivalent",
    "uuid": "uuid() has no equivalent",
    "random": "random() has no equivalent",
    "now": "now() (date and time) has no equivalent",
    "format-date": "format-date() has no equivalent",
    "format-date-time": "format-date-time() has no equivalent",
    "decimal-date-time": "decimal-date-time() has no equivalent",
    "decimal-date": "decimal-date() has no equivalent",
    "current": "current() depends on the XPath context",
    "last": "last() depends on repeat instances",
}

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


@dataclass(frozen=True, slots=True)
class XPathContext:
    """What a translation from XPath needs to know about the form.

    ``names`` maps XLSForm names to our question ids; ``unavailable`` maps the names of fields that
    were not imported to the reason; ``kinds`` maps our ids to question types (``single_choice`` ...);
    ``current_kind`` is the type of the question that ``.`` stands for.
    """

    names: Mapping[str, str]
    unavailable: Mapping[str, str]
    kinds: Mapping[str, str]
    current_kind: str | None = None
    aliases: Mapping[str, Node] | None = None
    """XLSForm names that stand for something else: exported matrix rows, contact fields."""
    code_renames: Mapping[str, Mapping[str, str]] | None = None
    """Choice codes that were shortened, by question id: old code -> new code."""
    current_name: str | None = None
    """In a constraint: the XLSForm name of the question itself (``${self}`` means ``.``)."""


def xpath_to_tree(text: str, context: XPathContext) -> Node:
    """Translate an XLSForm expression to a tree of our language; raise TranslationError."""
    return _FromXPath(context).node(parse_xpath(text))


def xpath_to_logic(text: str, context: XPathContext) -> str:
    """Translate an XLSForm expression to our logic language; raise TranslationError if impossible."""
    return emit_logic(xpath_to_tree(text, context))


class _FromXPath:
    def __init__(self, context: XPathContext) -> None:
        self.c = context

    def kind(self, node: Node) -> str | None:
        """Return the question type of an XPath-side reference (or of ``.``)."""
        if isinstance(node, Ref) and node.name == self.c.current_name:
            return self.c.current_kind
        if isinstance(node, Ref):
            if self.c.aliases and node.name in self.c.aliases:
                return None
            qid = self.c.names.get(node.name)
            return self.c.kinds.get(qid) if qid is not None else None
        if isinstance(node, Current):
            return self.c.current_kind
        return None

    def ref(self, name: str) -> Node:
        if name == self.c.current_name:
            return Current()
        if self.c.aliases and name in self.c.aliases:
            return self.c.aliases[name]
        if name in self.c.names:
            return Ref(self.c.names[name])
        if name in self.c.unavailable:
            raise TranslationError(f"refers to '{name}', which was not imported ({self.c.unavailable[name]})")
        raise TranslationError(f"refers to '{name}', which is not a field of the form")

    def node(self, node: Node) -> Node:
        if isinstance(node, Ref):
            return self.ref(node.name)
        if isinstance(node, Num | Str | Current):
            return node
        if isinstance(node, Unary):
            return Unary(node.op, self.node(node.operand))
        if isinstance(node, Call):
            return self.call(node)
        if isinstance(node, Binary):
            return self.binary(node)
        raise TranslationError(f"unsupported construct {node!r}")  # pragma: no cover - parser never builds it

    def call(self, node: Call) -> Node:
        name = node.name
        if name == "not" and len(node.args) == 1:
            return Unary("not", self.node(node.args[0]))
        if name in ("true", "false") and not node.args:
            return Bool(name == "true")
        if name == "int" and len(node.args) == 1:
            inner = node.args[0]
            if (
                isinstance(inner, Call)
                and inner.name == "format-date"
                and len(inner.args) == 2
                and inner.args[1] == Str("%Y")
            ):
                return Call("year", (self.node(inner.args[0]),))
        if name == "selected" and len(node.args) == 2 and self.kind(node.args[0]) == "yes_no":
            code = node.args[1]
            if isinstance(code, Str) and code.value in ("yes", "no"):
                ref = self.node(node.args[0])
                return ref if code.value == "yes" else Binary("=", ref, Bool(False))
        if name in XPATH_FUNCTIONS:
            ours, counts = XPATH_FUNCTIONS[name]
            if len(node.args) not in counts:
                raise TranslationError(f"{name}() with {len(node.args)} arguments has no equivalent")
            args = tuple(self.node(arg) for arg in node.args)
            if ours == "selected":
                args = (args[0], self.code(args[0], args[1]))
            return Call(ours, args)
        if name in _KNOWN_UNSUPPORTED:
            raise TranslationError(_KNOWN_UNSUPPORTED[name])
        raise TranslationError(f"the function {name}() has no equivalent")

    def binary(self, node: Binary) -> Node:
        op = "/" if node.op == "div" else node.op
        left, right = node.left, node.right
        if op in ("=", "!="):
            special = self.equality(op, left, right) or self.equality(op, right, left)
            if special is not None:
                return special
        if op in COMPARISONS:
            left, right = self.literal_for(right, left, op), self.literal_for(left, right, op)
        new_left, new_right = self.operand(left, op), self.operand(right, op)
        if op in ("=", "!="):
            new_left, new_right = self.code(new_right, new_left), self.code(new_left, new_right)
        if op == "or":
            return _membership(Binary(op, new_left, new_right))
        return Binary(op, new_left, new_right)

    def equality(self, op: str, ref: Node, other: Node) -> Node | None:
        """Translate the XPath comparisons whose meaning needs a different form in our language."""
        kind = self.kind(ref)
        if not isinstance(ref, Ref | Current) or not isinstance(other, Str | Num):
            return None
        literal = other.value if isinstance(other, Str) else other.text
        if literal == "" and isinstance(ref, Ref):
            answered = Call("answered", (self.node(ref),))
            return Unary("not", answered) if op == "=" else answered
        if kind == "yes_no" and literal in ("yes", "no"):
            translated = self.node(ref)
            if literal == "no":  # unanswered is not 'no': keep the comparison
                return Binary(op, translated, Bool(False))
            return translated if op == "=" else Unary("not", translated)
        if kind == "multiple_choice" and literal:
            # XPath compares the whole space-separated answer: exactly this one option chosen.
            translated = self.node(ref)
            exact = Binary(
                "and",
                Call("selected", (translated, self.code(translated, Str(literal)))),
                Binary("=", Call("count_selected", (translated,)), Num("1")),
            )
            return exact if op == "=" else Unary("not", exact)
        return None

    def operand(self, node: Node, op: str) -> Node:
        """Translate an operand; XPath turns choice codes into numbers for arithmetic and ordering."""
        translated = self.node(node)
        kind = self.kind(node)
        numeric_op = op in ("<", "<=", ">", ">=", "+", "-", "*", "/", "mod")
        if numeric_op and (kind == "single_choice" or (kind == "text" and op not in COMPARISONS)):
            return Call("number", (translated,))
        return translated

    def code(self, question: Node, literal: Node) -> Node:
        """Apply a shortened choice code to a literal compared with (or selected in) a question."""
        if isinstance(question, Ref) and isinstance(literal, Str) and self.c.code_renames:
            renames = self.c.code_renames.get(question.name, {})
            return Str(renames.get(literal.value, literal.value))
        return literal

    def literal_for(self, operand: Node, literal: Node, op: str) -> Node:
        """Adapt a literal to the type of the question it is compared with, as XPath would."""
        kind = self.kind(operand)
        if kind in ("single_choice", "multiple_choice") and isinstance(literal, Num) and op in ("=", "!="):
            return Str(literal.text)
        if kind in ("numeric", "rating", "nps") and isinstance(literal, Str) and _NUMBER.match(literal.value):
            return Num(normal_number(literal.value))
        if kind == "date" and isinstance(literal, Str) and _ISO_DATE.match(literal.value):
            return Call("date", (literal,))
        return literal


def _disjuncts(node: Node) -> list[Node]:
    if isinstance(node, Binary) and node.op == "or":
        return _disjuncts(node.left) + _disjuncts(node.right)
    if isinstance(node, Binary) and node.op == "in" and isinstance(node.right, ListLit):
        return [Binary("=", node.left, item) for item in node.right.items]
    return [node]


def _membership(node: Binary) -> Node:
    """``x = 'a' or x = 'b'`` (how ``in`` is written in XPath) becomes ``x in ['a', 'b']``."""
    parts = _disjuncts(node)
    subject: Node | None = None
    values: list[Node] = []
    for part in parts:
        if not (isinstance(part, Binary) and part.op == "=" and isinstance(part.right, Str | Num)):
            return node
        if not isinstance(part.left, Ref | Current) or (subject is not None and part.left != subject):
            return node
        subject = part.left
        values.append(part.right)
    if subject is None or len(values) < 2:
        return node
    return Binary("in", subject, ListLit(tuple(values)))
