"""``survey frame import`` and ``survey frame issues`` on both backends."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Flask
from sqlmodel import col, select

from survey_app.db import open_session
from survey_app.frames.models import Contact, DuplicatePolicy, Frame, FrameStatus

GBK_FILE = (
    "会员号,联系人,移动电话,分组\n"
    + "".join(f"M{i},客户{i},1380013{i:04d},A\n" for i in range(30))
    + ("M98,坏号码,12345,B\nM99,重复,13800130000,B\n")
)


def _frames(app: Flask) -> list[Frame]:
    with app.app_context(), open_session(app) as session:
        return list(session.exec(select(Frame).order_by(col(Frame.id))).all())


def test_cli_import_detects_gbk_maps_chinese_headers_and_reports(
    app: Flask, write_csv: Callable[..., Path]
) -> None:
    path = write_csv(GBK_FILE, "gbk")
    result = app.test_cli_runner().invoke(
        args=[
            "frame",
            "import",
            str(path),
            "--name",
            "Members",
            "--region",
            "cn",
            "--map",
            "分组=segment",
            "--duplicates",
            "keep-last",
        ]
    )
    assert result.exit_code == 0, result.output
    (frame,) = _frames(app)
    assert (frame.status, frame.encoding, frame.default_region) == (FrameStatus.ready, "gb18030", "CN")
    assert frame.duplicate_policy is DuplicatePolicy.keep_last
    assert (frame.rows_read, frame.contact_count, frame.rejected_count, frame.duplicate_count) == (
        32,
        30,
        1,
        1,
    )
    assert f"Frame {frame.id} 'Members': 32 rows read, 30 contacts, 1 rejected" in result.output
    with app.app_context(), open_session(app) as session:
        first = session.exec(
            select(Contact).where(Contact.frame_id == frame.id).order_by(col(Contact.row_number))
        ).first()
    # keep-last: row 2 (M0) lost its number to row 33 (M99).
    assert first is not None
    assert (first.external_id, first.name, first.attributes) == (
        "M1",
        "客户1",
        {"segment": "A"},
    )

    report = app.test_cli_runner().invoke(args=["frame", "issues", str(frame.id)])
    assert report.exit_code == 0
    lines = report.output.splitlines()
    assert lines[0] == "row,column,value,action,reason,message,related_row"
    assert lines[1:] == [
        '2,移动电话,+8613800130000,duplicate,duplicate_phone,"same phone as row 33, which is kept",33',
        "32,移动电话,12345,rejected,phone_invalid,not a valid phone number,",
    ]


def test_cli_chosen_encoding_and_ignored_column(app: Flask, write_csv: Callable[..., Path]) -> None:
    path = write_csv("name,email,secret\nA,a@example.com,x\n", "utf-8")
    result = app.test_cli_runner().invoke(
        args=["frame", "import", str(path), "--name", "N", "--encoding", "utf-8", "--map", "secret=-"]
    )
    assert result.exit_code == 0, result.output
    with app.app_context(), open_session(app) as session:
        contact = session.exec(select(Contact)).one()
    assert contact.attributes == {}
    assert contact.email == "a@example.com"


def test_cli_errors_are_clear_and_create_nothing(app: Flask, write_csv: Callable[..., Path]) -> None:
    path = write_csv("name,email\nA,a@example.com\n")
    runner = app.test_cli_runner()
    bad_map = runner.invoke(args=["frame", "import", str(path), "--name", "N", "--map", "nope"])
    assert bad_map.exit_code == 2
    assert "expected COLUMN=FIELD" in bad_map.output
    missing = runner.invoke(args=["frame", "import", str(path), "--name", "N", "--map", "Phone=phone"])
    assert missing.exit_code == 1
    assert "the file has no column 'Phone'" in missing.output
    long_name = runner.invoke(args=["frame", "import", str(path), "--name", "名" * 201])
    assert long_name.exit_code == 2
    assert "give a name of 1 to 200 characters" in long_name.output
    region = runner.invoke(args=["frame", "import", str(path), "--name", "N", "--region", "XX"])
    assert region.exit_code == 2
    assert "unknown region 'XX'" in region.output
    no_contact = runner.invoke(args=["frame", "import", str(path), "--name", "N", "--map", "email=-"])
    assert no_contact.exit_code == 1
    assert "map a phone or an e-mail column" in no_contact.output
    assert _frames(app) == []


def test_cli_failed_import_says_nothing_was_kept(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    path.write_bytes(
        ("name,phone\n" + "".join(f"P{i},1380013{i:04d}\n" for i in range(5000))).encode() + b"X,\xff\n"
    )
    result = app.test_cli_runner().invoke(
        args=["frame", "import", str(path), "--name", "N", "--region", "CN"]
    )
    assert result.exit_code == 1
    assert "import failed, nothing was kept: row 5002 is not valid utf-8" in result.output
    (frame,) = _frames(app)
    assert frame.status is FrameStatus.failed
    assert frame.contact_count == 0
