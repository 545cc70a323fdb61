"""Questions an expression depends on, and the option codes it compares them with."""

from __future__ import annotations

from collections.abc import Iterator

from questionnaires.logic.ast import Call, Compare, Const, Expr, In, ListExpr, MatrixItem, Name, children
from questionnaires.logic.values import code_text


def walk(expr: Expr) -> Iterator[Expr]:
    """Yield ``expr`` and every sub-expression, in source order (without recursion)."""
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(children(node)))


def references(expr: Expr) -> frozenset[str]:
    """Return the question ids ``expr`` uses: bare names and the question of ``q.item``.

    Contact attributes and ``value`` are not questions, so they are not included.
    """
    return frozenset(node.qid for node in walk(expr) if isinstance(node, Name | MatrixItem))


def _code(expr: Expr) -> str | None:
    if isinstance(expr, Const) and not isinstance(expr.value, bool):
        return code_text(expr.value)
    return None


def compared_codes(expr: Expr) -> list[tuple[str, str]]:
    """Return ``(question id, code)`` for every literal a bare question is tested against.

    These are ``q = 'a'`` and ``q != 'a'`` (either way round; number literals give their text,
    ``q1 = 2`` gives ``('q1', '2')``), ``q in ['a', 'b']`` and ``selected(q, 'a')``, in source
    order without repeats. Ordering comparisons and matrix items (``q7.speed = 4``) are left
    out: a scale need not have option codes. The validator uses this to report codes that a
    choice question does not offer.
    """
    found: dict[tuple[str, str], None] = {}
    for node in walk(expr):
        pairs: list[tuple[Expr, Expr]] = []
        if isinstance(node, Compare) and node.op in ("=", "!="):
            pairs = [(node.left, node.right), (node.right, node.left)]
        elif isinstance(node, In) and isinstance(node.right, ListExpr):
            pairs = [(node.left, item) for item in node.right.items]
        elif isinstance(node, Call) and node.name == "selected" and len(node.args) == 2:
            pairs = [(node.args[0], node.args[1])]
        for question, literal in pairs:
            code = _code(literal)
            if isinstance(question, Name) and code is not None:
                found[(question.qid, code)] = None
    return list(found)
