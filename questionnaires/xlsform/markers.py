"""What the exporter keeps in the ``fieldwork`` column, and the constraints it derives from it.

XLSForm has no rating, NPS, yes/no or matrix type, no special answers and no min/max fields: the
exporter writes ODK-equivalent XLSForm (selects, constraints) and keeps our own values as a small
JSON object in an extra ``fieldwork`` column, which pyxform passes through and ODK ignores. On
import, the constraint parts the exporter generated from those values are recognised and removed,
so an exported questionnaire comes back as it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from questionnaires.xlsform.tree import Binary, Call, Current, Node, Num, Str, Unary

MARKER = "fieldwork"
BOUND_FIELDS = (
    "min",
    "max",
    "min_length",
    "max_length",
    "pattern",
    "pattern_message",
    "min_selected",
    "max_selected",
    "min_date",
    "max_date",
)
"""The bound fields of a question: written as constraints, and kept in the marker."""
QUESTION_FIELDS = ("scale", "special", "tags", "variants", "decimals", *BOUND_FIELDS)
"""The question fields the marker keeps, which the importer takes back as they are."""


def marker_dict(value: Any) -> dict[str, Any]:
    """Return a marker value that should be a JSON object with string keys (``{}`` if it is not)."""
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else {}


def number_node(value: float) -> Node:
    """Return a number literal for ``value`` (integral floats written without '.0')."""
    if float(value).is_integer():
        return Num(str(int(value)))
    return Num(repr(float(value)))


def _date_node(bound: str) -> Node:
    return Call("today", ()) if bound == "today" else Call("date", (Str(bound),))


def bound_conjuncts(fields: Mapping[str, Any], kind: str) -> list[Node]:
    """Return the constraint parts (over ``value``) that express the bound fields of a question.

    ``fields`` holds the question's ``min``/``max``, ``min_length``/``max_length``/``pattern``,
    ``min_date``/``max_date``, ``min_selected``/``max_selected``, its ``options`` (exclusive ones)
    and ``special_codes`` (codes of special answers written as choices).
    """
    value = Current()
    parts: list[Node] = []
    if kind == "numeric":
        if fields.get("min") is not None:
            parts.append(Binary(">=", value, number_node(float(fields["min"]))))
        if fields.get("max") is not None:
            parts.append(Binary("<=", value, number_node(float(fields["max"]))))
    elif kind in ("text", "long_text"):
        length = Call("length", (value,))
        if fields.get("min_length") is not None:
            parts.append(Binary(">=", length, number_node(int(fields["min_length"]))))
        if fields.get("max_length") is not None:
            parts.append(Binary("<=", length, number_node(int(fields["max_length"]))))
        if fields.get("pattern"):
            parts.append(Call("regex", (value, Str(str(fields["pattern"])))))
    elif kind == "date":
        if fields.get("min_date"):
            parts.append(Binary(">=", value, _date_node(str(fields["min_date"]))))
        if fields.get("max_date"):
            parts.append(Binary("<=", value, _date_node(str(fields["max_date"]))))
    elif kind == "multiple_choice":
        count = Call("count_selected", (value,))
        if fields.get("min_selected") is not None:
            parts.append(Binary(">=", count, number_node(int(fields["min_selected"]))))
        if fields.get("max_selected") is not None:
            parts.append(Binary("<=", count, number_node(int(fields["max_selected"]))))
        exclusive = [
            str(option["code"])
            for option in fields.get("options") or []
            if isinstance(option, Mapping) and option.get("exclusive")
        ]
        special = fields.get("special_codes")
        if isinstance(special, Mapping):
            exclusive.extend(str(code) for code in special.values())
        for code in exclusive:
            alone = Binary("and", Call("selected", (value, Str(code))), Binary(">", count, Num("1")))
            parts.append(Unary("not", alone))
    return parts
