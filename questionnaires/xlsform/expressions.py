"""Translating expressions between XLSForm XPath and our logic language.

Both directions go through one small syntax tree. XPath is read by a whitelist parser: only the
constructs listed in ``XPATH_FUNCTIONS`` and plain ``${name}`` / ``.`` references translate; every
other construct (``pulldata``, ``instance(...)``, predicates, ``jr:choice-name`` ...) raises
:class:`TranslationError` with a reason, so the importer reports it instead of guessing.

Our language is read by :func:`parse_logic` to write XPath back out for the exporter. The result
of a translation is always run through the real logic parser by the importer as a second check.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

# ---------------------------------------------------------------------------------------------
# Syntax tree shared by both languages


@dataclass(frozen=True, slots=True)
class Num:
    """A number literal, kept as written (normalised) text."""

    text: str


@dataclass(frozen=True, slots=True)
class Str:
    """A string literal."""

    value: str


@dataclass(frozen=True, slots=True)
class Bool:
    """``true`` / ``false``."""

    value: bool


@dataclass(frozen=True, slots=True)
class Null:
    """``null`` (the empty answer)."""


@dataclass(frozen=True, slots=True)
class Ref:
    """A reference to a question (XLSForm name on the XPath side, our id on ours)."""

    name: str


@dataclass(frozen=True, slots=True)
class ItemRef:
    """One row of a matrix answer: ``grid.speed``."""

    name: str
    item: str


@dataclass(frozen=True, slots=True)
class Current:
    """The answer being checked: XPath ``.``, our ``value``."""


@dataclass(frozen=True, slots=True)
class Contact:
    """A contact attribute: ``contact.first_name``."""

    name: str


@dataclass(frozen=True, slots=True)
class ListLit:
    """A list literal, the right side of ``in``."""

    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Call:
    """A function call (function names in the language of the tree)."""

    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Unary:
    """``not x`` or ``-x``."""

    op: str
    operand: Node


@dataclass(frozen=True, slots=True)
class Binary:
    """A binary operation: logic, comparison, arithmetic or ``in``."""

    op: str
    left: Node
    right: Node


Node = Num | Str | Bool | Null | Ref | ItemRef | Current | Contact | ListLit | Call | Unary | Binary


class TranslationError(ValueError):
    """An expression that cannot be read or has no equivalent in the other language."""


COMPARISONS = frozenset({"=", "!=", "<", "<=", ">", ">="})

# ---------------------------------------------------------------------------------------------
# Tokenizer (shared; the two languages differ in names and references)

_NAME_START = r"[A-Za-z_\u00C0-\uFFFF]"
_NAME_CHAR = r"[A-Za-z0-9_.\-\u00B7\u00C0-\uFFFF]"
_XPATH_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<ref>\$\{\s*(?P<refname>[^{}\s]*)\s*\})
  | (?P<string>'[^']*'|"[^"]*")
  | (?P<number>\d+(?:\.\d*)?|\.\d+)
  | (?P<op>!=|<=|>=|//|\.\.|[=<>+\-*/(),\[\]|@.])
  | (?P<name>"""
    + _NAME_START
    + r"(?:[A-Za-z0-9_\-.\u00B7\u00C0-\uFFFF]*[A-Za-z0-9_\u00B7\u00C0-\uFFFF])?(?::"
    + _NAME_START
    + _NAME_CHAR
    + r"""*)?)
    """,
    re.VERBOSE,
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


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    text: str
    position: int


def _tokens(text: str, pattern: re.Pattern[str], language: str) -> list[_Token]:
    result: list[_Token] = []
    position = 0
    while position < len(text):
        match = pattern.match(text, position)
        if match is None:
            raise TranslationError(f"unexpected {text[position]!r} at position {position + 1} in {language}")
        kind = match.lastgroup or ""
        if kind == "refname":  # pragma: no cover - the outer group is reported as lastgroup
            kind = "ref"
        if kind == "ref":
            result.append(_Token("ref", match.group("refname"), position))
        elif kind != "ws":
            result.append(_Token(kind, match.group(0), position))
        position = match.end()
    result.append(_Token("end", "", len(text)))
    return result


