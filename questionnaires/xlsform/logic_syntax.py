"""Our logic language on the shared tree: :func:`parse_logic` reads it, :func:`emit_logic` writes it.

The importer writes every translated XPath expression with :func:`emit_logic` (and runs the result
through the real logic parser as a second check); the exporter reads our expressions with
:func:`parse_logic` to write them out as XPath.
"""

from __future__ import annotations

import re

from questionnaires.xlsform.tokens import Parser, normal_number, tokenize
from questionnaires.xlsform.tree import (
    COMPARISONS,
    Binary,
    Bool,
    Call,
    Contact,
    Current,
    ItemRef,
    ListLit,
    Node,
    Null,
    Num,
    Ref,
    Str,
    TranslationError,
    Unary,
)

_LOGIC_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<number>\d+(?:\.\d+)?|\.\d+)
  | (?P<op>!=|<=|>=|==|<>|[=<>+\-*/%(),\[\]])
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)?)
    """,
    re.VERBOSE,
)
_LOGIC_KEYWORDS = frozenset({"and", "or", "not", "in", "div", "mod", "true", "false", "null", "value"})
RESERVED_IDS = _LOGIC_KEYWORDS | {"contact"}
_LOGIC_PREC = {"or": 1, "and": 2, "=": 4, "!=": 4, "<": 4, "<=": 4, ">": 4, ">=": 4, "in": 4, "not in": 4}
_LOGIC_PREC.update({"+": 5, "-": 5, "*": 6, "/": 6, "div": 6, "mod": 6, "%": 6})
_LOGIC_ALIASES = {"==": "=", "<>": "!=", "div": "/", "%": "mod"}
_NOT_PREC = 3
_NEG_PREC = 7
_ATOM_PREC = 9
_UNESCAPE = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"'}


class _LogicParser(Parser):
    def parse(self) -> Node:
        node = self.expression(1)
        if not self.at("end"):
            raise self.error("expected an operator or the end")
        return node

    def expression(self, min_prec: int) -> Node:
        left = self.prefix()
        while True:
            token = self.current
            negated = token.kind == "name" and token.text == "not" and self.peek().text == "in"
            op = "in" if negated else _LOGIC_ALIASES.get(token.text, token.text)
            prec = _LOGIC_PREC.get(op) if token.kind in ("op", "name") else None
            if prec is None or prec < min_prec:
                return left
            self.advance()
            if negated:
                self.advance()
            if prec == 4:
                right = self.in_rhs() if op == "in" else self.expression(5)
                left = Binary("not in" if negated else op, left, right)
                if self.current.text in COMPARISONS or self.at("name", "in"):
                    raise self.error("comparisons cannot be chained; add parentheses")
            else:
                left = Binary(op, left, self.expression(prec + 1))

    def prefix(self) -> Node:
        if self.at("name", "not"):
            self.advance()
            return Unary("not", self.expression(_NOT_PREC))
        if self.at("op", "-"):
            self.advance()
            return Unary("-", self.expression(_NEG_PREC))
        return self.primary()

    def in_rhs(self) -> Node:
        if self.at("op", "("):
            self.advance()
            items = [self.expression(1)]
            while self.at("op", ","):
                self.advance()
                items.append(self.expression(1))
            self.expect("op", ")")
            return ListLit(tuple(items)) if len(items) > 1 else items[0]
        if self.at("op", "["):
            return self.list_literal()
        return self.primary()

    def list_literal(self) -> Node:
        self.expect("op", "[")
        return ListLit(tuple(self.items(lambda: self.expression(1), "]")))

    def primary(self) -> Node:
        token = self.current
        if token.kind == "number":
            self.advance()
            return Num(normal_number(token.text))
        if token.kind == "string":
            self.advance()
            return Str(_unescape(token.text[1:-1]))
        if token.kind == "op" and token.text == "(":
            self.advance()
            node = self.expression(1)
            self.expect("op", ")")
            return node
        if token.kind == "op" and token.text == "[":
            return self.list_literal()
        if token.kind != "name":
            raise self.error("expected a value")
        self.advance()
        name = token.text
        if self.at("op", "("):
            self.advance()
            return Call(name, tuple(self.items(lambda: self.expression(1), ")")))
        if name in ("true", "false"):
            return Bool(name == "true")
        if name == "null":
            return Null()
        if name == "value":
            return Current()
        if name in _LOGIC_KEYWORDS:
            raise TranslationError(f"'{name}' is an operator, not a value")
        if "." in name:
            head, tail = name.split(".", 1)
            return Contact(tail) if head == "contact" else ItemRef(head, tail)
        return Ref(name)


def _unescape(text: str) -> str:
    # As the logic grammar does: unknown escapes keep their backslash, so regex('\d+') works.
    return re.sub(r"\\(.)", lambda m: _UNESCAPE.get(m.group(1), m.group(0)), text, flags=re.DOTALL)


def parse_logic(text: str) -> Node:
    """Parse an expression of our logic language into the shared tree; raise TranslationError."""
    return _LogicParser(tokenize(text, _LOGIC_TOKEN, "logic"), "logic").parse()


def logic_string(value: str) -> str:
    """Quote a string literal of our language, escaping only where it must."""
    quote = "'" if "'" not in value or '"' in value else '"'
    out: list[str] = []
    for index, char in enumerate(value):
        following = value[index + 1] if index + 1 < len(value) else ""
        if char == "\\":
            # A backslash before a character we escape (a newline becomes "\\n") must be escaped too.
            out.append("\\\\" if following in ("", *_UNESCAPE, "\n", "\t", "\r") else char)
        elif char == quote:
            out.append("\\" + char)
        elif char in "\n\t\r":
            out.append({"\n": "\\n", "\t": "\\t", "\r": "\\r"}[char])
        else:
            out.append(char)
    return quote + "".join(out) + quote


def _logic_prec(node: Node) -> int:
    if isinstance(node, Binary):
        return _LOGIC_PREC[node.op]
    if isinstance(node, Unary):
        return _NOT_PREC if node.op == "not" else _NEG_PREC
    return _ATOM_PREC


def emit_logic(node: Node) -> str:
    """Write a tree as an expression of our logic language, with only the parentheses it needs."""

    def wrap(child: Node, needs: bool) -> str:
        text = emit_logic(child)
        return f"({text})" if needs else text

    if isinstance(node, Num):
        return node.text
    if isinstance(node, Str):
        return logic_string(node.value)
    if isinstance(node, Bool):
        return "true" if node.value else "false"
    if isinstance(node, Null):
        return "null"
    if isinstance(node, Ref):
        return node.name
    if isinstance(node, ItemRef):
        return f"{node.name}.{node.item}"
    if isinstance(node, Current):
        return "value"
    if isinstance(node, Contact):
        return f"contact.{node.name}"
    if isinstance(node, ListLit):
        return "[" + ", ".join(emit_logic(item) for item in node.items) + "]"
    if isinstance(node, Call):
        return f"{node.name}(" + ", ".join(emit_logic(arg) for arg in node.args) + ")"
    if isinstance(node, Unary):
        if node.op == "not":
            # Always parenthesise a compound operand: "not (a = 1)" reads the same in any precedence.
            return "not " + wrap(node.operand, _logic_prec(node.operand) < _ATOM_PREC)
        return "-" + wrap(node.operand, _logic_prec(node.operand) < _ATOM_PREC)
    prec = _LOGIC_PREC[node.op]
    left_prec, right_prec = _logic_prec(node.left), _logic_prec(node.right)
    comparison = prec == 4
    left = wrap(node.left, left_prec < prec or (comparison and left_prec == prec))
    right = wrap(node.right, right_prec <= prec)
    return f"{left} {node.op} {right}"
