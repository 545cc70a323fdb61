"""Reading messy contact files: encodings, BOM, quoted newlines, blank rows, XLSX (no database)."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from openpyxl import Workbook

from survey_app.frames.reader import FileReadError, cell_text, detect_encoding, open_table

ROWS = "客户编号,姓名,手机\n1,张三,13800138000\n2,欧阳娜娜,13900139000\n"


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _read(path: Path, encoding: str = "auto") -> tuple[list[str], str | None, list[tuple[int, list[str]]]]:
    with open_table(path, encoding) as table:
        return table.header, table.encoding, list(table.rows())


def test_utf8_with_bom_drops_the_bom_from_the_first_header(tmp_path: Path) -> None:
    header, encoding, rows = _read(_write(tmp_path, "a.csv", codecs.BOM_UTF8 + ROWS.encode()))
    assert header == ["客户编号", "姓名", "手机"]
    assert encoding == "utf-8-sig"
    assert rows[1] == (3, ["2", "欧阳娜娜", "13900139000"])


def test_chosen_utf8_also_drops_a_bom(tmp_path: Path) -> None:
    header, _, _ = _read(_write(tmp_path, "a.csv", codecs.BOM_UTF8 + ROWS.encode()), "utf-8")
    assert header[0] == "客户编号"


@pytest.mark.parametrize("codec", ["gbk", "gb18030"])
def test_gbk_and_gb18030_are_detected_and_read_as_gb18030(tmp_path: Path, codec: str) -> None:
    # Enough Chinese text for a confident guess, as in a real customer list.
    lines = [ROWS.strip()] + [f"{i},王小明{i}号客户,1380013{i:04d}" for i in range(3, 60)]
    path = _write(tmp_path, "gbk.csv", "\n".join(lines).encode(codec))
    header, encoding, rows = _read(path)
    assert encoding == "gb18030"
    assert header == ["客户编号", "姓名", "手机"]
    assert rows[0] == (2, ["1", "张三", "13800138000"])


def test_gb18030_only_character_after_the_sample_is_read(tmp_path: Path) -> None:
    # 𠀀 (U+20000) exists in GB18030 but not GBK: a GBK decoder would fail on the last row.
    body = "\n".join(f"{i},李四{i},1380013{i:04d}" for i in range(2, 5000))
    text = "编号,姓名,手机\n" + body + "\n9999,\U00020000明,13800139999\n"
    rows = _read(_write(tmp_path, "big.csv", text.encode("gb18030")))[2]
    assert rows[-1][1][1] == "\U00020000明"


def test_wrong_chosen_encoding_fails_with_the_row_number(tmp_path: Path) -> None:
    path = _write(tmp_path, "gbk.csv", ROWS.encode("gbk"))
    with pytest.raises(FileReadError) as raised, open_table(path, "utf-8") as table:
        list(table.rows())
    assert raised.value.code in ("encoding_mismatch",)


def test_quoted_newlines_count_as_one_row_and_blank_rows_keep_their_number(tmp_path: Path) -> None:
    text = 'name,phone,notes\nA,13800138000,"line one\nline two"\n\n,,\nB,13900139000,x\n'
    header, _, rows = _read(_write(tmp_path, "q.csv", text.encode()))
    assert rows == [(2, ["A", "13800138000", "line one\nline two"]), (5, ["B", "13900139000", "x"])]


def test_header_cells_are_cleaned_and_repeats_numbered(tmp_path: Path) -> None:
    header, _, _ = _read(_write(tmp_path, "h.csv", b" phone ,,phone\n1,2,3\n"))
    assert header == ["phone", "column 2", "phone (2)"]


def test_empty_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileReadError) as raised:
        open_table(_write(tmp_path, "e.csv", b"\n\n"))
    assert raised.value.code == "empty_file"


def test_old_xls_is_refused_with_advice(tmp_path: Path) -> None:
    with pytest.raises(FileReadError) as raised:
        open_table(_write(tmp_path, "old.xls", b"\xd0\xcf\x11\xe0rest"))
    assert raised.value.code == "xls_unsupported"


def test_broken_xlsx_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileReadError) as raised:
        open_table(_write(tmp_path, "broken.xlsx", b"PK\x03\x04not really a zip"))
    assert raised.value.code == "xlsx_unreadable"


def test_xlsx_with_chinese_names_numbers_and_blank_rows(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "手机", "邮箱"])
    sheet.append(["张三", 13800138000, "zhang@example.com"])
    sheet.append([None, None, None])
    sheet.append(["歐陽娜娜", "+852 9123 4567", None])
    path = tmp_path / "contacts.xlsx"
    book.save(path)
    header, encoding, rows = _read(path)
    assert header == ["姓名", "手机", "邮箱"]
    assert encoding is None
    assert rows == [(2, ["张三", "13800138000", "zhang@example.com"]), (4, ["歐陽娜娜", "+852 9123 4567"])]


def test_utf16_with_bom_is_detected() -> None:
    assert detect_encoding(codecs.BOM_UTF16_LE + "a,b".encode("utf-16-le")) == "utf-16"


def test_cell_text_keeps_phone_numbers_stored_as_numbers_whole() -> None:
    assert cell_text(13800138000.0) == "13800138000"
    assert cell_text(1.5) == "1.5"
    assert cell_text(None) == ""


def test_big5_is_told_apart_from_gb18030(tmp_path: Path) -> None:
    text = "客戶編號,姓名,手機\n1,張三,0912345678\n2,歐陽娜娜,0923456789\n3,陳大文,0934567890\n"
    header, encoding, rows = _read(_write(tmp_path, "tw.csv", text.encode("big5")))
    assert encoding == "big5"
    assert header == ["客戶編號", "姓名", "手機"]
    assert rows[1] == (3, ["2", "歐陽娜娜", "0923456789"])


def test_short_gbk_file_is_not_mistaken_for_korean(tmp_path: Path) -> None:
    text = "会员号,联系人,移动电话\nM1,客户一,13800138000\n"
    header, encoding, _ = _read(_write(tmp_path, "short.csv", text.encode("gbk")))
    assert (encoding, header) == ("gb18030", ["会员号", "联系人", "移动电话"])
