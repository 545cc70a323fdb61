"""Importing an XLSForm (.xlsx) into our definition format, reporting everything that cannot be carried.

pyxform reads the workbook (aliases, legacy headers and ``or_other`` are its business); we walk
its JSON and map each element to our model. The survey sheet is also read row by row so that
every issue names the spreadsheet row it comes from.

Nothing is dropped silently: a field type we do not have, a repeat, an external choice list, a
choice filter, an expression we cannot translate — each becomes an :class:`ImportIssue`. An
expression that translates but is wrong (a reference to a later question, a type error) is kept,
so that the definition validator reports it like any other definition error.
"""

from __future__ import annotations

import copy
import io
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pyxform.errors import PyXFormError
from pyxform.xls2json import workbook_to_json
from pyxform.xls2json_backends import get_xlsform

from questionnaires import logic
from questionnaires.definition import IDENTIFIER, Question
from questionnaires.xlsform.expressions import (
    RESERVED_IDS,
    Binary,
    Call,
    Contact,
    Current,
    ItemRef,
    Node,
    Num,
    Ref,
    Str,
    TranslationError,
    XPathContext,
    emit_logic,
    parse_logic,
    xpath_to_tree,
)
from questionnaires.xlsform.languages import language_code
from questionnaires.xlsform.markers import MARKER, bound_conjuncts

METADATA_TYPES = frozenset(
    {
        "start",
        "end",
        "today",
        "deviceid",
        "imei",
        "username",
        "phonenumber",
        "email",
        "audit",
        "start-geopoint",
        "subscriberid",
        "simserial",
        "uri:deviceid",
        "uri:email",
        "uri:phonenumber",
        "uri:subscriberid",
        "uri:simserial",
        "uri:username",
    }
)

