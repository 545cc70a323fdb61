"""Reading an XLSForm with pyxform, and finding the survey sheet row of each element it returns.

pyxform reads the workbook (aliases, legacy headers and ``or_other`` are its business) into a JSON
tree; the survey sheet is also kept row by row so that every issue names the spreadsheet row it
comes from. The names pyxform generates for elements without one are recognised here too.
"""

from __future__ import annotations

import copy
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyxform.errors import PyXFormError
from pyxform.xls2json import workbook_to_json
from pyxform.xls2json_backends import get_xlsform

from questionnaires.xlsform.issues import XlsformError

GENERATED_NOTE = re.compile(r"^generated_(?:note_name|table_list_label)_(\d+)$")
"""pyxform's name for a note without one (the number is its row)."""
GENERATED = re.compile(
    r"^(?:generated_note_name|generated_table_list_label|reserved_name_for_field_list_labels)_(\d+)$"
)
"""Any name pyxform generates (the number is its row)."""
TABLE_HEADER = re.compile(r"^reserved_name_for_field_list_labels_\d+$")
"""pyxform's generated table-list header row (the choices as column titles)."""


@dataclass(frozen=True, slots=True)
class Workbook:
    """What pyxform read: its JSON form, the survey sheet rows and the settings row."""

    form: dict[str, Any]
    survey_rows: list[dict[str, Any]]
    settings: dict[str, Any]


def read_workbook(source: str | Path | bytes, name: str | None) -> Workbook:
    """Read an XLSForm (a path or the bytes of an .xlsx/.xls file) with pyxform.

    ``name`` is the form name to fall back on when the settings sheet has none. Raises
    :class:`~questionnaires.xlsform.issues.XlsformError` when pyxform cannot read the file.
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
    return Workbook(form=form, survey_rows=survey_rows, settings=settings)


class RowFinder:
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
        """Return the row of the next element called ``name`` (each row is given out once)."""
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
