"""Building our questions from the fields of an XLSForm.

Each field becomes a question of the type :func:`~questionnaires.xlsform.field_types.question_kind`
gave it: label and hint (piped), ``show_if`` (its groups' conditions and its own), ``required``,
options, numeric ranges and the bounds read from its constraint, and what the exporter kept in the
``fieldwork`` marker. The columns that have no equivalent (guidance hints, media, defaults, choice
filters ...) are reported; the question itself is kept.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from questionnaires.xlsform.drafts import Leaf, Matrix
from questionnaires.xlsform.groups import condition
from questionnaires.xlsform.logic_syntax import emit_logic
from questionnaires.xlsform.markers import MARKER, QUESTION_FIELDS, bound_conjuncts, marker_dict
from questionnaires.xlsform.state import ImportState
from questionnaires.xlsform.texts import make_neutral, neutral, pipe
from questionnaires.xlsform.tree import Binary, Call, Current, Node, Num, Str, conjoin, conjuncts

_TRUE = frozenset({"yes", "true", "true()", "1"})
_FALSE = frozenset({"no", "false", "false()", "0", ""})


def build_question(state: ImportState, leaf: Leaf) -> dict[str, Any] | None:
    """Build the question of a field (None for a calculate that is left out).

    The question still holds its ``_leaf`` (and the ``_absorbed`` leaves it carries) until the
    page is validated; what the field has that our question cannot hold is reported.
    """
    element = leaf.element
    name = str(element.get("name", ""))
    bind = element.get("bind") or {}
    kind = leaf.kind or "text"
    marker = dict((leaf.question or {}).get("marker", {}))
    question: dict[str, Any] = {"id": leaf.qid or name, "type": kind, "_leaf": leaf}
    text = pipe(state, element.get("label"), leaf.row, name)
    if text:
        question["text"] = text
    help_text = pipe(state, element.get("hint"), leaf.row, name)
    if help_text:
        question["help"] = help_text
    show_if = condition(state, leaf, bind.get("relevant"))
    if show_if:
        question["show_if"] = show_if
    _report_extras(state, leaf, name, kind)
    if kind == "calculate":
        return _calculate(state, question, leaf, name, bind)
    _required(state, question, leaf, bind)
    if bind.get("calculate"):
        state.issue(
            leaf.row,
            name,
            "calculation",
            "a calculation on a question (a computed default) is not representable; it is asked normally",
        )
    parameters = element.get("parameters") or {}
    if str(parameters.get("randomize", "")).lower() == "true" and kind in (
        "single_choice",
        "multiple_choice",
    ):
        question["randomize"] = True
    special_codes = marker_dict(marker.get("special_codes"))
    if kind in ("single_choice", "multiple_choice"):
        question["options"] = _choice_options(state, leaf, set(special_codes.values()))
    if kind == "numeric":
        question["decimals"] = 2 if element.get("type") == "decimal" else 0
        if element.get("type") == "range":
            _range(question, parameters)
    if kind == "rating" and "scale" not in marker:
        codes = [o["code"] for o in _choice_options(state, leaf, set(special_codes.values()))]
        numbers = [int(c) for c in codes if re.fullmatch(r"-?\d+", c)]
        if len(numbers) == len(codes) and numbers and numbers != [1, 2, 3, 4, 5]:
            question["scale"] = {"points": len(numbers), "start": numbers[0]}
    _apply_marker(question, marker)
    if marker.get("untitled") is True:
        question.pop("text", None)
    make_neutral(question, marker)
    constraint = bind.get("constraint")
    if constraint and kind != "info":
        node = state.expression(
            str(constraint),
            leaf.row,
            name,
            "constraint",
            kind,
            "answers are not checked against it",
            own_name=name,
        )
        if node is not None:
            generated = {**marker, "options": question.get("options", []), "special_codes": special_codes}
            node = _constraint_bounds(question, node, generated)
            if node is not None:
                question["constraint"] = emit_logic(node)
    message = pipe(state, bind.get("jr:constraintMsg"), leaf.row, name)
    if message and "constraint" in question:
        question["constraint_message"] = message
        make_neutral(question, marker)
    if bind.get("jr:requiredMsg"):
        state.issue(leaf.row, name, "required_message", "custom 'required' messages are not kept")
    return question


def _report_extras(state: ImportState, leaf: Leaf, name: str, kind: str) -> None:
    """Report the columns of a field that have no equivalent (the field itself is kept)."""
    element = leaf.element
    bind = element.get("bind") or {}
    if element.get("guidance_hint"):
        state.issue(leaf.row, name, "guidance_hint", "guidance hints are not kept")
    choices = element.get("choices") or []
    if element.get("media") or any(isinstance(c, dict) and c.get("media") for c in choices):
        state.issue(leaf.row, name, "media", "images, audio and video in labels are not kept")
    for column in ("default", "trigger"):
        if element.get(column) not in (None, ""):
            state.issue(leaf.row, name, column, f"the '{column}' column has no equivalent and is ignored")
    if str(bind.get("readonly", "")).strip().lower() in _TRUE and kind not in ("calculate", "info"):
        state.issue(
            leaf.row, name, "read_only", "read-only questions are not representable; it is asked normally"
        )
    if element.get("choice_filter") not in (None, ""):
        state.issue(
            leaf.row,
            name,
            "choice_filter",
            f"choice filters (cascading selects) cannot be represented: `{element['choice_filter']}`; "
            "every option of the list is offered",
        )
    for key in element.get("parameters") or {}:
        if key not in ("randomize", "start", "end", "step"):
            state.issue(
                leaf.row, name, "parameters", f"the parameter '{key}' has no equivalent and is ignored"
            )


def _calculate(
    state: ImportState, question: dict[str, Any], leaf: Leaf, name: str, bind: Mapping[str, Any]
) -> dict[str, Any] | None:
    calculation = bind.get("calculate")
    if not calculation:
        leaf.status = "dropped"
        state.issue(
            leaf.row,
            name,
            "calculate",
            "a calculate field without a calculation is left out",
            dropped=True,
        )
        return None
    node = state.expression(
        str(calculation),
        leaf.row,
        name,
        "calculate",
        None,
        "the calculate field is left out",
        dropped=True,
    )
    if node is None:
        leaf.status = "dropped"
        return None
    question["calculation"] = emit_logic(node)
    marker = (leaf.question or {}).get("marker", {})
    make_neutral(question, marker)
    for key in ("tags", "variants"):
        if key in marker:
            question[key] = marker[key]
    return question


def _required(state: ImportState, question: dict[str, Any], leaf: Leaf, bind: Mapping[str, Any]) -> None:
    raw = bind.get("required")
    if raw is None:
        return
    value = str(raw).strip()
    if value.lower() in _TRUE:
        if question["type"] not in ("info", "calculate"):
            question["required"] = True
    elif value.lower() not in _FALSE:
        state.issue(
            leaf.row,
            str(leaf.element.get("name", "")),
            "required",
            f"a conditional 'required' (`{value}`) cannot be represented; the question is optional",
        )


def _choice_options(state: ImportState, leaf: Leaf, skip: set[str]) -> list[dict[str, Any]]:
    """Return the options of a select (codes as text), leaving out the codes in ``skip``."""
    element = leaf.element
    name = str(element.get("name", ""))
    options: list[dict[str, Any]] = []
    for choice in state.choices_of(element):
        code = str(choice.get("name", "")).strip()
        if not code or code in skip:
            continue
        code = state.code_renames.get(leaf.qid or "", {}).get(code, code)
        option: dict[str, Any] = {
            "code": code,
            "label": pipe(state, choice.get("label"), leaf.row, name) or {state.languages[0]: code},
        }
        choice_marker = state.marker(choice.get(MARKER), leaf.row, name)
        if choice_marker.get("neutral") is True:
            option["label"] = neutral(option["label"])
        for flag in ("fixed", "exclusive"):
            if choice_marker.get(flag) is True:
                option[flag] = True
        if isinstance(choice_marker.get("code"), str) and choice_marker["code"]:
            option["code"] = choice_marker["code"]
        options.append(option)
    return options


def _range(question: dict[str, Any], parameters: Mapping[str, Any]) -> None:
    try:
        start = float(parameters.get("start", 1))
        end = float(parameters.get("end", 10))
        step = float(parameters.get("step", 1))
    except (TypeError, ValueError):
        return
    question["min"], question["max"] = min(start, end), max(start, end)
    if not step.is_integer() or not start.is_integer():
        question["decimals"] = 2


def _constraint_bounds(question: dict[str, Any], node: Node, generated: Mapping[str, Any]) -> Node | None:
    """Read min/max (and decimals) from a constraint; drop the parts an exporter generated."""
    try:
        known = set(bound_conjuncts(generated, question["type"]))
    except (TypeError, ValueError):
        known = set()
    kept: list[Node] = []
    for part in conjuncts(node):
        if part in known:
            continue
        kept.append(part)
        if question["type"] == "numeric":
            _numeric_bound(question, part)
    if not kept:
        return None
    return conjoin(kept)


def _numeric_bound(question: dict[str, Any], part: Node) -> None:
    if isinstance(part, Call) and part.name == "regex" and len(part.args) == 2:
        pattern = part.args[1]
        if isinstance(pattern, Str):
            match = re.search(r"\\\.\\d\{(?:\d+,)?(\d+)\}", pattern.value)
            if match:
                question["decimals"] = min(int(match.group(1)), 10)
        return
    if not isinstance(part, Binary) or part.op not in ("<", "<=", ">", ">="):
        return
    op, left, right = part.op, part.left, part.right
    if isinstance(right, Current) and isinstance(left, Num):
        op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]
        left, right = right, left
    if not (isinstance(left, Current) and isinstance(right, Num)):
        return
    bound = float(right.text)
    if op in (">", "<"):
        if question.get("decimals", 0) != 0 or not bound.is_integer():
            return
        bound = bound + 1 if op == ">" else bound - 1
    key = "min" if op in (">", ">=") else "max"
    current = question.get(key)
    if current is None or (key == "min" and bound > current) or (key == "max" and bound < current):
        question[key] = int(bound) if bound.is_integer() else bound


def _apply_marker(question: dict[str, Any], marker: Mapping[str, Any]) -> None:
    """Take the values the exporter kept in the ``fieldwork`` column (validated later)."""
    for key in QUESTION_FIELDS:
        if key in marker:
            question[key] = marker[key]
    other = marker.get("other")
    if isinstance(other, dict) and isinstance(other.get("max_length"), int):
        question["_other_max_length"] = other["max_length"]


def build_matrix(state: ImportState, head: Leaf, matrix: Matrix) -> dict[str, Any] | None:
    """Build the matrix question of an exported matrix group: one item per ``select_one`` row."""
    group = matrix.group
    marker = matrix.marker
    name = str(group.get("name", ""))
    label_element = matrix.label_leaf.element if matrix.label_leaf is not None else group
    question: dict[str, Any] = {"id": head.qid or name, "type": "matrix", "_leaf": head}
    text = pipe(state, label_element.get("label"), matrix.row, name)
    if text and marker.get("untitled") is not True:
        question["text"] = text
    help_text = pipe(state, label_element.get("hint"), matrix.row, name)
    if help_text:
        question["help"] = help_text
    show_if = condition(state, head, (group.get("bind") or {}).get("relevant"))
    if show_if:
        question["show_if"] = show_if
    items: list[dict[str, Any]] = []
    for leaf in matrix.leaves:
        label = pipe(state, leaf.element.get("label"), leaf.row, str(leaf.element.get("name")))
        if label and state.marker(leaf.element.get(MARKER), leaf.row, None).get("neutral") is True:
            label = neutral(label)
        items.append({"code": leaf.matrix_row, "label": label or {state.languages[0]: leaf.matrix_row or ""}})
    question["items"] = items
    make_neutral(question, marker)
    if all(
        str((leaf.element.get("bind") or {}).get("required", "")).lower() in _TRUE for leaf in matrix.leaves
    ):
        question["required"] = True
    special_codes = marker_dict(marker.get("special_codes"))
    if "scale" not in marker:
        question["options"] = _choice_options(state, matrix.leaves[0], set(special_codes.values()))
    for key in ("scale", "special", "tags", "variants", "randomize"):
        if marker.get(key) is not None:
            question[key] = marker[key]
    question["_absorbed"] = [*matrix.leaves, *([matrix.label_leaf] if matrix.label_leaf else [])]
    return question
