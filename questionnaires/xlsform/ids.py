"""Our ids for the imported pages and fields, and what each field becomes.

XLSForm names may hold dots, dashes and words of our logic language, and repeat across groups; our
ids may not. Every renaming is reported, and expressions follow it (``names`` maps each XLSForm name
to its id). Choice codes over 64 characters are shortened, and calculates that cannot be translated
are left out before any expression is built.
"""

from __future__ import annotations

import re

from questionnaires import logic
from questionnaires.definition import IDENTIFIER
from questionnaires.xlsform.drafts import Leaf
from questionnaires.xlsform.field_types import question_kind
from questionnaires.xlsform.logic_syntax import RESERVED_IDS, emit_logic
from questionnaires.xlsform.markers import MARKER, QUESTION_FIELDS
from questionnaires.xlsform.naming import unique_name
from questionnaires.xlsform.reading import GENERATED_NOTE, TABLE_HEADER
from questionnaires.xlsform.state import ImportState
from questionnaires.xlsform.tree import Contact, ItemRef, TranslationError
from questionnaires.xlsform.xpath_to_logic import xpath_to_tree

_MAX_ID = 64
_MAX_CODE = 64
_QUESTION_MARKER_KEYS = frozenset(
    {"type", *QUESTION_FIELDS, "other", "contact", "special_codes", "untitled", "neutral"}
)


def assign_ids(state: ImportState) -> None:
    """Give every page and every field still pending its id, and decide what each field becomes.

    A field becomes a question of one of our types, the ``other`` text of a select, a contact
    attribute (an exported contact calculate), or is left out and reported.
    """
    page_ids: set[str] = set()
    for page in state.pages:
        base = re.sub(r"[^A-Za-z0-9_]", "_", page.id) or "page"
        if not re.match(r"[A-Za-z_]", base):
            base = f"p_{base}"
        base = base[:_MAX_ID]
        unique, counter = base, 2
        while unique in page_ids:
            unique = f"{base[: _MAX_ID - 4]}_{counter}"
            counter += 1
        if unique != page.id and page.row is not None:
            state.issue(page.row, page.id, "name", f"the group becomes page '{unique}'")
        page.id = unique
        page_ids.add(unique)
    for page in state.pages:
        for matrix in page.matrices:
            head = next(leaf for leaf in page.leaves if leaf.element is matrix.group)
            qid = str(matrix.marker.get("id") or matrix.group.get("name"))
            head.qid = _new_id(state, qid, matrix.row)
            state.kinds[head.qid] = "matrix"
            for leaf in matrix.leaves:
                leaf.qid = head.qid
                state.aliases[str(leaf.element.get("name"))] = ItemRef(head.qid, leaf.matrix_row or "")
    for leaf in state.leaves:
        if leaf.status != "pending":
            continue
        element = leaf.element
        name = str(element.get("name", ""))
        kind = str(element.get("type", ""))
        marker = state.marker(element.get(MARKER), leaf.row, name)
        leaf.question = {"marker": {k: v for k, v in marker.items() if k in _QUESTION_MARKER_KEYS}}
        if leaf.other_of is not None:
            leaf.status = "other"
            continue
        if TABLE_HEADER.match(name):
            leaf.status = "dropped"
            state.issue(
                leaf.row,
                name,
                kind,
                "pyxform's generated table-list header (the choices as column titles) is not a question",
                dropped=True,
            )
            continue
        contact = marker.get("contact")
        if kind == "calculate" and isinstance(contact, str) and re.fullmatch(IDENTIFIER, contact):
            leaf.status = "contact"
            state.aliases[name] = Contact(contact)
            state.counts["calculates"] -= 1
            continue
        our_kind, problem = question_kind(element, marker, state.choices)
        if our_kind is None:
            leaf.status = "dropped"
            state.unavailable[name] = problem
            state.issue(
                leaf.row,
                name,
                kind,
                f"{problem} cannot be represented; the field is left out",
                dropped=True,
            )
            continue
        generated = GENERATED_NOTE.match(name)
        note = (
            f"; references to ${{{name}}} mean the first one ('{state.names[name]}')"
            if name in state.names
            else ""
        )
        if generated:  # pyxform's name for a note without one: not worth a report
            leaf.qid = _new_id(state, f"note_{generated.group(1)}", leaf.row, report=False)
        else:
            leaf.qid = _new_id(state, name, leaf.row, note=note)
        leaf.kind = our_kind
        state.names.setdefault(name, leaf.qid)
        if our_kind in ("single_choice", "multiple_choice"):
            _shorten_codes(state, leaf)
        state.kinds[leaf.qid] = our_kind
        if leaf.row is not None:
            state.row_of[leaf.qid] = leaf.row


