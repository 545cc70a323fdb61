"""The XPath 1.0 subset of XLSForm: reading it into the shared tree, and its string literals.

XPath is read by a whitelist parser: only plain ``${name}`` / ``.`` / ``../name`` references,
literals, operators and function calls parse; predicates, unions, wildcards and other paths raise
:class:`~questionnaires.xlsform.tree.TranslationError` with a reason. ``XPATH_FUNCTIONS`` lists the
functions that have an equivalent in our logic language.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from questionnaires.xlsform.tokens import Parser, normal_number, tokenize
from questionnaires.xlsform.tree import Call, Current, Node, Num, Ref, Str, TranslationError, Unary

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

_XPATH_LEVELS = (
    frozenset({"or"}),
    frozenset({"and"}),
    frozenset({"=", "!="}),
    frozenset({"<", "<=", ">", ">="}),
    frozenset({"+", "-"}),
    frozenset({"*", "div", "mod"}),
)

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


class _XPathParser(Parser):
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
            return Num(normal_number(token.text))
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
        args = self.items(lambda: self.binary_levels(_XPATH_LEVELS, self.unary), ")")
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
    return _XPathParser(tokenize(text, _XPATH_TOKEN, "XPath"), "XPath").parse()


def xpath_string(value: str) -> str:
    """Quote a string literal for XPath, which has no escapes: ``'...'``, else ``"..."``."""
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    raise TranslationError("a text containing both quote characters cannot be written in XPath")