UNSUPPORTED_TYPES: Mapping[str, str] = {
    "geopoint": "a GPS location field",
    "gps": "a GPS location field",
    "geotrace": "a GPS line (geotrace) field",
    "geoshape": "a GPS area (geoshape) field",
    "background-geopoint": "a background GPS location field",
    "photo": "a photo field",
    "image": "a photo field",
    "audio": "an audio recording field",
    "background-audio": "a background audio recording",
    "video": "a video field",
    "file": "a file upload field",
    "barcode": "a barcode scan field",
    "time": "a time-of-day field",
    "dateTime": "a date-and-time field",
    "rank": "a ranking field",
    "acknowledge": "an acknowledge (OK) field",
    "trigger": "an acknowledge (OK) field",
    "hidden": "a hidden field",
    "xml-external": "an external XML data file",
    "csv-external": "an external CSV data file",
    "select one external": "a select_one_external question (its choices live in an external file)",
}
_EXTERNAL_LIST = re.compile(r"\.(csv|xml|geojson)$", re.IGNORECASE)
_PIPED = re.compile(r"\$\{\s*([^{}\s]+)\s*\}")
_BRACED = re.compile(r"(?<!\$)\{(answer:)?([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)\}")
_TRUE = frozenset({"yes", "true", "true()", "1"})
_FALSE = frozenset({"no", "false", "false()", "0", ""})
_GENERATED_NOTE = re.compile(r"^generated_(?:note_name|table_list_label)_(\d+)$")
_GENERATED = re.compile(
    r"^(?:generated_note_name|generated_table_list_label|reserved_name_for_field_list_labels)_(\d+)$"
)
_TABLE_HEADER = re.compile(r"^reserved_name_for_field_list_labels_\d+$")
_MAX_ID = 64
_MAX_CODE = 64
_QUESTION_MARKER_KEYS = frozenset(
    {
        "type",
        "scale",
        "special",
        "tags",
        "variants",
        "decimals",
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
        "other",
        "contact",
        "special_codes",
        "untitled",
        "neutral",
    }
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


def import_xlsform(source: str | Path | bytes, *, name: str | None = None) -> XlsformImport:
    """Read an XLSForm (a path or the bytes of an .xlsx/.xls file) into our definition format.

    ``name`` is the form id to use when the settings sheet has no ``form_id`` (by default the
    file name, or ``data`` for bytes). Raises :class:`XlsformError` when pyxform cannot read the
    file; everything else that cannot be represented is listed in ``issues`` of the result.
    """
    try:
        data = get_xlsform(io.BytesIO(source) if isinstance(source, bytes) else str(source))
        if name is not None:
            data.fallback_form_name = name
        survey_rows = [dict(row) for row in (data.survey or [])]
        warnings: list[str] = []
        form = workbook_to_json(
            workbook_dict=copy.deepcopy(data),
            fallback_form_name=data.fallback_form_name,
            warnings=warnings,
        )
    except PyXFormError as exc:
        raise XlsformError(f"not a valid XLSForm: {exc}") from exc
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise XlsformError(f"cannot read the XLSForm: {exc}") from exc
    settings = dict((data.settings or [{}])[0]) if data.settings else {}
    return _Importer(form, survey_rows, settings).run()


# ---------------------------------------------------------------------------------------------
# Walking pyxform's JSON


@dataclass(slots=True)
class _Leaf:
    """A field of the form, with where it sits and the conditions of the groups around it."""

    element: dict[str, Any]
    row: int | None
    page: int
    conditions: list[tuple[int | None, str | None, str]]
    repeat: str | None = None
    other_of: _Leaf | None = None
    """For pyxform's generated ``X_other`` text of ``select_one X or_other``: the select."""
    qid: str | None = None
    kind: str | None = None
    status: str = "pending"
    question: dict[str, Any] | None = None
    matrix_row: str | None = None


@dataclass(slots=True)
class _PageDraft:
    id: str
    row: int | None
    title: Any = None
    neutral: bool = False
    empty_group: bool = False
    """A group without any field in the XLSForm itself (kept as an empty page)."""
    relevant: str | None = None
    leaves: list[_Leaf] = field(default_factory=list)
    matrices: list[_Matrix] = field(default_factory=list)


@dataclass(slots=True)
class _Matrix:
    """An exported matrix (a group with a matrix marker) being rebuilt."""

    group: dict[str, Any]
    row: int | None
    marker: dict[str, Any]
    leaves: list[_Leaf] = field(default_factory=list)
    label_leaf: _Leaf | None = None
    extra: list[_Leaf] = field(default_factory=list)
    """pyxform's generated table-list header row, part of the matrix."""


class _RowFinder:
    """Maps pyxform elements back to survey sheet rows, in sheet order."""

    def __init__(self, rows: Sequence[Mapping[str, Any]]) -> None:
        self.named: list[tuple[int, str]] = []
        for index, row in enumerate(rows):
            name = row.get("name", row.get("value", row.get("tag")))
            kind = str(row.get("type", "")).strip().lower()
            if name is None or re.match(r"end[ _]?(group|repeat|loop)", kind):
                continue
            self.named.append((index + 2, str(name).strip()))
        self.used: set[int] = set()
        self.pointer = 0

    def find(self, name: str) -> int | None:
        for index in range(self.pointer, len(self.named)):
            row, candidate = self.named[index]
            if candidate == name and index not in self.used:
                self.used.add(index)
                self.pointer = index + 1
                return row
        for index, (row, candidate) in enumerate(self.named):
            if candidate == name and index not in self.used:
                self.used.add(index)
                return row
        return None


class _Importer:
    def __init__(self, form: dict[str, Any], rows: list[dict[str, Any]], settings: dict[str, Any]) -> None:
        self.form = form
        self.rows = _RowFinder(rows)
        self.settings = settings
        self.issues: list[ImportIssue] = []
        self.seen_issues: set[ImportIssue] = set()
        self.pages: list[_PageDraft] = []
        self.leaves: list[_Leaf] = []
        self.choices: dict[str, list[dict[str, Any]]] = form.get("choices") or {}
        self.counts = dict.fromkeys(
            (
                "questions",
                "carried",
                "reported",
                "notes",
                "notes_carried",
                "calculates",
                "calculates_carried",
                "metadata",
            ),
            0,
        )
        self.language_keys: dict[str, str] = {}
        self.default_language = "en"
        self.names: dict[str, str] = {}
        self.kinds: dict[str, str] = {}
        self.unavailable: dict[str, str] = {}
        self.aliases: dict[str, Node] = {}
        self.used_ids: set[str] = set()
        self.row_of: dict[str, int] = {}
        self.languages: list[str] = ["en"]
        self.key_order: list[str] = []
        self.group_conditions: dict[tuple[int | None, str | None, str], Node | None] = {}
        self.pending_others: list[_Leaf] = []
        self.reference_counts: dict[str, int] | None = None
        self.code_renames: dict[str, dict[str, str]] = {}

    def issue(
        self, row: int | None, name: str | None, construct: str, reason: str, *, dropped: bool = False
    ) -> None:
        issue = ImportIssue(row, name, construct, reason, dropped)
        if issue not in self.seen_issues:  # e.g. the same pipe in every language of a label
            self.seen_issues.add(issue)
            self.issues.append(issue)

    # -- entry point ---------------------------------------------------------------------------

    def run(self) -> XlsformImport:
        self._languages()
        for child in self.form.get("children", []):
            self._top_level(child)
        self._assign_ids()
        self._precheck_calculates()
        pages = [self._build_page(page) for page in self.pages]
        document: dict[str, Any] = {
            "id": self._form_id(),
            "version": str(self.form.get("version") or "1"),
            "title": self._title(),
            "languages": self.languages,
            # A page left empty by what could not be imported is omitted; an empty group is kept.
            "pages": [
                page
                for page, draft in zip(pages, self.pages, strict=True)
                if page["questions"] or draft.empty_group
            ],
        }
        settings_marker = self._marker(self.settings.get(MARKER), None, "settings")
        for key in (
            "title",
            "description",
            "intro",
            "thank_you",
            "stakeholder_group",
            "contact_fields",
            "alerts",
        ):
            if key in settings_marker:
                document[key] = settings_marker[key]
        self._tally()
        return XlsformImport(document=document, issues=self.issues, counts=self.counts, rows=self.row_of)

    def _form_id(self) -> str:
        raw = str(self.form.get("id_string") or self.form.get("name") or "imported_form")
        cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "_", raw).strip("_") or "imported_form"
        return cleaned[:100]

    def _title(self) -> Any:
        # XLSForm titles are not translated: keep it as a language-neutral text.
        return str(self.form.get("title") or self.form.get("id_string") or "Imported form")

    # -- languages -----------------------------------------------------------------------------

    def _languages(self) -> None:
        keys: list[str] = []

        def collect(value: Any) -> None:
            if isinstance(value, dict):
                for key in value:
                    if key not in keys:
                        keys.append(key)

        def walk(element: Mapping[str, Any]) -> None:
            for name in ("label", "hint", "guidance_hint"):
                collect(element.get(name))
            bind = element.get("bind") or {}
            collect(bind.get("jr:constraintMsg"))
            collect(bind.get("jr:requiredMsg"))
            for child in element.get("children", []):
                walk(child)

        walk(self.form)
        for options in self.choices.values():
            for option in options:
                collect(option.get("label"))
        setting = str(self.form.get("default_language") or "default")
        default = language_code(setting) if setting != "default" else None
        if setting != "default" and default is None:
            self.issue(
                None, None, "language", f"the default language '{setting}' is not recognised; using 'en'"
            )
        self.default_language = default or "en"
        codes: list[str] = []
        for key in keys:
            code = self.default_language if key == "default" else language_code(key)
            if code is None:
                code = "und-" + (re.sub(r"[^a-z0-9]", "", key.lower())[:8] or f"l{len(codes) + 1}")
                if len(code) < 6:
                    code = f"und-lang{len(codes) + 1}"
                self.issue(
                    None,
                    None,
                    "language",
                    f"the language column '{key}' has no recognised name or code; its texts use '{code}'",
                )
            self.language_keys[key] = code
            if code not in codes:
                codes.append(code)
        merged: dict[str, list[str]] = {}
        for key, code in self.language_keys.items():
            merged.setdefault(code, []).append(key)
        for code, group in merged.items():
            if len(group) > 1:
                names = ", ".join(f"'{k}'" for k in group)
                self.issue(
                    None,
                    None,
                    "language",
                    f"the language columns {names} all mean '{code}'; merged, first non-empty text wins",
                )
        if not codes:
            codes = [self.default_language]
        first = (
            self.default_language if self.default_language in codes else "en" if "en" in codes else codes[0]
        )
        self.languages = [first, *[c for c in codes if c != first]]
        # Keys with an explicit code win over bare names when both give a text.
        self.key_order = sorted(self.language_keys, key=lambda k: (0 if "(" in k else 1, keys.index(k)))

    def text(self, value: Any) -> dict[str, str] | None:
        """Return a localised text from a pyxform label (plain string or {language: text})."""
        if value is None:
            return None
        if not isinstance(value, dict):
            text = str(value).strip()
            return {self.default_language: text} if text else None
        result: dict[str, str] = {}
        for key in self.key_order:
            if key in value and str(value[key]).strip():
                result.setdefault(self.language_keys[key], str(value[key]).strip())
        for key, item in value.items():
            if key not in self.language_keys and str(item).strip():
                result.setdefault(self.default_language, str(item).strip())
        return result or None

    # -- structure -----------------------------------------------------------------------------

    def _top_level(self, element: dict[str, Any]) -> None:
        kind = element.get("type")
        name = str(element.get("name", ""))
        if kind == "group" and name == "meta" and (element.get("control") or {}).get("bodyless"):
            for child in element.get("children", []):
                child_name = str(child.get("name", ""))
                if child.get("type") in METADATA_TYPES:
                    self._leaf(child, None, [], None)
                elif child_name not in ("instanceID", "instanceName"):
                    self.issue(
                        None, child_name, "meta", "a field pyxform adds to the form's metadata; not imported"
                    )
            return
        if kind == "group":
            row = self.rows.find(name)
            marker = self._marker(element.get(MARKER), row, name)
            page_id = marker.get("page") if isinstance(marker.get("page"), str) else name
            page = _PageDraft(
                id=str(page_id), row=row, title=element.get("label"), neutral=marker.get("neutral") is True
            )
            relevant = (element.get("bind") or {}).get("relevant")
            page.relevant = str(relevant) if relevant else None
            page.empty_group = not element.get("children")
            self.pages.append(page)
            if marker.get("type") == "matrix":
                # An exported matrix that is a page by itself cannot happen; treat it as nested.
                self._matrix(element, row, marker, len(self.pages) - 1, [])
                return
            self._children(element, len(self.pages) - 1, [])
            return
        page_index = self._loose_page()
        if kind in ("repeat", "loop"):
            self._repeat(element, page_index)
            return
        self._leaf(element, None, [], None, page_index)

    def _loose_page(self) -> int:
        if self.pages and self.pages[-1].row is None and self.pages[-1].id.startswith("section_"):
            return len(self.pages) - 1
        self.pages.append(_PageDraft(id=f"section_{len(self.pages) + 1}", row=None))
        return len(self.pages) - 1

    def _children(
        self, group: dict[str, Any], page: int, conditions: list[tuple[int | None, str | None, str]]
    ) -> None:
        children = group.get("children", [])
        previous: _Leaf | None = None
        for child in children:
            kind = child.get("type")
            name = str(child.get("name", ""))
            if kind == "group":
                row = self.rows.find(name)
                marker = self._marker(child.get(MARKER), row, name)
                relevant = (child.get("bind") or {}).get("relevant")
                inner = [*conditions, (row, name, str(relevant))] if relevant else list(conditions)
                if marker.get("type") == "matrix":
                    self._matrix(child, row, marker, page, conditions)
                else:
                    self._children(child, page, inner)
                previous = None
                continue
            if kind in ("repeat", "loop"):
                self._repeat(child, page)
                previous = None
                continue
            previous = self._leaf(child, None, conditions, previous, page)

    def _repeat(self, element: dict[str, Any], page: int) -> None:
        name = str(element.get("name", ""))
        row = self.rows.find(name)
        self.issue(
            row,
            name,
            "repeat",
            "repeats (a set of questions asked once per household member, item ...) cannot be "
            "represented; the repeat and every field in it are left out",
            dropped=True,
        )
        self.unavailable[name] = "a repeat"

        def walk(container: dict[str, Any]) -> None:
            for child in container.get("children", []):
                if child.get("type") in ("group", "repeat", "loop"):
                    self.rows.find(str(child.get("name", "")))
                    walk(child)
                else:
                    self._leaf(child, name, [], None, page)

        walk(element)

    def _matrix(
        self,
        group: dict[str, Any],
        row: int | None,
        marker: dict[str, Any],
        page: int,
        conditions: list[tuple[int | None, str | None, str]],
    ) -> None:
        matrix = _Matrix(group=group, row=row, marker=marker)
        relevant = (group.get("bind") or {}).get("relevant")
        inner = [*conditions, (row, str(group.get("name")), str(relevant))] if relevant else list(conditions)
        rows_by_name = _mapping(marker.get("rows"))
        others: list[_Leaf] = []
        for child in group.get("children", []):
            if child.get("type") in ("group", "repeat", "loop"):
                self.issue(
                    row, str(group.get("name")), "matrix", "a group inside an exported matrix is ignored"
                )
                continue
            leaf = self._leaf(child, None, inner, None, page, in_matrix=True)
            name = str(child.get("name", ""))
            if child.get("type") == "note" and matrix.label_leaf is None and not matrix.leaves:
                matrix.label_leaf = leaf
            elif _TABLE_HEADER.match(name):
                matrix.extra.append(leaf)
            elif child.get("type") == "select one" and name in rows_by_name:
                leaf.matrix_row = str(rows_by_name[name])
                matrix.leaves.append(leaf)
            else:
                others.append(leaf)
        if matrix.leaves:
            self.pages[page].matrices.append(matrix)
            self.pages[page].leaves.append(
                _Leaf(
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
        self.pages[page].leaves.extend(others)

    def _leaf(
        self,
        element: dict[str, Any],
        repeat: str | None,
        conditions: list[tuple[int | None, str | None, str]],
        previous: _Leaf | None,
        page: int = 0,
        *,
        in_matrix: bool = False,
    ) -> _Leaf:
        name = str(element.get("name", ""))
        kind = str(element.get("type", ""))
        generated = _GENERATED.match(name)
        other_of = self._or_other_target(element, previous)
        if generated:
            row: int | None = int(generated.group(1))
        elif other_of is not None:
            row = other_of.row
        else:
            row = self.rows.find(name)
        leaf = _Leaf(element=element, row=row, page=page, conditions=list(conditions), repeat=repeat)
        leaf.other_of = other_of
        self.leaves.append(leaf)
        if kind in METADATA_TYPES:
            self.counts["metadata"] += 1
            leaf.status = "metadata"
            self.unavailable[name] = f"the {kind} metadata field"
            self.issue(
                row, name, "metadata", f"'{kind}' metadata is recorded by the system, not asked", dropped=True
            )
            return leaf
        if kind == "note":
            self.counts["notes"] += 1
        elif kind == "calculate":
            self.counts["calculates"] += 1
        else:
            self.counts["questions"] += 1
        if repeat is not None:
            leaf.status = "dropped"
            self.unavailable[name] = "a field inside a repeat"
            self.issue(
                row, name, kind, f"inside the repeat '{repeat}', which cannot be represented", dropped=True
            )
            return leaf
        if not in_matrix:
            self.pages[page].leaves.append(leaf)
        return leaf

    def _or_other_target(self, element: Mapping[str, Any], previous: _Leaf | None) -> _Leaf | None:
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

    def _marker(self, raw: Any, row: int | None, name: str | None) -> dict[str, Any]:
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

    # -- ids -------------------------------------------------------------------------------------

    def _new_id(
        self, name: str, row: int | None, *, what: str = "question", note: str = "", report: bool = True
    ) -> str:
        candidate = re.sub(r"[^A-Za-z0-9_]", "_", name)
        if not candidate or not re.match(r"[A-Za-z_]", candidate):
            candidate = f"q_{candidate}"
        if candidate in RESERVED_IDS:
            candidate = f"{candidate}_"
        candidate = candidate[:_MAX_ID]
        unique = candidate
        counter = 2
        while unique in self.used_ids:
            suffix = f"_{counter}"
            unique = candidate[: _MAX_ID - len(suffix)] + suffix
            counter += 1
        self.used_ids.add(unique)
        if unique != name and report:
            if candidate != name and unique == candidate:
                reason = f"renamed to '{unique}': ids may only use letters, digits and '_'"
                if name in RESERVED_IDS or candidate.rstrip("_") in RESERVED_IDS:
                    reason = f"renamed to '{unique}': '{name}' is a word of the logic language"
                elif len(name) > _MAX_ID:
                    reason = f"renamed to '{unique}': ids are at most {_MAX_ID} characters"
            else:
                reason = f"renamed to '{unique}': the {what} name '{name}' is used more than once{note}"
            self.issue(row, name, "name", reason)
        return unique

    def _assign_ids(self) -> None:
        page_ids: set[str] = set()
        for page in self.pages:
            base = re.sub(r"[^A-Za-z0-9_]", "_", page.id) or "page"
            if not re.match(r"[A-Za-z_]", base):
                base = f"p_{base}"
            base = base[:_MAX_ID]
            unique, counter = base, 2
            while unique in page_ids:
                unique = f"{base[: _MAX_ID - 4]}_{counter}"
                counter += 1
            if unique != page.id and page.row is not None:
                self.issue(page.row, page.id, "name", f"the group becomes page '{unique}'")
            page.id = unique
            page_ids.add(unique)
        for page in self.pages:
            for matrix in page.matrices:
                head = next(leaf for leaf in page.leaves if leaf.element is matrix.group)
                qid = str(matrix.marker.get("id") or matrix.group.get("name"))
                head.qid = self._new_id(qid, matrix.row)
                self.kinds[head.qid] = "matrix"
                for leaf in matrix.leaves:
                    leaf.qid = head.qid
                    self.aliases[str(leaf.element.get("name"))] = ItemRef(head.qid, leaf.matrix_row or "")
        for leaf in self.leaves:
            if leaf.status != "pending":
                continue
            element = leaf.element
            name = str(element.get("name", ""))
            kind = str(element.get("type", ""))
            marker = self._marker(element.get(MARKER), leaf.row, name)
            leaf.question = {"marker": {k: v for k, v in marker.items() if k in _QUESTION_MARKER_KEYS}}
            if leaf.other_of is not None:
                leaf.status = "other"
                continue
            if _TABLE_HEADER.match(name):
                leaf.status = "dropped"
                self.issue(
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
                self.aliases[name] = Contact(contact)
                self.counts["calculates"] -= 1
                continue
            our_kind, problem = self._kind(element, marker)
            if our_kind is None:
                leaf.status = "dropped"
                self.unavailable[name] = problem
                self.issue(
                    leaf.row,
                    name,
                    kind,
                    f"{problem} cannot be represented; the field is left out",
                    dropped=True,
                )
                continue
            generated = _GENERATED_NOTE.match(name)
            note = (
                f"; references to ${{{name}}} mean the first one ('{self.names[name]}')"
                if name in self.names
                else ""
            )
            if generated:  # pyxform's name for a note without one: not worth a report
                leaf.qid = self._new_id(f"note_{generated.group(1)}", leaf.row, report=False)
            else:
                leaf.qid = self._new_id(name, leaf.row, note=note)
            leaf.kind = our_kind
            self.names.setdefault(name, leaf.qid)
            if our_kind in ("single_choice", "multiple_choice"):
                self._shorten_codes(leaf)
            self.kinds[leaf.qid] = our_kind
            if leaf.row is not None:
                self.row_of[leaf.qid] = leaf.row

    def _precheck_calculates(self) -> None:
        """Leave out the calculates that cannot be translated, and so everything built on them.

        Done before any expression is built, so that a condition using such a value is reported
        (it refers to a field that was not imported) instead of referring to a missing id.
        """
        changed = True
        while changed:
            changed = False
            for leaf in self.leaves:
                if leaf.status != "pending" or leaf.kind != "calculate":
                    continue
                name = str(leaf.element.get("name", ""))
                calculation = (leaf.element.get("bind") or {}).get("calculate")
                reason = "it has no calculation"
                if calculation:
                    reason = ""
                    try:
                        logic.parse(emit_logic(xpath_to_tree(str(calculation), self.context(None))))
                    except TranslationError as exc:
                        reason = f"`{calculation}` cannot be translated: {exc}"
                    except logic.ExpressionError as exc:
                        reason = f"`{calculation}` does not translate to a valid expression: {exc}"
                if not reason:
                    continue
                leaf.status = "dropped"
                changed = True
                if self.names.get(name) == leaf.qid:
                    del self.names[name]
                    self.unavailable[name] = "a calculate field that could not be translated"
                self.issue(leaf.row, name, "calculate", f"left out: {reason}", dropped=True)

    def _shorten_codes(self, leaf: _Leaf) -> None:
        """Give choice codes over 64 characters a shorter code (expressions are adapted too)."""
        element = leaf.element
        raw = element.get("choices") or self.choices.get(
            str(element.get("itemset") or element.get("list_name"))
        )
        codes = [str(choice.get("name", "")).strip() for choice in raw or []]
        if all(len(code) <= _MAX_CODE for code in codes) or leaf.qid is None:
            return
        taken = {code for code in codes if len(code) <= _MAX_CODE}
        renames: dict[str, str] = {}
        for code in codes:
            if len(code) <= _MAX_CODE:
                continue
            short, counter = code[:_MAX_CODE], 2
            while short in taken:
                suffix = f"_{counter}"
                short, counter = code[: _MAX_CODE - len(suffix)] + suffix, counter + 1
            taken.add(short)
            renames[code] = short
        self.code_renames[leaf.qid] = renames
        listed = "; ".join(f"'{old}' -> '{new}'" for old, new in renames.items())
        self.issue(
            leaf.row,
            str(element.get("name", "")),
            "choice",
            f"codes are at most {_MAX_CODE} characters: {listed}",
        )

    def _kind(self, element: Mapping[str, Any], marker: Mapping[str, Any]) -> tuple[str | None, str]:
        kind = str(element.get("type", ""))
        appearance = str((element.get("control") or {}).get("appearance", "")).split()
        if kind in UNSUPPORTED_TYPES:
            return None, UNSUPPORTED_TYPES[kind]
        if kind in ("select one", "select all that apply"):
            itemset = str(element.get("itemset") or element.get("list_name") or "")
            if _EXTERNAL_LIST.search(itemset):
                return (
                    None,
                    f"a select_one_from_file / select_multiple_from_file question (choices in '{itemset}')",
                )
            if "${" in itemset or not (element.get("choices") or self.choices.get(itemset)):
                return None, "a select whose choices come from a repeat or another field"
            wanted = marker.get("type")
            if kind == "select one" and wanted in ("yes_no", "rating", "nps"):
                return str(wanted), ""
            return ("single_choice" if kind == "select one" else "multiple_choice"), ""
        if kind in ("integer", "decimal", "range"):
            return "numeric", ""
        if kind == "text":
            return ("long_text" if "multiline" in appearance else "text"), ""
        if kind == "date":
            return "date", ""
        if kind == "note":
            return "info", ""
        if kind == "calculate":
            return "calculate", ""
        return None, f"the field type '{kind}'"

    # -- expressions -----------------------------------------------------------------------------

    def context(self, current_kind: str | None, current_name: str | None = None) -> XPathContext:
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

    def condition(self, leaf: _Leaf, own: str | None) -> str | None:
        parts: list[Node] = []
        for row, name, xpath in leaf.conditions:
            key = (row, name, xpath)
            if key not in self.group_conditions:
                self.group_conditions[key] = self.expression(
                    xpath, row, name, "relevant", None, "the questions of this group are shown without it"
                )
            node = self.group_conditions[key]
            if node is not None:
                parts.append(node)
        if own:
            name = str(leaf.element.get("name", ""))
            node = self.expression(own, leaf.row, name, "relevant", None, "the question is shown without it")
            if node is not None:
                parts.append(node)
        if not parts:
            return None
        combined = parts[0]
        for part in parts[1:]:
            combined = Binary("and", combined, part)
        return emit_logic(combined)

    # -- pages and questions ---------------------------------------------------------------------

    def _build_page(self, page: _PageDraft) -> dict[str, Any]:
        result: dict[str, Any] = {"id": page.id}
        title = self.pipe(page.title, page.row, page.id)
        if title:
            result["title"] = _neutral(title) if page.neutral else title
        if page.relevant:
            node = self.expression(
                page.relevant, page.row, page.id, "relevant", None, "the page is shown without it"
            )
            if node is not None:
                result["show_if"] = emit_logic(node)
        questions: list[dict[str, Any]] = []
        for leaf in page.leaves:
            if leaf.status == "matrix_head":
                matrix = next(m for m in page.matrices if m.group is leaf.element)
                built = self._build_matrix(leaf, matrix)
            elif leaf.status == "pending":
                built = self._build_question(leaf)
            elif leaf.status == "other":
                built = None
                self.pending_others.append(leaf)
            else:
                continue
            if built is not None:
                questions.append(built)
        questions = self._fold_specify_other(questions, page)
        result["questions"] = [self._validated(q, page) for q in questions]
        result["questions"] = [q for q in result["questions"] if q is not None]
        return result

    def _validated(self, question: dict[str, Any], page: _PageDraft) -> dict[str, Any] | None:
        leaf = question.pop("_leaf")
        absorbed = question.pop("_absorbed", [])
        try:
            Question.model_validate(question)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ()))
            name = str(leaf.element.get("name", ""))
            self.issue(
                leaf.row,
                name,
                str(leaf.element.get("type", "")),
                f"cannot be represented ({where}: {first.get('msg')}); the field is left out",
                dropped=True,
            )
            leaf.status = "dropped"
            return None
        leaf.status = "carried"
        for extra in absorbed:
            extra.status = "carried"
        return question

    def _build_question(self, leaf: _Leaf) -> dict[str, Any] | None:
        element = leaf.element
        name = str(element.get("name", ""))
        bind = element.get("bind") or {}
        kind = leaf.kind or "text"
        marker = dict((leaf.question or {}).get("marker", {}))
        question: dict[str, Any] = {"id": leaf.qid or name, "type": kind, "_leaf": leaf}
        text = self.pipe(element.get("label"), leaf.row, name)
        if text:
            question["text"] = text
        help_text = self.pipe(element.get("hint"), leaf.row, name)
        if help_text:
            question["help"] = help_text
        show_if = self.condition(leaf, bind.get("relevant"))
        if show_if:
            question["show_if"] = show_if
        self._report_extras(leaf, name, kind)
        if kind == "calculate":
            return self._calculate(question, leaf, name, bind)
        self._required(question, leaf, bind)
        if bind.get("calculate"):
            self.issue(
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
        special_codes = _mapping(marker.get("special_codes"))
        if kind in ("single_choice", "multiple_choice"):
            question["options"] = self._choice_options(leaf, set(special_codes.values()))
        if kind == "numeric":
            question["decimals"] = 2 if element.get("type") == "decimal" else 0
            if element.get("type") == "range":
                self._range(question, parameters)
        if kind == "rating" and "scale" not in marker:
            codes = [o["code"] for o in self._choice_options(leaf, set(special_codes.values()))]
            numbers = [int(c) for c in codes if re.fullmatch(r"-?\d+", c)]
            if len(numbers) == len(codes) and numbers and numbers != [1, 2, 3, 4, 5]:
                question["scale"] = {"points": len(numbers), "start": numbers[0]}
        self._apply_marker(question, marker)
        if marker.get("untitled") is True:
            question.pop("text", None)
        _make_neutral(question, marker)
        constraint = bind.get("constraint")
        if constraint and kind != "info":
            node = self.expression(
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
                node = self._constraint_bounds(question, node, generated)
                if node is not None:
                    question["constraint"] = emit_logic(node)
        message = self.pipe(bind.get("jr:constraintMsg"), leaf.row, name)
        if message and "constraint" in question:
            question["constraint_message"] = message
            _make_neutral(question, marker)
        if bind.get("jr:requiredMsg"):
            self.issue(leaf.row, name, "required_message", "custom 'required' messages are not kept")
        return question

    def _report_extras(self, leaf: _Leaf, name: str, kind: str) -> None:
        """Report the columns of a field that have no equivalent (the field itself is kept)."""
        element = leaf.element
        bind = element.get("bind") or {}
        if element.get("guidance_hint"):
            self.issue(leaf.row, name, "guidance_hint", "guidance hints are not kept")
        choices = element.get("choices") or []
        if element.get("media") or any(isinstance(c, dict) and c.get("media") for c in choices):
            self.issue(leaf.row, name, "media", "images, audio and video in labels are not kept")
        for column in ("default", "trigger"):
            if element.get(column) not in (None, ""):
                self.issue(leaf.row, name, column, f"the '{column}' column has no equivalent and is ignored")
        if str(bind.get("readonly", "")).strip().lower() in _TRUE and kind not in ("calculate", "info"):
            self.issue(
                leaf.row, name, "read_only", "read-only questions are not representable; it is asked normally"
            )
        if element.get("choice_filter") not in (None, ""):
            self.issue(
                leaf.row,
                name,
                "choice_filter",
                f"choice filters (cascading selects) cannot be represented: `{element['choice_filter']}`; "
                "every option of the list is offered",
            )
        for key in element.get("parameters") or {}:
            if key not in ("randomize", "start", "end", "step"):
                self.issue(
                    leaf.row, name, "parameters", f"the parameter '{key}' has no equivalent and is ignored"
                )

    def _calculate(
        self, question: dict[str, Any], leaf: _Leaf, name: str, bind: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        calculation = bind.get("calculate")
        if not calculation:
            leaf.status = "dropped"
            self.issue(
                leaf.row,
                name,
                "calculate",
                "a calculate field without a calculation is left out",
                dropped=True,
            )
            return None
        node = self.expression(
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
        _make_neutral(question, marker)
        for key in ("tags", "variants"):
            if key in marker:
                question[key] = marker[key]
        return question

    def _required(self, question: dict[str, Any], leaf: _Leaf, bind: Mapping[str, Any]) -> None:
        raw = bind.get("required")
        if raw is None:
            return
        value = str(raw).strip()
        if value.lower() in _TRUE:
            if question["type"] not in ("info", "calculate"):
                question["required"] = True
        elif value.lower() not in _FALSE:
            self.issue(
                leaf.row,
                str(leaf.element.get("name", "")),
                "required",
                f"a conditional 'required' (`{value}`) cannot be represented; the question is optional",
            )

    def _choice_options(self, leaf: _Leaf, skip: set[str]) -> list[dict[str, Any]]:
        """Return the options of a select (codes as text), leaving out the codes in ``skip``."""
        element = leaf.element
        name = str(element.get("name", ""))
        raw = element.get("choices") or self.choices.get(
            str(element.get("itemset") or element.get("list_name"))
        )
        options: list[dict[str, Any]] = []
        for choice in raw or []:
            code = str(choice.get("name", "")).strip()
            if not code or code in skip:
                continue
            code = self.code_renames.get(leaf.qid or "", {}).get(code, code)
            option: dict[str, Any] = {
                "code": code,
                "label": self.pipe(choice.get("label"), leaf.row, name) or {self.languages[0]: code},
            }
            choice_marker = self._marker(choice.get(MARKER), leaf.row, name)
            if choice_marker.get("neutral") is True:
                option["label"] = _neutral(option["label"])
            for flag in ("fixed", "exclusive"):
                if choice_marker.get(flag) is True:
                    option[flag] = True
            if isinstance(choice_marker.get("code"), str) and choice_marker["code"]:
                option["code"] = choice_marker["code"]
            options.append(option)
        return options

    def _fold_specify_other(self, questions: list[dict[str, Any]], page: _PageDraft) -> list[dict[str, Any]]:
        """Turn ``or_other`` texts, and exported ``X_other`` texts, into the select's ``other``."""
        by_leaf = {id(q["_leaf"]): q for q in questions}
        for other in list(self.pending_others):
            target = other.other_of
            question = by_leaf.get(id(target)) if target is not None else None
            if question is None or question["type"] not in ("single_choice", "multiple_choice"):
                continue
            self.pending_others.remove(other)
            options = question.get("options", [])
            label = next((o["label"] for o in options if o["code"] == "other"), None)
            question["options"] = [o for o in options if o["code"] != "other"]
            question["other"] = {"code": "other", "label": label or {self.languages[0]: "Other"}}
            question["other"]["text_required"] = False
            question.setdefault("_absorbed", []).append(other)
        result: list[dict[str, Any]] = []
        for question in questions:
            previous = result[-1] if result else None
            if previous is not None and self._is_specify_other(previous, question):
                code = self._other_code(previous, question)
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
                    self.issue(
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

    def _is_specify_other(self, select: dict[str, Any], text: dict[str, Any]) -> bool:
        if select["type"] not in ("single_choice", "multiple_choice") or "other" in select:
            return False
        if text["type"] != "text" or text["id"] != f"{select['id']}_other":
            return False
        if set(text) - {"id", "type", "text", "show_if", "required", "_leaf"}:
            return False
        name = str(text["_leaf"].element.get("name", ""))
        if self._referenced(name):
            return False
        return self._other_code(select, text) is not None

    def _other_code(self, select: dict[str, Any], text: dict[str, Any]) -> str | None:
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
            isinstance(tree, Binary)
            and tree.op == "="
            and tree.left == Ref(qid)
            and isinstance(tree.right, Str)
        ):
            code = tree.right.value
        codes = {o["code"] for o in select.get("options", [])}
        return code if code in codes and len(codes) > 1 else None

    def _referenced(self, name: str) -> bool:
        if self.reference_counts is None:
            counts: dict[str, int] = {}

            def walk(value: Any) -> None:
                if isinstance(value, str):
                    for match in _PIPED.finditer(value):
                        counts[match.group(1)] = counts.get(match.group(1), 0) + 1
                    for match in re.finditer(r"\.\./([A-Za-z_][\w.-]*)", value):
                        counts[match.group(1)] = counts.get(match.group(1), 0) + 1
                elif isinstance(value, dict):
                    for item in value.values():
                        walk(item)
                elif isinstance(value, list):
                    for item in value:
                        walk(item)

            walk(self.form)
            self.reference_counts = counts
        return self.reference_counts.get(name, 0) > 0

    def _range(self, question: dict[str, Any], parameters: Mapping[str, Any]) -> None:
        try:
            start = float(parameters.get("start", 1))
            end = float(parameters.get("end", 10))
            step = float(parameters.get("step", 1))
        except (TypeError, ValueError):
            return
        question["min"], question["max"] = min(start, end), max(start, end)
        if not step.is_integer() or not start.is_integer():
            question["decimals"] = 2

    def _constraint_bounds(
        self, question: dict[str, Any], node: Node, generated: Mapping[str, Any]
    ) -> Node | None:
        """Read min/max (and decimals) from a constraint; drop the parts an exporter generated."""
        try:
            known = set(bound_conjuncts(generated, question["type"]))
        except (TypeError, ValueError):
            known = set()
        kept: list[Node] = []
        for part in _conjuncts(node):
            if part in known:
                continue
            kept.append(part)
            if question["type"] == "numeric":
                self._numeric_bound(question, part)
        if not kept:
            return None
        combined = kept[0]
        for part in kept[1:]:
            combined = Binary("and", combined, part)
        return combined

    def _numeric_bound(self, question: dict[str, Any], part: Node) -> None:
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

    def _apply_marker(self, question: dict[str, Any], marker: Mapping[str, Any]) -> None:
        """Take the values the exporter kept in the ``fieldwork`` column (validated later)."""
        for key in (
            "scale",
            "special",
            "tags",
            "variants",
            "decimals",
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
        ):
            if key in marker:
                question[key] = marker[key]
        other = marker.get("other")
        if isinstance(other, dict) and isinstance(other.get("max_length"), int):
            question["_other_max_length"] = other["max_length"]

    def _build_matrix(self, head: _Leaf, matrix: _Matrix) -> dict[str, Any] | None:
        group = matrix.group
        marker = matrix.marker
        name = str(group.get("name", ""))
        label_element = matrix.label_leaf.element if matrix.label_leaf is not None else group
        question: dict[str, Any] = {"id": head.qid or name, "type": "matrix", "_leaf": head}
        text = self.pipe(label_element.get("label"), matrix.row, name)
        if text and marker.get("untitled") is not True:
            question["text"] = text
        help_text = self.pipe(label_element.get("hint"), matrix.row, name)
        if help_text:
            question["help"] = help_text
        show_if = self.condition(head, (group.get("bind") or {}).get("relevant"))
        if show_if:
            question["show_if"] = show_if
        items: list[dict[str, Any]] = []
        for leaf in matrix.leaves:
            label = self.pipe(leaf.element.get("label"), leaf.row, str(leaf.element.get("name")))
            if label and self._marker(leaf.element.get(MARKER), leaf.row, None).get("neutral") is True:
                label = _neutral(label)
            items.append(
                {"code": leaf.matrix_row, "label": label or {self.languages[0]: leaf.matrix_row or ""}}
            )
        question["items"] = items
        _make_neutral(question, marker)
        if all(
            str((leaf.element.get("bind") or {}).get("required", "")).lower() in _TRUE
            for leaf in matrix.leaves
        ):
            question["required"] = True
        special_codes = _mapping(marker.get("special_codes"))
        if "scale" not in marker:
            question["options"] = self._choice_options(matrix.leaves[0], set(special_codes.values()))
        for key in ("scale", "special", "tags", "variants", "randomize"):
            if marker.get(key) is not None:
                question[key] = marker[key]
        question["_absorbed"] = [*matrix.leaves, *([matrix.label_leaf] if matrix.label_leaf else [])]
        return question

    # -- texts -----------------------------------------------------------------------------------

    def pipe(self, value: Any, row: int | None, name: str | None) -> dict[str, str] | None:
        """Localise a label and turn ``${x}`` into ``{answer:x}``; report what cannot be piped."""
        text = self.text(value)
        if text is None:
            return None
        return {language: self._pipe_one(item, row, name) for language, item in text.items()}

    def _pipe_one(self, text: str, row: int | None, name: str | None) -> str:
        def braces(match: re.Match[str]) -> str:
            qid = self.names.get(match.group(2))
            if match.group(1) and qid is not None:  # already our own piping syntax
                return "{answer:" + qid + "}"
            self.issue(
                row,
                name,
                "label",
                f"'{match.group(0)}' would be read as a placeholder; written as '({match.group(2)})'",
            )
            return f"({match.group(2)})"

        text = _BRACED.sub(braces, text)

        def replace(match: re.Match[str]) -> str:
            target = match.group(1)
            alias = self.aliases.get(target)
            qid = self.names.get(target)
            if qid is not None and self.kinds.get(qid) not in ("calculate", "info"):
                return "{answer:" + qid + "}"
            if isinstance(alias, Contact):
                return "{" + alias.name + "}"
            if isinstance(alias, ItemRef):
                qid = alias.name
            if qid is not None:
                why = f"'{target}' is a {self.kinds.get(qid)} item, whose value cannot be shown in a text"
            elif target in self.unavailable:
                why = f"'{target}' was not imported ({self.unavailable[target]})"
            else:
                why = f"'{target}' is not a field of the form"
            self.issue(row, name, "label", f"${{{target}}} cannot be piped: {why}; written as '[{target}]'")
            return f"[{target}]"

        return _PIPED.sub(replace, text)

    # -- counts ----------------------------------------------------------------------------------

    def _tally(self) -> None:
        for leaf in self.leaves:
            kind = str(leaf.element.get("type", ""))
            if leaf.status in ("metadata", "contact"):
                continue
            carried = leaf.status in ("carried", "matrix")
            if leaf.status == "matrix" and kind == "note":
                self.counts["notes_carried"] += 1
                continue
            if not carried and leaf.status != "dropped":
                leaf.status = "dropped"
                self.issue(leaf.row, str(leaf.element.get("name", "")), kind, "not imported", dropped=True)
            if kind == "note":
                self.counts["notes_carried"] += carried
            elif kind == "calculate":
                self.counts["calculates_carried"] += carried
            else:
                self.counts["carried" if carried else "reported"] += 1


def _neutral(text: Any) -> Any:
    """A language-neutral text written into every language column: back to one plain string."""
    return next(iter(text.values()), "") if isinstance(text, dict) else text


def _make_neutral(question: dict[str, Any], marker: Mapping[str, Any]) -> None:
    fields = marker.get("neutral")
    if isinstance(fields, list):
        for name in ("text", "help", "constraint_message"):
            if name in fields and name in question:
                question[name] = _neutral(question[name])


def _mapping(value: Any) -> dict[str, Any]:
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else {}


def _conjuncts(node: Node) -> Iterator[Node]:
    if isinstance(node, Binary) and node.op == "and":
        yield from _conjuncts(node.left)
        yield from _conjuncts(node.right)
    else:
        yield node
