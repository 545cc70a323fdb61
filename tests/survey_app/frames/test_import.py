"""Importing messy real-world files into a frame, on both backends: what is kept, what is
reported (every rejection with its row), duplicates under each policy, failures leave nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from openpyxl import Workbook
from sqlmodel import func, select

from survey_app.db import open_session
from survey_app.frames import importer
from survey_app.frames.importer import ImportFailed
from survey_app.frames.models import Contact, Frame, FrameImportIssue, FrameStatus, IssueAction

MESSY = (
    "客户编号,姓名,手机,邮箱,城市\n"
    "C001,张三,+86 138 0013 8000,zhang@example.com,北京\n"  # row 2
    "C002,李四,138-0013-8001,li@example,上海\n"  # 3: bad e-mail beside a good phone: changed
    'C003,"王\n五",12345,,广州\n'  # 4: quoted newline, bad phone, nothing else: rejected
    "\n"  # 5: blank
    ",,,,\n"  # 6: blank (only separators)
    "C004,赵六,138-0013-800,,深圳\n"  # 7: one digit short: rejected
    "C005,Ann Lee,+1 (415) 555-0132,ann@example.com,SF\n"  # 8
    "C006,孙七,,,杭州\n"  # 9: no contact at all
    "C007,周八,13800138002,ZHOU@Example.com,南京\n"  # 10
)


def _reasons(issues: list[FrameImportIssue]) -> list[tuple[int, str | None, str, str]]:
    return [(i.row_number, i.column, i.reason, i.action.value) for i in issues]


@pytest.mark.parametrize(
    ("encoding", "bom"), [("utf-8", True), ("utf-8", False), ("gbk", False), ("gb18030", False)]
)
def test_messy_file_every_rejection_reported_with_its_row(
    write_csv: Callable[..., Path],
    run_import: Callable[..., Frame],
    stored: Callable,
    encoding: str,
    bom: bool,
) -> None:
    # A few more plain rows so that a GBK guess has Chinese text to go on, as real lists do.
    padding = "".join(f"D{i:03d},顾客{i}号,1390013{i:04d},,苏州\n" for i in range(40))
    frame = run_import(write_csv(MESSY + padding, encoding, bom=bom))
    assert isinstance(frame, Frame), frame
    contacts, issues = stored(frame.id)
    assert frame.status is FrameStatus.ready
    assert frame.encoding == ("utf-8-sig" if bom else "utf-8" if encoding == "utf-8" else "gb18030")
    assert _reasons(issues) == [
        (3, "邮箱", "email_invalid", "changed"),
        (4, "手机", "phone_invalid", "rejected"),
        (7, "手机", "phone_invalid", "rejected"),
        (9, None, "no_contact", "rejected"),
    ]
    assert issues[1].value == "12345"
    kept = {c.row_number: c for c in contacts}
    assert sorted(kept)[:4] == [2, 3, 8, 10]
    assert kept[2].phone_e164 == "+8613800138000"
    assert kept[2].name == "张三"
    assert kept[2].external_id == "C001"
    assert kept[2].attributes == {"城市": "北京"}
    assert kept[2].timezone == "Asia/Shanghai"
    assert kept[3].phone_e164 == "+8613800138001"
    assert kept[3].email is None
    assert kept[8].phone_e164 == "+14155550132"
    assert kept[8].timezone == "America/Los_Angeles"
    assert kept[10].email == "zhou@example.com"
    assert (frame.rows_read, frame.contact_count, frame.rejected_count, frame.changed_count) == (47, 44, 3, 1)
    assert frame.rows_read == frame.contact_count + frame.rejected_count + frame.duplicate_count


def test_region_us_reads_national_us_numbers(
    write_csv: Callable[..., Path], run_import: Callable, stored: Callable
) -> None:
    frame = run_import(write_csv("name,phone\nA,(415) 555-0132\nB,415.555.0133\n"), region="US")
    contacts, issues = stored(frame.id)
    assert [c.phone_e164 for c in contacts] == ["+14155550132", "+14155550133"]
    assert issues == []


DUPLICATES = (
    "name,phone,email\n"
    "A,13800138000,a@example.com\n"  # 2
    "B,138 0013 8000,b@example.com\n"  # 3: same phone as 2
    "C,13900139000,A@EXAMPLE.COM\n"  # 4: same e-mail as 2
    "D,13700137000,d@example.com\n"  # 5: unique
    "E,+86 138-0013-8000,\n"  # 6: same phone as 2 and 3
)


@pytest.mark.parametrize(
    ("policy", "kept", "dropped"),
    [
        (
            "keep-first",
            ["A", "D"],
            [(3, "duplicate_phone", 2), (4, "duplicate_email", 2), (6, "duplicate_phone", 2)],
        ),
        (
            "keep-last",
            ["C", "D", "E"],
            [(2, "duplicate_email", 4), (2, "duplicate_phone", 6), (3, "duplicate_phone", 6)],
        ),
        (
            "reject",
            ["D"],
            [
                (2, "duplicate_email", 4),
                (2, "duplicate_phone", 6),
                (3, "duplicate_phone", 2),
                (4, "duplicate_email", 2),
                (6, "duplicate_phone", 2),
            ],
        ),
    ],
)
def test_duplicates_under_each_policy(
    write_csv: Callable[..., Path],
    run_import: Callable,
    stored: Callable,
    policy: str,
    kept: list[str],
    dropped: list,
) -> None:
    frame = run_import(write_csv(DUPLICATES), duplicates=policy)
    contacts, issues = stored(frame.id)
    assert [c.name for c in contacts] == kept
    reported = sorted((i.row_number, i.reason, i.related_row) for i in issues)
    assert reported == sorted(dropped)
    assert all(i.action is IssueAction.duplicate for i in issues)
    assert frame.duplicate_count == 5 - len(kept)
    assert frame.contact_count == len(kept)
    # What is kept never shares a phone or an e-mail.
    phones = [c.phone_e164 for c in contacts if c.phone_e164]
    emails = [c.email for c in contacts if c.email]
    assert len(phones) == len(set(phones))
    assert len(emails) == len(set(emails))


def test_duplicates_across_batches(
    write_csv: Callable[..., Path], run_import: Callable, stored: Callable, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "BATCH_SIZE", 2)
    frame = run_import(write_csv(DUPLICATES))
    contacts, _ = stored(frame.id)
    assert [c.name for c in contacts] == ["A", "D"]


def test_xlsx_with_chinese_names(tmp_path: Path, run_import: Callable, stored: Callable) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "手机号码", "电子邮件", "利益相关方", "时区"])
    sheet.append(["张三", 13800138000, "zhang@example.com", "end_customer", None])
    sheet.append(["歐陽娜娜", "+852 9123 4567", None, "supplier", "Asia/Hong_Kong"])
    sheet.append(["错误", "not a phone", None, None, None])
    path = tmp_path / "名单.xlsx"
    book.save(path)
    frame = run_import(path)
    contacts, issues = stored(frame.id)
    assert [(c.name, c.phone_e164, c.stakeholder_group, c.timezone) for c in contacts] == [
        ("张三", "+8613800138000", "end_customer", "Asia/Shanghai"),
        ("歐陽娜娜", "+85291234567", "supplier", "Asia/Hong_Kong"),
    ]
    assert _reasons(issues) == [(4, "手机号码", "phone_not_a_number", "rejected")]
    assert frame.encoding is None
    assert frame.rows_expected == 3


def _counts(app: Flask, frame_id: int) -> tuple[int, int]:
    with app.app_context(), open_session(app) as session:
        contacts = session.exec(
            select(func.count()).select_from(Contact).where(Contact.frame_id == frame_id)
        ).one()
        issues = session.exec(
            select(func.count()).select_from(FrameImportIssue).where(FrameImportIssue.frame_id == frame_id)
        ).one()
        return contacts, issues


def test_failure_mid_import_leaves_nothing(
    app: Flask, write_csv: Callable[..., Path], run_import: Callable, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "BATCH_SIZE", 3)
    real_flush = importer._flush
    calls = []

    def failing_flush(*args: object, **kwargs: object) -> None:
        calls.append(1)
        if len(calls) == 3:  # two batches are committed by then
            raise RuntimeError("disk full")
        real_flush(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(importer, "_flush", failing_flush)
    rows = "".join(f"P{i},1380013{i:04d},bad-email-{i}\n" for i in range(20))
    failed = run_import(write_csv("name,phone,email\n" + rows))
    assert isinstance(failed, ImportFailed)
    frame = failed.frame
    assert frame.status is FrameStatus.failed
    assert "disk full" in (frame.error or "")
    assert _counts(app, frame.id) == (0, 0)
    with app.app_context(), open_session(app) as session:
        stored_frame = session.get(Frame, frame.id)
        assert stored_frame is not None
        assert stored_frame.status is FrameStatus.failed
        assert stored_frame.contact_count == 0


def test_encoding_error_late_in_the_file_leaves_nothing(
    app: Flask, tmp_path: Path, run_import: Callable, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "BATCH_SIZE", 100)
    good = "name,phone\n" + "".join(f"P{i},1380013{i:04d}\n" for i in range(5000))
    path = tmp_path / "late.csv"
    # Valid UTF-8 for the first 64 KiB sample, then a byte that is not.
    path.write_bytes(good.encode() + b"X,\xff\xfe13800130000\n")
    failed = run_import(path)
    assert isinstance(failed, ImportFailed)
    assert "row 5002" in str(failed)
    assert "utf-8" in str(failed)
    assert _counts(app, failed.frame.id) == (0, 0)


def test_mapping_without_phone_or_email_fails_cleanly(
    app: Flask, write_csv: Callable[..., Path], run_import: Callable
) -> None:
    failed = run_import(write_csv("name,city\nA,X\n"))
    assert isinstance(failed, ImportFailed)
    assert "phone or an e-mail" in str(failed)
    assert _counts(app, failed.frame.id) == (0, 0)
