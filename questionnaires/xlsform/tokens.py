"""The tokenizer and parser base that the XPath and logic-language readers share.

The two languages differ in their token patterns, names and references (see
:mod:`~questionnaires.xlsform.xpath_syntax` and :mod:`~questionnaires.xlsform.logic_syntax`);
splitting text into tokens and walking them with precedence climbing is the same for both.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from questionnaires.xlsform.tree import Binary, Node, TranslationError


@dataclass(frozen=True, slots=True)
class Token:
    """One token: its kind (the pattern group that matched), text and position in the source."""

    kind: str
    text: str
    position: int


def tokenize(text: str, pattern: re.Pattern[str], language: str) -> list[Token]:
    """Split ``text`` into tokens of ``pattern`` (whitespace dropped), ending with an ``end`` token."""
    result: list[Token] = []
    position = 0
    while position < len(text):
        match = pattern.match(text, position)
        if match is None:
            raise TranslationError(f"unexpected {text[position]!r} at position {position + 1} in {language}")
        kind = match.lastgroup or ""
        if kind == "refname":  # pragma: no cover - the outer group is reported as lastgroup
            kind = "ref"
        if kind == "ref":
            result.append(Token("ref", match.group("refname"), position))
        elif kind != "ws":
            result.append(Token(kind, match.group(0), position))
        position = match.end()
    result.append(Token("end", "", len(text)))
    return result


def normal_number(text: str) -> str:
    """Write a number literal without a bare leading or trailing dot (``.5`` -> ``0.5``, ``2.`` -> ``2``)."""
    if text.startswith("."):
        text = "0" + text
    if text.endswith("."):
        text = text[:-1]
    return text


class Parser:
    """A precedence-climbing parser over a token list."""

    def __init__(self, tokens: list[Token], language: str) -> None:
        self.tokens = tokens
        self.index = 0
        self.language = language

    @property
    def current(self) -> Token:
        """The token being looked at."""
        return self.tokens[self.index]

    def peek(self, offset: int = 1) -> Token:
        """Return the token ``offset`` places ahead (the end token past the end)."""
        return self.tokens[min(self.index + offset, len(self.tokens) - 1)]

    def advance(self) -> Token:
        """Return the current token and move to the next one."""
        token = self.tokens[self.index]
        self.index = min(self.index + 1, len(self.tokens) - 1)
        return token

    def at(self, kind: str, text: str | None = None) -> bool:
        """Return whether the current token has ``kind`` (and ``text``, when given)."""
        token = self.current
        return token.kind == kind and (text is None or token.text == text)

    def expect(self, kind: str, text: str) -> None:
        """Step over the token ``text``; raise TranslationError when it is not there."""
        if not self.at(kind, text):
            raise self.error(f"expected {text!r}")
        self.advance()

    def error(self, message: str) -> TranslationError:
        """Return an error saying what was expected and what was found where."""
        token = self.current
        found = f"{token.text!r}" if token.kind != "end" else "the end"
        return TranslationError(
            f"{message} but found {found} at position {token.position + 1} ({self.language})"
        )

    def items(self, item: Callable[[], Node], close: str) -> list[Node]:
        """Parse ``item, item ...`` (none or more) up to the ``close`` token, and step over it."""
        items: list[Node] = []
        if not self.at("op", close):
            items.append(item())
            while self.at("op", ","):
                self.advance()
                items.append(item())
        self.expect("op", close)
        return items

    def binary_levels(
        self, levels: Sequence[frozenset[str]], operand: Callable[[], Node], level: int = 0
    ) -> Node:
        """Parse left-associative binary operators, ``levels`` from the loosest to the tightest."""
        if level == len(levels):
            return operand()
        left = self.binary_levels(levels, operand, level + 1)
        while self.current.kind in ("op", "name") and self.current.text in levels[level]:
            op = self.advance().text
            right = self.binary_levels(levels, operand, level + 1)
            left = Binary(op, left, right)
        return left
