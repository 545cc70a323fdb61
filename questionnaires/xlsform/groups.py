"""Walking pyxform's JSON: groups become pages, and their ``relevant`` passes to their fields.

A top-level group is a page; the fields between top-level groups make a page of their own. A
group inside a page is not kept, but its ``relevant`` is: every field in it carries the group's
condition (:func:`condition` joins them with the field's own). A repeat and everything in it is
reported, a metadata field counted and reported, and a group the exporter marked as a matrix is
gathered to be rebuilt as one matrix question.
"""

from __future__ import annotations

from typing import Any

from questionnaires.xlsform.drafts import Condition, Leaf, Matrix, PageDraft
from questionnaires.xlsform.field_types import METADATA_TYPES
from questionnaires.xlsform.logic_syntax import emit_logic
from questionnaires.xlsform.markers import MARKER, marker_dict
from questionnaires.xlsform.other_fields import or_other_target
from questionnaires.xlsform.reading import GENERATED, TABLE_HEADER
from questionnaires.xlsform.state import ImportState
from questionnaires.xlsform.tree import Node, conjoin


def walk_form(state: ImportState) -> None:
    """Sort the form's elements into page drafts and leaves, counting and reporting as it goes."""
    for child in state.form.get("children", []):
        _top_level(state, child)


def _top_level(state: ImportState, element: dict[str, Any]) -> None:
    kind = element.get("type")
    name = str(element.get("name", ""))
    if kind == "group" and name == "meta" and (element.get("control") or {}).get("bodyless"):
        for child in element.get("children", []):
            child_name = str(child.get("name", ""))
            if child.get("type") in METADATA_TYPES:
                _leaf(state, child, None, [], None)
            elif child_name not in ("instanceID", "instanceName"):
                state.issue(
                    None, child_name, "meta", "a field pyxform adds to the form's metadata; not imported"
                )
        return
    if kind == "group":
        row = state.rows.find(name)
        marker = state.marker(element.get(MARKER), row, name)
        page_id = marker.get("page") if isinstance(marker.get("page"), str) else name
        page = PageDraft(
            id=str(page_id), row=row, title=element.get("label"), neutral=marker.get("neutral") is True
        )
        relevant = (element.get("bind") or {}).get("relevant")
        page.relevant = str(relevant) if relevant else None
        page.empty_group = not element.get("children")
        state.pages.append(page)
        if marker.get("type") == "matrix":
            # An exported matrix that is a page by itself cannot happen; treat it as nested.
            _matrix(state, element, row, marker, len(state.pages) - 1, [])
            return
        _children(state, element, len(state.pages) - 1, [])
        return
    page_index = _loose_page(state)
    if kind in ("repeat", "loop"):
        _repeat(state, element, page_index)
        return
    _leaf(state, element, None, [], None, page_index)


def _loose_page(state: ImportState) -> int:
    if state.pages and state.pages[-1].row is None and state.pages[-1].id.startswith("section_"):
        return len(state.pages) - 1
    state.pages.append(PageDraft(id=f"section_{len(state.pages) + 1}", row=None))
    return len(state.pages) - 1


def _children(state: ImportState, group: dict[str, Any], page: int, conditions: list[Condition]) -> None:
    children = group.get("children", [])
    previous: Leaf | None = None
    for child in children:
        kind = child.get("type")
        name = str(child.get("name", ""))
        if kind == "group":
            row = state.rows.find(name)
            marker = state.marker(child.get(MARKER), row, name)
            relevant = (child.get("bind") or {}).get("relevant")
            inner = [*conditions, (row, name, str(relevant))] if relevant else list(conditions)
            if marker.get("type") == "matrix":
                _matrix(state, child, row, marker, page, conditions)
            else:
                _children(state, child, page, inner)
            previous = None
            continue
        if kind in ("repeat", "loop"):
            _repeat(state, child, page)
            previous = None
            continue
        previous = _leaf(state, child, None, conditions, previous, page)


def _repeat(state: ImportState, element: dict[str, Any], page: int) -> None:
    name = str(element.get("name", ""))
    row = state.rows.find(name)
    state.issue(
        row,
        name,
        "repeat",
        "repeats (a set of questions asked once per household member, item ...) cannot be "
        "represented; the repeat and every field in it are left out",
        dropped=True,
    )
    state.unavailable[name] = "a repeat"

    def walk(container: dict[str, Any]) -> None:
        for child in container.get("children", []):
            if child.get("type") in ("group", "repeat", "loop"):
                state.rows.find(str(child.get("name", "")))
                walk(child)
            else:
                _leaf(state, child, name, [], None, page)

    walk(element)


