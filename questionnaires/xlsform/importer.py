"""Importing an XLSForm (.xlsx) into our definition format, reporting everything that cannot be carried.

pyxform reads the workbook (aliases, legacy headers and ``or_other`` are its business); we walk
its JSON and map each element to our model. The survey sheet is also read row by row so that
every issue names the spreadsheet row it comes from.

Nothing is dropped silently: a field type we do not have, a repeat, an external choice list, a
choice filter, an expression we cannot translate — each becomes an :class:`ImportIssue`. An
expression that translates but is wrong (a reference to a later question, a type error) is kept,
so that the definition validator reports it like any other definition error.

The import runs in steps over one :class:`~questionnaires.xlsform.state.ImportState`:

1. :mod:`~questionnaires.xlsform.reading` reads the workbook with pyxform;
2. :mod:`~questionnaires.xlsform.texts` maps the language columns to our languages;
3. :mod:`~questionnaires.xlsform.groups` sorts the elements into pages and fields;
4. :mod:`~questionnaires.xlsform.ids` gives them ids and decides what each field becomes;
5. :mod:`~questionnaires.xlsform.questions` builds the questions of each page, and
   :mod:`~questionnaires.xlsform.other_fields` folds "specify other" texts into their select;
6. :mod:`~questionnaires.xlsform.issues` counts what was carried and what was reported.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from questionnaires.definition import Question
from questionnaires.xlsform.drafts import PageDraft
from questionnaires.xlsform.groups import walk_form
from questionnaires.xlsform.ids import assign_ids, precheck_calculates
from questionnaires.xlsform.issues import ImportIssue, XlsformError, XlsformImport, tally
from questionnaires.xlsform.logic_syntax import emit_logic
from questionnaires.xlsform.markers import MARKER
from questionnaires.xlsform.other_fields import fold_specify_other
from questionnaires.xlsform.questions import build_matrix, build_question
from questionnaires.xlsform.reading import read_workbook
from questionnaires.xlsform.state import ImportState
from questionnaires.xlsform.texts import detect_languages, neutral, pipe

__all__ = ["ImportIssue", "XlsformError", "XlsformImport", "import_xlsform"]

_SETTINGS_KEYS = (
    "title",
    "description",
    "intro",
    "thank_you",
    "stakeholder_group",
    "contact_fields",
    "alerts",
)
"""What the exporter keeps in the settings marker, taken back as it is."""


def import_xlsform(source: str | Path | bytes, *, name: str | None = None) -> XlsformImport:
    """Read an XLSForm (a path or the bytes of an .xlsx/.xls file) into our definition format.

    ``name`` is the form id to use when the settings sheet has no ``form_id`` (by default the
    file name, or ``data`` for bytes). Raises :class:`XlsformError` when pyxform cannot read the
    file; everything else that cannot be represented is listed in ``issues`` of the result.
    """
    workbook = read_workbook(source, name)
    return _import(ImportState(workbook.form, workbook.survey_rows, workbook.settings))


def _import(state: ImportState) -> XlsformImport:
    detect_languages(state)
    walk_form(state)
    assign_ids(state)
    precheck_calculates(state)
    pages = [_build_page(state, page) for page in state.pages]
    document: dict[str, Any] = {
        "id": _form_id(state.form),
        "version": str(state.form.get("version") or "1"),
        "title": _title(state.form),
        "languages": state.languages,
        # A page left empty by what could not be imported is omitted; an empty group is kept.
        "pages": [
            page
            for page, draft in zip(pages, state.pages, strict=True)
            if page["questions"] or draft.empty_group
        ],
    }
    settings_marker = state.marker(state.settings.get(MARKER), None, "settings")
    for key in _SETTINGS_KEYS:
        if key in settings_marker:
            document[key] = settings_marker[key]
    tally(state.leaves, state.counts, state.log)
    return XlsformImport(document=document, issues=state.issues, counts=state.counts, rows=state.row_of)


def _form_id(form: dict[str, Any]) -> str:
    raw = str(form.get("id_string") or form.get("name") or "imported_form")
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "_", raw).strip("_") or "imported_form"
    return cleaned[:100]


def _title(form: dict[str, Any]) -> Any:
    # XLSForm titles are not translated: keep it as a language-neutral text.
    return str(form.get("title") or form.get("id_string") or "Imported form")


def _build_page(state: ImportState, page: PageDraft) -> dict[str, Any]:
    """Build a page and its questions; a question the definition model rejects is left out."""
    result: dict[str, Any] = {"id": page.id}
    title = pipe(state, page.title, page.row, page.id)
    if title:
        result["title"] = neutral(title) if page.neutral else title
    if page.relevant:
        node = state.expression(
            page.relevant, page.row, page.id, "relevant", None, "the page is shown without it"
        )
        if node is not None:
            result["show_if"] = emit_logic(node)
    questions: list[dict[str, Any]] = []
    for leaf in page.leaves:
        if leaf.status == "matrix_head":
            matrix = next(m for m in page.matrices if m.group is leaf.element)
            built = build_matrix(state, leaf, matrix)
        elif leaf.status == "pending":
            built = build_question(state, leaf)
        elif leaf.status == "other":
            built = None
            state.pending_others.append(leaf)
        else:
            continue
        if built is not None:
            questions.append(built)
    questions = fold_specify_other(state, questions)
    result["questions"] = [_validated(state, q) for q in questions]
    result["questions"] = [q for q in result["questions"] if q is not None]
    return result


def _validated(state: ImportState, question: dict[str, Any]) -> dict[str, Any] | None:
    leaf = question.pop("_leaf")
    absorbed = question.pop("_absorbed", [])
    try:
        Question.model_validate(question)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        name = str(leaf.element.get("name", ""))
        state.issue(
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