class _Parser:
    """A precedence-climbing parser over a token list."""

    def __init__(self, tokens: list[_Token], language: str) -> None:
        self.tokens = tokens
        self.index = 0
        self.language = language

    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def peek(self, offset: int = 1) -> _Token:
        return self.tokens[min(self.index + offset, len(self.tokens) - 1)]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index = min(self.index + 1, len(self.tokens) - 1)
        return token

    def at(self, kind: str, text: str | None = None) -> bool:
        token = self.current
        return token.kind == kind and (text is None or token.text == text)

    def expect(self, kind: str, text: str) -> None:
        if not self.at(kind, text):
            raise self.error(f"expected {text!r}")
        self.advance()

    def error(self, message: str) -> TranslationError:
        token = self.current
        found = f"{token.text!r}" if token.kind != "end" else "the end"
        return TranslationError(
            f"{message} but found {found} at position {token.position + 1} ({self.language})"
        )

    def binary_levels(
        self, levels: Sequence[frozenset[str]], operand: Callable[[], Node], level: int = 0
    ) -> Node:
        if level == len(levels):
            return operand()
        left = self.binary_levels(levels, operand, level + 1)
        while self.current.kind in ("op", "name") and self.current.text in levels[level]:
            op = self.advance().text
            right = self.binary_levels(levels, operand, level + 1)
            left = Binary(op, left, right)
        return left


# ---------------------------------------------------------------------------------------------
# XPath (XLSForm) side

_XPATH_LEVELS = (
    frozenset({"or"}),
    frozenset({"and"}),
    frozenset({"=", "!="}),
    frozenset({"<", "<=", ">", ">="}),
    frozenset({"+", "-"}),
    frozenset({"*", "div", "mod"}),
)


class _XPathParser(_Parser):
    def parse(self) -> Node:
        node = self.binary_levels(_XPATH_LEVELS, self.unary)
        if not self.at("end"):
            raise self.error("expected an operator or the end")
        return node

    def unary(self) -> Node:
        if self.at("op", "-"):
            self.advance()
            return Unary("-", self.unary())
        node = self.primary()
        if self.at("op", "|"):
            raise TranslationError("node-set unions ('|') have no equivalent")
        if self.at("op", "["):
            raise TranslationError("XPath predicates ('[...]') have no equivalent")
        return node

    def primary(self) -> Node:
        token = self.current
        if token.kind == "ref":
            self.advance()
            if self.at("op", "/") or self.at("op", "//"):
                raise TranslationError(f"a path below ${{{token.text}}} has no equivalent")
            if not token.text:
                raise TranslationError("empty ${} reference")
            return Ref(token.text)
        if token.kind == "string":
            self.advance()
            return Str(token.text[1:-1])
        if token.kind == "number":
            self.advance()
            return Num(_normal_number(token.text))
        if token.kind == "op" and token.text == "(":
            self.advance()
            node = self.binary_levels(_XPATH_LEVELS, self.unary)
            self.expect("op", ")")
            return node
        if token.kind == "op" and token.text in (".", "..", "/", "//", "@"):
            return self.path()
        if token.kind == "name":
            if self.peek().kind == "op" and self.peek().text == "(":
                return self.call()
            if token.text in ("and", "or", "div", "mod"):
                raise self.error("expected a value")
            return self.path()
        if token.kind == "op" and token.text == "*":
            raise TranslationError("wildcard paths ('*') have no equivalent")
        raise self.error("expected a value")

    def call(self) -> Node:
        name = self.advance().text
        self.expect("op", "(")
        args: list[Node] = []
        if not self.at("op", ")"):
            args.append(self.binary_levels(_XPATH_LEVELS, self.unary))
            while self.at("op", ","):
                self.advance()
                args.append(self.binary_levels(_XPATH_LEVELS, self.unary))
        self.expect("op", ")")
        if self.at("op", "/") or self.at("op", "//"):
            raise TranslationError(f"a path after {name}(...) has no equivalent")
        return Call(name, tuple(args))

    def path(self) -> Node:
        steps: list[str] = []
        while True:
            token = self.current
            if token.kind == "op" and token.text in (".", "..", "/", "//", "@", "*"):
                steps.append(token.text)
                self.advance()
            elif token.kind == "name" and (not steps or steps[-1] in ("/", "//", "@")):
                steps.append(token.text)
                self.advance()
            else:
                break
            if self.at("op", "["):
                raise TranslationError("XPath predicates ('[...]') have no equivalent")
        text = "".join(steps)
        if text == ".":
            return Current()
        # ../name (sibling, as pyxform writes references) and /data/group/name (absolute).
        match = re.fullmatch(r"(?:\.\./)+([^/@*.][^/@*]*)|/[^/@*]+(?:/[^/@*]+)*/([^/@*]+)", text)
        if match:
            return Ref(match.group(1) or match.group(2))
        if re.fullmatch(r"[^/@*.][^/@*]*", text):
            raise TranslationError(
                f"the relative path '{text}' (a bare name) has no equivalent; use ${{{text}}}"
            )
        raise TranslationError(f"the XPath path '{text}' has no equivalent")