def _matrix(
    state: ImportState,
    group: dict[str, Any],
    row: int | None,
    marker: dict[str, Any],
    page: int,
    conditions: list[Condition],
) -> None:
    matrix = Matrix(group=group, row=row, marker=marker)
    relevant = (group.get("bind") or {}).get("relevant")
    inner = [*conditions, (row, str(group.get("name")), str(relevant))] if relevant else list(conditions)
    rows_by_name = marker_dict(marker.get("rows"))
    others: list[Leaf] = []
    for child in group.get("children", []):
        if child.get("type") in ("group", "repeat", "loop"):
            state.issue(row, str(group.get("name")), "matrix", "a group inside an exported matrix is ignored")
            continue
        leaf = _leaf(state, child, None, inner, None, page, in_matrix=True)
        name = str(child.get("name", ""))
        if child.get("type") == "note" and matrix.label_leaf is None and not matrix.leaves:
            matrix.label_leaf = leaf
        elif TABLE_HEADER.match(name):
            matrix.extra.append(leaf)
        elif child.get("type") == "select one" and name in rows_by_name:
            leaf.matrix_row = str(rows_by_name[name])
            matrix.leaves.append(leaf)
        else:
            others.append(leaf)
    if matrix.leaves:
        state.pages[page].matrices.append(matrix)
        state.pages[page].leaves.append(
            Leaf(
                element=group,
                row=row,
                page=page,
                conditions=conditions,
                kind="matrix",
                status="matrix_head",
            )
        )
        for leaf in (*matrix.leaves, *matrix.extra, *([matrix.label_leaf] if matrix.label_leaf else [])):
            leaf.status = "matrix"
    else:
        # Not a matrix after all (the marker does not match the rows): import the fields as they are.
        others = [*([matrix.label_leaf] if matrix.label_leaf else []), *matrix.extra, *others]
    state.pages[page].leaves.extend(others)


def _leaf(
    state: ImportState,
    element: dict[str, Any],
    repeat: str | None,
    conditions: list[Condition],
    previous: Leaf | None,
    page: int = 0,
    *,
    in_matrix: bool = False,
) -> Leaf:
    name = str(element.get("name", ""))
    kind = str(element.get("type", ""))
    generated = GENERATED.match(name)
    other_of = or_other_target(element, previous)
    if generated:
        row: int | None = int(generated.group(1))
    elif other_of is not None:
        row = other_of.row
    else:
        row = state.rows.find(name)
    leaf = Leaf(element=element, row=row, page=page, conditions=list(conditions), repeat=repeat)
    leaf.other_of = other_of
    state.leaves.append(leaf)
    if kind in METADATA_TYPES:
        state.counts["metadata"] += 1
        leaf.status = "metadata"
        state.unavailable[name] = f"the {kind} metadata field"
        state.issue(
            row, name, "metadata", f"'{kind}' metadata is recorded by the system, not asked", dropped=True
        )
        return leaf
    if kind == "note":
        state.counts["notes"] += 1
    elif kind == "calculate":
        state.counts["calculates"] += 1
    else:
        state.counts["questions"] += 1
    if repeat is not None:
        leaf.status = "dropped"
        state.unavailable[name] = "a field inside a repeat"
        state.issue(
            row, name, kind, f"inside the repeat '{repeat}', which cannot be represented", dropped=True
        )
        return leaf
    if not in_matrix:
        state.pages[page].leaves.append(leaf)
    return leaf


def condition(state: ImportState, leaf: Leaf, own: str | None) -> str | None:
    """Return the ``show_if`` of a field: the conditions of its groups and its own ``relevant``.

    A condition that cannot be translated is reported (a group's once) and left out.
    """
    parts: list[Node] = []
    for row, name, xpath in leaf.conditions:
        key = (row, name, xpath)
        if key not in state.group_conditions:
            state.group_conditions[key] = state.expression(
                xpath, row, name, "relevant", None, "the questions of this group are shown without it"
            )
        node = state.group_conditions[key]
        if node is not None:
            parts.append(node)
    if own:
        name = str(leaf.element.get("name", ""))
        node = state.expression(own, leaf.row, name, "relevant", None, "the question is shown without it")
        if node is not None:
            parts.append(node)
    if not parts:
        return None
    return emit_logic(conjoin(parts))
