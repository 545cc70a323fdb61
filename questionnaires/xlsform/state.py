"""What one import knows about the form as it goes, shared by the steps of the import.

The steps (:mod:`~questionnaires.xlsform.groups`, :mod:`~questionnaires.xlsform.ids`,
:mod:`~questionnaires.xlsform.questions` ...) read and fill one :class:`ImportState`: the drafts of
the pages and fields, the names and ids found so far, and the issues. It also holds what they all
use: reporting an issue, reading a ``fieldwork`` marker and translating an XPath expression.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from questionnaires import logic
from questionnaires.xlsform.drafts import Condition, Leaf, PageDraft
from questionnaires.xlsform.issues import ImportIssue, IssueLog, new_counts
from questionnaires.xlsform.logic_syntax import emit_logic
from questionnaires.xlsform.markers import MARKER
from questionnaires.xlsform.reading import RowFinder
from questionnaires.xlsform.tree import Node, TranslationError
from questionnaires.xlsform.xpath_to_logic import XPathContext, xpath_to_tree


class ImportState:
    """The form being imported, what has been made of it so far, and the issues found."""

    def __init__(self, form: dict[str, Any], rows: list[dict[str, Any]], settings: dict[str, Any]) -> None:
        self.form = form
        self.rows = RowFinder(rows)
        self.settings = settings
        self.log = IssueLog()
        self.pages: list[PageDraft] = []
        self.leaves: list[Leaf] = []
        self.choices: dict[str, list[dict[str, Any]]] = form.get("choices") or {}
        self.counts = new_counts()
        # Languages: the language column keys of the form -> our codes, first the default.
        self.language_keys: dict[str, str] = {}
        self.default_language = "en"
        self.languages: list[str] = ["en"]
        self.key_order: list[str] = []
        # Names and ids: XLSForm name -> our id, our id -> question type, and the rest.
        self.names: dict[str, str] = {}
        self.kinds: dict[str, str] = {}
        self.unavailable: dict[str, str] = {}
        self.aliases: dict[str, Node] = {}
        self.used_ids: set[str] = set()
        self.row_of: dict[str, int] = {}
        self.code_renames: dict[str, dict[str, str]] = {}
        self.group_conditions: dict[Condition, Node | None] = {}
        self.pending_others: list[Leaf] = []
        self.reference_counts: dict[str, int] | None = None

    @property
    def issues(self) -> list[ImportIssue]:
        """The issues reported so far, in order."""
        return self.log.issues

    def issue(
        self, row: int | None, name: str | None, construct: str, reason: str, *, dropped: bool = False
    ) -> None:
        """Report an issue (once: the same issue again is not repeated)."""
        self.log.add(row, name, construct, reason, dropped=dropped)

    def choices_of(self, element: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Return the choices of a select: its own, or those of its list."""
        raw = element.get("choices") or self.choices.get(
            str(element.get("itemset") or element.get("list_name"))
        )
        return list(raw or [])

    def marker(self, raw: Any, row: int | None, name: str | None) -> dict[str, Any]:
        """Read a ``fieldwork`` cell; report it and return ``{}`` when it is not a JSON object."""
        if raw is None or raw == "":
            return {}
        try:
            value = json.loads(str(raw))
        except ValueError:
            self.issue(row, name, MARKER, "the fieldwork column is not valid JSON; it is ignored")
            return {}
        if not isinstance(value, dict):
            self.issue(row, name, MARKER, "the fieldwork column is not a JSON object; it is ignored")
            return {}
        return value

    def context(self, current_kind: str | None, current_name: str | None = None) -> XPathContext:
        """Return what translating an XPath expression needs to know about the form so far."""
        return XPathContext(
            current_name=current_name,
            names=self.names,
            unavailable=self.unavailable,
            kinds=self.kinds,
            current_kind=current_kind,
            aliases=self.aliases,
            code_renames=self.code_renames,
        )

    def expression(
        self,
        xpath: str,
        row: int | None,
        name: str | None,
        construct: str,
        current_kind: str | None,
        drop: str,
        *,
        dropped: bool = False,
        own_name: str | None = None,
    ) -> Node | None:
        """Translate ``xpath``; on failure report it (with what is left out) and return None."""
        try:
            tree = xpath_to_tree(xpath, self.context(current_kind, own_name))
            text = emit_logic(tree)
        except TranslationError as exc:
            self.issue(
                row, name, construct, f"`{xpath}` cannot be translated: {exc}; {drop}", dropped=dropped
            )
            return None
        try:
            logic.parse(text)
        except logic.ExpressionError as exc:
            reason = f"`{xpath}` translates to `{text}`, which does not parse: {exc}; {drop}"
            self.issue(row, name, construct, reason, dropped=dropped)
            return None
        return tree
