"""The form as the importer walks it: pages, fields (leaves) and matrices before they are built.

Walking pyxform's JSON (:mod:`~questionnaires.xlsform.groups`) makes these drafts; ids are given to
them (:mod:`~questionnaires.xlsform.ids`) before they are built into the definition document
(:mod:`~questionnaires.xlsform.questions`). A leaf's ``status`` says what became of its field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Condition = tuple[int | None, str | None, str]
"""The ``relevant`` of a group around a field: the group's row, its name and the XPath."""


@dataclass(slots=True)
class Leaf:
    """A field of the form, with where it sits and the conditions of the groups around it."""

    element: dict[str, Any]
    row: int | None
    page: int
    conditions: list[Condition]
    repeat: str | None = None
    other_of: Leaf | None = None
    """For pyxform's generated ``X_other`` text of ``select_one X or_other``: the select."""
    qid: str | None = None
    kind: str | None = None
    status: str = "pending"
    question: dict[str, Any] | None = None
    matrix_row: str | None = None


@dataclass(slots=True)
class PageDraft:
    """A page in the making: a top-level group, or a section of the fields between groups."""

    id: str
    row: int | None
    title: Any = None
    neutral: bool = False
    empty_group: bool = False
    """A group without any field in the XLSForm itself (kept as an empty page)."""
    relevant: str | None = None
    leaves: list[Leaf] = field(default_factory=list)
    matrices: list[Matrix] = field(default_factory=list)


@dataclass(slots=True)
class Matrix:
    """An exported matrix (a group with a matrix marker) being rebuilt."""

    group: dict[str, Any]
    row: int | None
    marker: dict[str, Any]
    leaves: list[Leaf] = field(default_factory=list)
    label_leaf: Leaf | None = None
    extra: list[Leaf] = field(default_factory=list)
    """pyxform's generated table-list header row, part of the matrix."""
