"""Folding "specify other" text fields into the ``other`` option of the select they belong to.

Two shapes are folded: the ``X_other`` text pyxform generates for ``select_one X or_other``, and a
text question ``X_other`` right after the select ``X``, shown only when one of its options is
chosen (as the exporter writes it, and as many forms do by hand). Such a text that is referenced
elsewhere in the form is kept as a question of its own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from questionnaires.xlsform.drafts import Leaf
from questionnaires.xlsform.logic_syntax import parse_logic
from questionnaires.xlsform.state import ImportState
from questionnaires.xlsform.texts import PIPED
from questionnaires.xlsform.tree import Binary, Call, Ref, Str, TranslationError


def or_other_target(element: Mapping[str, Any], previous: Leaf | None) -> Leaf | None:
    """Return the select whose ``or_other`` pyxform turned into this generated text field."""
    if previous is None or element.get("type") != "text":
        return None
    target = str(previous.element.get("name", ""))
    relevant = (element.get("bind") or {}).get("relevant")
    if (
        element.get("name") == f"{target}_other"
        and element.get("label") == "Specify other."
        and relevant == f"selected(../{target}, 'other')"
        and str(previous.element.get("type", "")).startswith("select")
    ):
        return previous
    return None


def fold_specify_other(state: ImportState, questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Turn ``or_other`` texts, and exported ``X_other`` texts, into the select's ``other``."""
    by_leaf = {id(q["_leaf"]): q for q in questions}
    for other in list(state.pending_others):
        target = other.other_of
        question = by_leaf.get(id(target)) if target is not None else None
        if question is None or question["type"] not in ("single_choice", "multiple_choice"):
            continue
        state.pending_others.remove(other)
        options = question.get("options", [])
        label = next((o["label"] for o in options if o["code"] == "other"), None)
        question["options"] = [o for o in options if o["code"] != "other"]
        question["other"] = {"code": "other", "label": label or {state.languages[0]: "Other"}}
        question["other"]["text_required"] = False
        question.setdefault("_absorbed", []).append(other)
    result: list[dict[str, Any]] = []
    for question in questions:
        previous = result[-1] if result else None
        if previous is not None and _is_specify_other(state, previous, question):
            code = _other_code(previous, question)
            option = next(o for o in previous["options"] if o["code"] == code)
            previous["options"] = [o for o in previous["options"] if o["code"] != code]
            previous["other"] = {"code": code, "label": option["label"]}
            if not question.get("required"):
                previous["other"]["text_required"] = False
            max_length = previous.get("_other_max_length")
            if isinstance(max_length, int):
                previous["other"]["max_length"] = max_length
            previous.setdefault("_absorbed", []).append(question["_leaf"])
            if question.get("text") and question.get("text") != option["label"]:
                leaf = question["_leaf"]
                state.issue(
                    leaf.row,
                    str(leaf.element.get("name", "")),
                    "specify_other",
                    f"folded into the 'Other (please specify)' option '{code}' of '{previous['id']}'; "
                    "its own wording is not kept (the option label is shown)",
                )
            continue
        result.append(question)
    for question in result:
        question.pop("_other_max_length", None)
    return result


def _is_specify_other(state: ImportState, select: dict[str, Any], text: dict[str, Any]) -> bool:
    if select["type"] not in ("single_choice", "multiple_choice") or "other" in select:
        return False
    if text["type"] != "text" or text["id"] != f"{select['id']}_other":
        return False
    if set(text) - {"id", "type", "text", "show_if", "required", "_leaf"}:
        return False
    name = str(text["_leaf"].element.get("name", ""))
    if _referenced(state, name):
        return False
    return _other_code(select, text) is not None


def _other_code(select: dict[str, Any], text: dict[str, Any]) -> str | None:
    show_if = text.get("show_if")
    own = (text["_leaf"].element.get("bind") or {}).get("relevant")
    if not show_if or not own or text["_leaf"].conditions != select["_leaf"].conditions:
        return None
    try:
        tree = parse_logic(show_if)
    except TranslationError:
        return None
    qid = select["id"]
    code: str | None = None
    if isinstance(tree, Call) and tree.name == "selected" and tree.args[:1] == (Ref(qid),):
        if len(tree.args) == 2 and isinstance(tree.args[1], Str):
            code = tree.args[1].value
    elif (
        isinstance(tree, Binary) and tree.op == "=" and tree.left == Ref(qid) and isinstance(tree.right, Str)
    ):
        code = tree.right.value
    codes = {o["code"] for o in select.get("options", [])}
    return code if code in codes and len(codes) > 1 else None


def _referenced(state: ImportState, name: str) -> bool:
    if state.reference_counts is None:
        counts: dict[str, int] = {}

        def walk(value: Any) -> None:
            if isinstance(value, str):
                for match in PIPED.finditer(value):
                    counts[match.group(1)] = counts.get(match.group(1), 0) + 1
                for match in re.finditer(r"\.\./([A-Za-z_][\w.-]*)", value):
                    counts[match.group(1)] = counts.get(match.group(1), 0) + 1
            elif isinstance(value, dict):
                for item in value.values():
                    walk(item)
            elif isinstance(value, list):
                for item in value:
                    walk(item)

        walk(state.form)
        state.reference_counts = counts
    return state.reference_counts.get(name, 0) > 0
