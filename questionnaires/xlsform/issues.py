"""What an import reports: the issues (each with its spreadsheet row) and the counts.

Nothing is dropped silently: every construct that cannot be carried over becomes an
:class:`ImportIssue`, and :func:`tally` checks that every field of the form was either carried or
reported, so that ``carried`` and ``reported`` add up to pyxform's count of questions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from questionnaires.xlsform.drafts import Leaf

COUNT_KEYS = (
    "questions",
    "carried",
    "reported",
    "notes",
    "notes_carried",
    "calculates",
    "calculates_carried",
    "metadata",
)


class XlsformError(ValueError):
    """A file that is not a readable XLSForm (pyxform rejects it)."""


@dataclass(frozen=True, slots=True)
class ImportIssue:
    """One construct of the XLSForm that could not be carried over as it is.

    ``row`` is the survey sheet row (1-based, as in the spreadsheet; None for form-wide issues),
    ``name`` the XLSForm name, ``construct`` what it is (``geopoint``, ``repeat``,
    ``choice_filter``, ``relevant`` ...) and ``reason`` why and what was done instead.
    ``dropped`` is true when the element itself is not in the imported document.
    """

    row: int | None
    name: str | None
    construct: str
    reason: str
    dropped: bool = False

    def __str__(self) -> str:
        """Return ``row N (name): construct: reason``."""
        where = f"row {self.row}" if self.row is not None else "form"
        who = f" ({self.name})" if self.name else ""
        return f"{where}{who}: {self.construct}: {self.reason}"


@dataclass(frozen=True, slots=True)
class XlsformImport:
    """The result of an import: the document, the issues and the counts.

    ``counts`` has ``questions`` (pyxform's count of answerable fields: not notes, calculates or
    metadata), ``carried`` and ``reported`` (which add up to ``questions``), and the same for
    ``notes`` / ``calculates`` (``notes_carried``, ``calculates_carried``) and ``metadata``.
    ``rows`` maps each imported question id to its survey sheet row.
    """

    document: dict[str, Any]
    issues: list[ImportIssue] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)


class IssueLog:
    """The issues of one import, in the order found, each reported once."""

    def __init__(self) -> None:
        self.issues: list[ImportIssue] = []
        self.seen: set[ImportIssue] = set()

    def add(
        self, row: int | None, name: str | None, construct: str, reason: str, *, dropped: bool = False
    ) -> None:
        """Report an issue, unless the same one was reported already."""
        issue = ImportIssue(row, name, construct, reason, dropped)
        if issue not in self.seen:  # e.g. the same pipe in every language of a label
            self.seen.add(issue)
            self.issues.append(issue)


def new_counts() -> dict[str, int]:
    """Return the counts of an import, all zero."""
    return dict.fromkeys(COUNT_KEYS, 0)


def tally(leaves: Iterable[Leaf], counts: dict[str, int], log: IssueLog) -> None:
    """Count what was carried and reported; a field neither carried nor reported is reported now."""
    for leaf in leaves:
        kind = str(leaf.element.get("type", ""))
        if leaf.status in ("metadata", "contact"):
            continue
        carried = leaf.status in ("carried", "matrix")
        if leaf.status == "matrix" and kind == "note":
            counts["notes_carried"] += 1
            continue
        if not carried and leaf.status != "dropped":
            leaf.status = "dropped"
            log.add(leaf.row, str(leaf.element.get("name", "")), kind, "not imported", dropped=True)
        if kind == "note":
            counts["notes_carried"] += carried
        elif kind == "calculate":
            counts["calculates_carried"] += carried
        else:
            counts["carried" if carried else "reported"] += 1