def parse_xpath(text: str) -> Node:
    """Parse an XLSForm (XPath 1.0 subset) expression into the shared tree; raise TranslationError."""
    if "`" in text:
        raise TranslationError("backticks are not part of XPath")
    return _XPathParser(_tokens(text, _XPATH_TOKEN, "XPath"), "XPath").parse()


def _normal_number(text: str) -> str:
    if text.startswith("."):
        text = "0" + text
    if text.endswith("."):
        text = text[:-1]
    return text


# XPath function -> (our function, allowed argument counts)
XPATH_FUNCTIONS: Mapping[str, tuple[str, frozenset[int]]] = {
    "selected": ("selected", frozenset({2})),
    "count-selected": ("count_selected", frozenset({1})),
    "string-length": ("length", frozenset({1})),
    "today": ("today", frozenset({0})),
    "if": ("if", frozenset({3})),
    "coalesce": ("coalesce", frozenset({2})),
    "concat": ("concat", frozenset(range(1, 30))),
    "regex": ("regex", frozenset({2})),
    "number": ("number", frozenset({1})),
    "int": ("int", frozenset({1})),
    "round": ("round", frozenset({1, 2})),
    "string": ("string", frozenset({1})),
    "date": ("date", frozenset({1})),
    "contains": ("contains", frozenset({2})),
    "starts-with": ("starts_with", frozenset({2})),
    "min": ("min", frozenset(range(2, 30))),
    "max": ("max", frozenset(range(2, 30))),
    "abs": ("abs", frozenset({1})),
}
OUR_FUNCTIONS: Mapping[str, str] = {ours: xpath for xpath, (ours, _) in XPATH_FUNCTIONS.items()}

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
            return Num(_normal_number(literal.value))
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


# ---------------------------------------------------------------------------------------------
# Our logic language

_LOGIC_KEYWORDS = frozenset({"and", "or", "not", "in", "div", "mod", "true", "false", "null", "value"})
RESERVED_IDS = _LOGIC_KEYWORDS | {"contact"}
_LOGIC_PREC = {"or": 1, "and": 2, "=": 4, "!=": 4, "<": 4, "<=": 4, ">": 4, ">=": 4, "in": 4, "not in": 4}
_LOGIC_PREC.update({"+": 5, "-": 5, "*": 6, "/": 6, "div": 6, "mod": 6, "%": 6})
_LOGIC_ALIASES = {"==": "=", "<>": "!=", "div": "/", "%": "mod"}
_NOT_PREC = 3
_NEG_PREC = 7
_ATOM_PREC = 9


