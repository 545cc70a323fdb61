"""Questionnaire files: reading an upload (YAML, JSON, XLSForm) and writing a download.

An upload that cannot be read raises ``DesignError`` on the ``file`` field with what is wrong
(the YAML line, pyxform's complaint); an XLSForm that can be read but holds constructs we cannot
carry over comes back with those issues, each with its spreadsheet row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

import yaml
from flask_babel import lazy_gettext as _l
from pydantic import ValidationError

from questionnaires.definition import parse_definition
from questionnaires.documents import DocumentError, expand_includes, file_block_loader, read_document
from questionnaires.xlsform import (
    ImportIssue,
    XlsformError,
    XlsformExportError,
    export_xlsform,
    import_xlsform,
)

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
UPLOAD_TYPES = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".xlsx": "xlsform"}
#: Download formats: URL name -> (content type, file extension).
EXPORT_FORMATS: dict[str, tuple[str, str]] = {
    "yaml": ("application/yaml; charset=utf-8", "yaml"),
    "json": ("application/json; charset=utf-8", "json"),
    "xlsform": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}


class FileError(ValueError):
    """A file that cannot be read or written; the message says why, for the researcher."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class ImportedFile:
    """The document read from an upload, and (XLSForm) what could not be carried over."""

    document: dict[str, Any]
    kind: str
    issues: list[ImportIssue] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def read_upload(filename: str, content: bytes, library_dir: Path) -> ImportedFile:
    """Read an uploaded questionnaire; ``{include: NAME}`` entries use the library's blocks.

    :raises FileError: unknown type, too large, not UTF-8, bad YAML/JSON (with the line), not an XLSForm.
    """
    kind = UPLOAD_TYPES.get(PurePath(filename or "").suffix.lower())
    if kind is None:
        raise FileError(str(_l("Upload a .yaml, .yml, .json or .xlsx (XLSForm) file.")))
    if not content:
        raise FileError(str(_l("The file is empty.")))
    if len(content) > MAX_UPLOAD_BYTES:
        raise FileError(str(_l("The file is larger than %(n)d MB.", n=MAX_UPLOAD_BYTES // 2**20)))
    if kind == "xlsform":
        try:
            result = import_xlsform(content, name=PurePath(filename).stem)
        except XlsformError as exc:
            raise FileError(str(_l("This is not a readable XLSForm: %(reason)s", reason=str(exc)))) from None
        return ImportedFile(result.document, kind, list(result.issues), dict(result.counts))
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileError(str(_l("The file is not UTF-8 text."))) from None
    return ImportedFile(parse_text(text, kind, library_dir), kind)


def parse_text(text: str, kind: str, library_dir: Path) -> dict[str, Any]:
    """Parse definition text (YAML or JSON) into a document with the library's blocks expanded.

    :raises FileError: with the line and column of a syntax error, or a missing block.
    """
    try:
        document = read_document(text, fmt="json" if kind == "json" else "yaml", source="")
        return expand_includes(document, file_block_loader(library_dir))
    except DocumentError as exc:
        where = exc.path.strip(": ")
        raise FileError(f"{where}: {exc.message}" if where else exc.message) from None
    except (yaml.YAMLError, RecursionError, TypeError, ValueError) as exc:
        raise FileError(str(exc)) from None


def dump_text(document: dict[str, Any], kind: str = "yaml") -> str:
    """The document as YAML or JSON text, keys in their order, non-ASCII kept readable."""
    if kind == "json":
        return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    return str(yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100))


def export_bytes(document: dict[str, Any], kind: str) -> bytes:
    """The download of ``document`` in ``kind`` (a key of EXPORT_FORMATS).

    :raises FileError: an XLSForm was asked of a document that is not a valid questionnaire.
    """
    if kind != "xlsform":
        return dump_text(document, kind).encode("utf-8")
    try:
        return export_xlsform(parse_definition(document))
    except (ValidationError, XlsformExportError) as exc:
        raise FileError(
            str(
                _l(
                    "This draft cannot be written as an XLSForm until its errors are fixed (%(reason)s).",
                    reason=str(exc)[:200],
                )
            )
        ) from None


def download_name(key: str, kind: str, version: int | None) -> str:
    """``<key>-v3.yaml`` for a version, ``<key>-draft.xlsx`` for the draft."""
    suffix = f"v{version}" if version is not None else "draft"
    return f"{key}-{suffix}.{EXPORT_FORMATS[kind][1]}"
