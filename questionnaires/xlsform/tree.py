"""The syntax tree shared by XLSForm XPath and our logic language.

Both languages are read into these nodes and written from them, so a translation is a rewrite of
one tree (see :mod:`~questionnaires.xlsform.xpath_to_logic` and
:mod:`~questionnaires.xlsform.logic_to_xpath`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass


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


def conjoin(parts: Sequence[Node]) -> Node:
    """Join one or more conditions with ``and``, left to right (one part is returned as it is)."""
    combined = parts[0]
    for part in parts[1:]:
        combined = Binary("and", combined, part)
    return combined


def conjuncts(node: Node) -> Iterator[Node]:
    """Yield the parts of a chain of ``and`` (the node itself when it is not an ``and``)."""
    if isinstance(node, Binary) and node.op == "and":
        yield from conjuncts(node.left)
        yield from conjuncts(node.right)
    else:
        yield node
