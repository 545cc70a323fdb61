"""Reading a contact file as a stream of rows: CSV in any common encoding, or XLSX.

CSV encodings: a BOM decides (UTF-8, UTF-16); otherwise UTF-8 when the first 64 KiB decode as
UTF-8, else charset-normalizer's guess: between GB18030 and Big5 when the bytes are valid in
either (Chinese lists are the common case; a Korean or Japanese file must be given its encoding),
otherwise among :data:`_CANDIDATES`. GBK and GB2312 are read as GB18030, their superset, so a
rarer character in a later row does not fail the import. The user can also choose the encoding.
Rows are numbered as a spreadsheet shows them: the header is row 1, a record with a quoted
newline is one row, blank rows keep their number (and are skipped).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from charset_normalizer import from_bytes

from survey_app.frames.columns import clean_header

ENCODINGS = ("auto", "utf-8", "gb18030", "big5", "utf-16")
_SAMPLE = 64 * 1024
#: What a contact list that is not UTF-8 is likely to be in; an open guess mistakes short Chinese
#: samples for Japanese or Korean encodings.
_CANDIDATES = ("gb18030", "big5", "cp1252", "shift_jis", "euc_kr")
_UNDECODED = re.compile("[\udc80-\udcff]")
_GB_FAMILY = {"gbk", "gb2312", "gb18030", "hz", "cp936"}
# csv's default limit (128 KiB) would reject a legitimate long notes column; 8 MiB stays bounded.
csv.field_size_limit(8 * 1024 * 1024)


class FileReadError(ValueError):
    """The file cannot be read as a contact table; ``code`` and ``params`` describe why for the UI."""

    def __init__(self, code: str, message: str, **params: Any) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


def detect_encoding(sample: bytes) -> str:
    """The encoding to read a CSV file whose first bytes are ``sample`` with."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if _decodes(sample, "utf-8"):  # final=False: the sample may end inside a character
        return "utf-8"
    # Chinese lists first: when the bytes are valid GB18030 or Big5, choose between those two only
    # (an open guess calls a short GBK sample EUC-KR or EUC-JIS).
    chinese = [name for name in ("gb18030", "big5") if _decodes(sample, name)]
    best = from_bytes(sample, cp_isolation=chinese or list(_CANDIDATES)).best()
    if best is None:
        raise FileReadError("encoding_unknown", "the file's encoding could not be recognised: choose it")
    name = codecs.lookup(best.encoding).name
    return "gb18030" if name in _GB_FAMILY else name


def _decodes(sample: bytes, encoding: str) -> bool:
    try:
        codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
    except UnicodeDecodeError:
        return False
    return True


class _CountingReader(io.RawIOBase):
    """A binary stream that counts the bytes read through it (the progress of a CSV import)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        buffer[: len(data)] = data
        self.consumed += len(data)
        return len(data)


@dataclass
class Table:
    """An open contact file: its header, its encoding (CSV) and an iterator over its data rows."""

    header: list[str]
    encoding: str | None
    #: Data rows expected (XLSX dimension); None for CSV (see :attr:`fraction_read`).
    rows_expected: int | None
    _rows: Iterator[tuple[int, list[str]]]
    _counter: _CountingReader | None = None
    _size: int = 0
    _closers: list[Any] = field(default_factory=list)

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """``(row number, cells)`` for every non-blank data row, in file order."""
        return self._rows

    @property
    def fraction_read(self) -> float | None:
        """Share of a CSV file's bytes read so far (None for XLSX)."""
        if self._counter is None or not self._size:
            return None
        return min(1.0, self._counter.consumed / self._size)

    def close(self) -> None:
        for closer in self._closers:
            closer.close()

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_table(path: Path, encoding: str = "auto", filename: str | None = None) -> Table:
    """Open ``path`` (CSV, or XLSX by its name or content) and read its header.

    :raises FileReadError: unreadable file, unknown encoding, no header row.
    """
    name = (filename or path.name).lower()
    with path.open("rb") as probe:
        magic = probe.read(4)
    if name.endswith(".xlsx") or magic == b"PK\x03\x04":
        return _open_xlsx(path)
    if name.endswith(".xls"):
        raise FileReadError("xls_unsupported", "old .xls files are not supported: save as .xlsx or CSV")
    return _open_csv(path, encoding)


def _open_csv(path: Path, encoding: str) -> Table:
    raw = path.open("rb")
    try:
        if encoding == "auto":
            encoding = detect_encoding(raw.read(_SAMPLE))
            raw.seek(0)
        elif encoding == "utf-8":
            encoding = "utf-8-sig"  # a chosen UTF-8 still drops a BOM
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise FileReadError("encoding_unknown", f"unknown encoding {encoding!r}") from None
        counter = _CountingReader(raw)
        # surrogateescape: an undecodable byte becomes a lone surrogate in its row, so the error
        # names the right row (a strict decoder fails a whole 8 KiB chunk ahead of the reader).
        text = io.TextIOWrapper(
            io.BufferedReader(counter), encoding=encoding, errors="surrogateescape", newline=""
        )
        reader = csv.reader(text)
        rows = _numbered(reader, encoding)
        first = next(rows, None)
        if first is None:
            raise FileReadError("empty_file", "the file has no header row")
        table = Table(
            header=clean_header(first[1]),
            encoding=encoding,
            rows_expected=None,
            _rows=rows,
            _counter=counter,
            _size=path.stat().st_size,
            _closers=[text, raw],
        )
    except BaseException:
        raw.close()
        raise
    return table


def _numbered(reader: Any, encoding: str) -> Iterator[tuple[int, list[str]]]:
    number = 0
    try:
        for cells in reader:
            number += 1
            joined = "".join(cells)
            if _UNDECODED.search(joined):
                raise FileReadError(
                    "encoding_mismatch",
                    f"row {number} is not valid {encoding}: choose the file's encoding",
                    row=number,
                    encoding=encoding,
                )
            if not joined.isspace() and joined:
                yield number, cells
    except csv.Error as exc:
        raise FileReadError("csv_error", f"row {number + 1}: {exc}", row=number + 1) from None


def _open_xlsx(path: Path) -> Table:
    from openpyxl import load_workbook  # imported on use: costs ~0.2 s, CSV imports never need it

    # A file object: openpyxl refuses a path whose name does not end in .xlsx (stored uploads).
    handle = path.open("rb")
    try:
        book = load_workbook(handle, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged or foreign file
        handle.close()
        raise FileReadError("xlsx_unreadable", f"the workbook cannot be read: {exc}") from None
    try:
        sheet = book.worksheets[0]
        rows = _xlsx_rows(sheet.iter_rows(values_only=True))
        first = next(rows, None)
        if first is None:
            raise FileReadError("empty_file", "the first sheet has no header row")
        expected = (sheet.max_row - 1) if sheet.max_row else None
    except BaseException:
        book.close()
        handle.close()
        raise
    return Table(
        header=clean_header(first[1]),
        encoding=None,
        rows_expected=expected,
        _rows=rows,
        _closers=[book, handle],
    )


def _xlsx_rows(values: Iterator[tuple[Any, ...]]) -> Iterator[tuple[int, list[str]]]:
    for number, row in enumerate(values, start=1):
        cells = [cell_text(value) for value in row]
        while cells and not cells[-1]:
            cells.pop()
        if any(cell.strip() for cell in cells):
            yield number, cells


def cell_text(value: Any) -> str:
    """A spreadsheet cell as text: whole numbers without ``.0`` (phones stored as numbers), dates ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e17:
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