def precheck_calculates(state: ImportState) -> None:
    """Leave out the calculates that cannot be translated, and so everything built on them.

    Done before any expression is built, so that a condition using such a value is reported
    (it refers to a field that was not imported) instead of referring to a missing id.
    """
    changed = True
    while changed:
        changed = False
        for leaf in state.leaves:
            if leaf.status != "pending" or leaf.kind != "calculate":
                continue
            name = str(leaf.element.get("name", ""))
            calculation = (leaf.element.get("bind") or {}).get("calculate")
            reason = "it has no calculation"
            if calculation:
                reason = ""
                try:
                    logic.parse(emit_logic(xpath_to_tree(str(calculation), state.context(None))))
                except TranslationError as exc:
                    reason = f"`{calculation}` cannot be translated: {exc}"
                except logic.ExpressionError as exc:
                    reason = f"`{calculation}` does not translate to a valid expression: {exc}"
            if not reason:
                continue
            leaf.status = "dropped"
            changed = True
            if state.names.get(name) == leaf.qid:
                del state.names[name]
                state.unavailable[name] = "a calculate field that could not be translated"
            state.issue(leaf.row, name, "calculate", f"left out: {reason}", dropped=True)


def _new_id(
    state: ImportState,
    name: str,
    row: int | None,
    *,
    what: str = "question",
    note: str = "",
    report: bool = True,
) -> str:
    candidate = re.sub(r"[^A-Za-z0-9_]", "_", name)
    if not candidate or not re.match(r"[A-Za-z_]", candidate):
        candidate = f"q_{candidate}"
    if candidate in RESERVED_IDS:
        candidate = f"{candidate}_"
    candidate = candidate[:_MAX_ID]
    unique = unique_name(candidate, state.used_ids, limit=_MAX_ID)
    state.used_ids.add(unique)
    if unique != name and report:
        if candidate != name and unique == candidate:
            reason = f"renamed to '{unique}': ids may only use letters, digits and '_'"
            if name in RESERVED_IDS or candidate.rstrip("_") in RESERVED_IDS:
                reason = f"renamed to '{unique}': '{name}' is a word of the logic language"
            elif len(name) > _MAX_ID:
                reason = f"renamed to '{unique}': ids are at most {_MAX_ID} characters"
        else:
            reason = f"renamed to '{unique}': the {what} name '{name}' is used more than once{note}"
        state.issue(row, name, "name", reason)
    return unique


def _shorten_codes(state: ImportState, leaf: Leaf) -> None:
    """Give choice codes over 64 characters a shorter code (expressions are adapted too)."""
    element = leaf.element
    codes = [str(choice.get("name", "")).strip() for choice in state.choices_of(element)]
    if all(len(code) <= _MAX_CODE for code in codes) or leaf.qid is None:
        return
    taken = {code for code in codes if len(code) <= _MAX_CODE}
    renames: dict[str, str] = {}
    for code in codes:
        if len(code) <= _MAX_CODE:
            continue
        short = unique_name(code, taken, limit=_MAX_CODE)
        taken.add(short)
        renames[code] = short
    state.code_renames[leaf.qid] = renames
    listed = "; ".join(f"'{old}' -> '{new}'" for old, new in renames.items())
    state.issue(
        leaf.row,
        str(element.get("name", "")),
        "choice",
        f"codes are at most {_MAX_CODE} characters: {listed}",
    )