class _LogicParser(_Parser):
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
        items: list[Node] = []
        if not self.at("op", "]"):
            items.append(self.expression(1))
            while self.at("op", ","):
                self.advance()
                items.append(self.expression(1))
        self.expect("op", "]")
        return ListLit(tuple(items))

    def primary(self) -> Node:
        token = self.current
        if token.kind == "number":
            self.advance()
            return Num(_normal_number(token.text))
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
            args: list[Node] = []
            if not self.at("op", ")"):
                args.append(self.expression(1))
                while self.at("op", ","):
                    self.advance()
                    args.append(self.expression(1))
            self.expect("op", ")")
            return Call(name, tuple(args))
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


_UNESCAPE = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"'}


def _unescape(text: str) -> str:
    # As the logic grammar does: unknown escapes keep their backslash, so regex('\d+') works.
    return re.sub(r"\\(.)", lambda m: _UNESCAPE.get(m.group(1), m.group(0)), text, flags=re.DOTALL)


def parse_logic(text: str) -> Node:
    """Parse an expression of our logic language into the shared tree; raise TranslationError."""
    return _LogicParser(_tokens(text, _LOGIC_TOKEN, "logic"), "logic").parse()


def _quote(value: str, *, escapes: bool) -> str:
    """Quote a string literal: XPath has no escapes; ours escapes only where it must."""
    if not escapes:
        if "'" not in value:
            return f"'{value}'"
        if '"' not in value:
            return f'"{value}"'
        raise TranslationError("a text containing both quote characters cannot be written in XPath")
    quote = "'" if "'" not in value or '"' in value else '"'
    out: list[str] = []
    for index, char in enumerate(value):
        following = value[index + 1] if index + 1 < len(value) else ""
        if char == "\\":
            out.append("\\\\" if following in ("", *_UNESCAPE) else char)
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
        return _quote(node.value, escapes=True)
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


# ---------------------------------------------------------------------------------------------
# Back to XPath (for the exporter)

_XPATH_PREC = {"or": 1, "and": 2, "=": 3, "!=": 3, "<": 4, "<=": 4, ">": 4, ">=": 4}
_XPATH_PREC.update({"+": 5, "-": 5, "*": 6, "div": 6, "mod": 6})


@dataclass(frozen=True, slots=True)
class LogicContext:
    """What writing XPath needs: question types by id and the XLSForm name of each matrix row."""

    kinds: Mapping[str, str]
    item_names: Mapping[tuple[str, str], str]
    contact_names: Mapping[str, str]
    """XLSForm names of the fields that hold contact attributes."""


def logic_to_xpath(text: str, context: LogicContext) -> str:
    """Translate an expression of our logic language to XLSForm XPath; raise TranslationError."""
    return _ToXPath(context).emit(parse_logic(text))


def logic_to_xpath_tree(tree: Node, context: LogicContext) -> str:
    """Write a tree of our language as XLSForm XPath; raise TranslationError."""
    return _ToXPath(context).emit(tree)


def logic_references(text: str) -> Iterator[str]:
    """Yield the contact fields an expression of our language uses (for the exporter's helpers)."""
    yield from _contacts(parse_logic(text))


def _contacts(node: Node) -> Iterator[str]:
    if isinstance(node, Contact):
        yield node.name
    elif isinstance(node, Unary):
        yield from _contacts(node.operand)
    elif isinstance(node, Binary):
        yield from _contacts(node.left)
        yield from _contacts(node.right)
    elif isinstance(node, Call):
        for arg in node.args:
            yield from _contacts(arg)
    elif isinstance(node, ListLit):
        for item in node.items:
            yield from _contacts(item)


