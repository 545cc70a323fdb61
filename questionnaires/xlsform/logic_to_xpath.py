"""Translating our logic language into XLSForm XPath (for the exporter).

:func:`logic_to_xpath` parses one of our expressions with
:func:`~questionnaires.xlsform.logic_syntax.parse_logic` and writes the tree as XPath: question ids
become ``${name}`` references (matrix rows and contact attributes through the names the exporter
gave them), functions get their XPath names, ``in`` becomes a chain of ``or`` and a yes/no answer
used as a condition becomes ``${q} = 'yes'``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from questionnaires.xlsform.logic_syntax import parse_logic
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
from questionnaires.xlsform.xpath_syntax import OUR_FUNCTIONS, xpath_string

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
            return xpath_string(node.value)
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