class _ToXPath:
    """Writes XPath; ``boolean`` marks places where XPath needs a condition, not a value."""

    def __init__(self, context: LogicContext) -> None:
        self.c = context

    def prec(self, node: Node, *, boolean: bool) -> int:
        if isinstance(node, Binary):
            if node.op == "not in":
                return 9
            if node.op == "in":
                count = len(node.right.items) if isinstance(node.right, ListLit) else 1
                return 9 if count == 0 else 3 if count == 1 else 1
            return _XPATH_PREC["div" if node.op == "/" else node.op]
        if isinstance(node, Unary) and node.op == "-":
            return 7
        if boolean and self.is_yes_no(node):
            return 3
        return 9

    def is_yes_no(self, node: Node) -> bool:
        return isinstance(node, Ref) and self.c.kinds.get(node.name) == "yes_no"

    def emit(self, node: Node, *, boolean: bool = True) -> str:
        if isinstance(node, Num):
            return node.text
        if isinstance(node, Str):
            return _quote(node.value, escapes=False)
        if isinstance(node, Bool):
            return "true()" if node.value else "false()"
        if isinstance(node, Null):
            return "''"
        if isinstance(node, Ref):
            if boolean and self.is_yes_no(node):
                return f"${{{node.name}}} = 'yes'"
            return f"${{{node.name}}}"
        if isinstance(node, ItemRef):
            name = self.c.item_names.get((node.name, node.item))
            if name is None:
                raise TranslationError(f"'{node.name}.{node.item}' is not a row of a matrix")
            return f"${{{name}}}"
        if isinstance(node, Current):
            return "."
        if isinstance(node, Contact):
            name = self.c.contact_names.get(node.name)
            if name is None:
                raise TranslationError(f"no field holds the contact attribute '{node.name}'")
            return f"${{{name}}}"
        if isinstance(node, ListLit):
            raise TranslationError("a list is only allowed after 'in'")
        if isinstance(node, Call):
            return self.call(node)
        if isinstance(node, Unary):
            if node.op == "not":
                return f"not({self.emit(node.operand)})"
            operand = self.emit(node.operand, boolean=False)
            return "-" + (f"({operand})" if self.prec(node.operand, boolean=False) < 9 else operand)
        return self.binary(node)

    def call(self, node: Call) -> str:
        args = node.args
        if node.name == "answered" and len(args) == 1:
            return f"{self.emit(args[0], boolean=False)} != ''"
        if node.name == "year" and len(args) == 1:
            return f"int(format-date({self.emit(args[0], boolean=False)}, '%Y'))"
        name = OUR_FUNCTIONS.get(node.name)
        if name is None:
            raise TranslationError(f"the function {node.name}() has no XLSForm equivalent")
        texts = [self.emit(arg, boolean=node.name == "if" and i == 0) for i, arg in enumerate(args)]
        return f"{name}(" + ", ".join(texts) + ")"

    def binary(self, node: Binary) -> str:
        if node.op == "not in":
            return f"not({self.binary(Binary('in', node.left, node.right))})"
        if node.op == "in":
            if not isinstance(node.right, ListLit):
                raise TranslationError("'in' needs a list: x in ['a', 'b']")
            if not node.right.items:
                return "false()"
            tests = [self.binary(Binary("=", node.left, item)) for item in node.right.items]
            return " or ".join(f"({test})" if len(tests) > 1 else test for test in tests)
        left_node, right_node = node.left, node.right
        if node.op in ("=", "!=") and isinstance(left_node, Ref) and self.is_yes_no(left_node):
            if isinstance(right_node, Bool):
                return f"${{{left_node.name}}} {node.op} '{'yes' if right_node.value else 'no'}'"
        op = "div" if node.op == "/" else node.op
        prec = _XPATH_PREC[op]
        boolean = op in ("and", "or")
        comparison = op in COMPARISONS
        parts: list[str] = []
        for child, right in ((left_node, False), (right_node, True)):
            child_prec = self.prec(child, boolean=boolean)
            needs = child_prec < prec or (right and child_prec == prec) or (comparison and child_prec <= 4)
            text = self.emit(child, boolean=boolean)
            parts.append(f"({text})" if needs else text)
        return f"{parts[0]} {op} {parts[1]}"
