"""The frame pages: upload → mapping → import → report, the CSV download, errors, roles."""

from __future__ import annotations

import io
import os
import re
import time
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from survey_app.auth.models import Role
from survey_app.frames.models import Contact, Frame, FrameStatus
from survey_app.frames.uploads import upload_dir

CSV = (
    "客户编号,姓名,手机,Email,Segment\n"
    "C1,张三,138-0013-8000,zhang@example.com,VIP\n"
    "C2,<b>李四</b>,12345,,normal\n"
    "C3,王五,+86 138 0013 8000,wang@example.com,VIP\n"
).encode("gb18030")


def _upload(client: FlaskClient, data: bytes = CSV, name: str = "客户.csv", **fields: str) -> str:
    form = {"name": "Customers", "region": "CN", "encoding": "auto", "duplicates": "keep-first", **fields}
    form["file"] = (io.BytesIO(data), name)  # type: ignore[assignment]
    response = client.post("/frames/new", data=form, content_type="multipart/form-data")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _token(page: str) -> str:
    match = re.search(r'name="token" type="hidden" value="([0-9a-f]{32})"', page) or re.search(
        r'value="([0-9a-f]{32})"', page
    )
    assert match, page
    return match.group(1)


def test_upload_map_import_and_report(
    client: FlaskClient, login: Callable, db_session: Session, run_worker_job: Callable[[], None]
) -> None:
    login(Role.researcher)
    page = _upload(client)
    # The mapping step proposes fields from the Chinese and English headers and previews rows.
    assert 'name="col-2"' in page
    assert '<option value="phone" selected>' in page
    assert '<option value="email" selected>' in page
    assert "gb18030" in page
    assert "&lt;b&gt;李四&lt;/b&gt;" in page
    assert "<b>李四</b>" not in page
    token = _token(page)
    response = client.post(
        "/frames/import",
        data={
            "token": token,
            "col-0": "external_id",
            "col-1": "name",
            "col-2": "phone",
            "col-3": "email",
            "col-4": "attribute",
        },
    )
    assert response.status_code == 302
    frame = db_session.exec(select(Frame)).one()
    assert response.headers["Location"].endswith(f"/frames/{frame.id}")
    run_worker_job()
    db_session.refresh(frame)
    assert (frame.status, frame.contact_count, frame.rejected_count, frame.duplicate_count) == (
        FrameStatus.ready,
        1,
        1,
        1,
    )
    contact = db_session.exec(select(Contact)).one()
    assert contact.attributes == {"segment": "VIP"}
    assert contact.phone_e164 == "+8613800138000"

    detail = client.get(f"/frames/{frame.id}").get_data(as_text=True)
    assert "Import report" in detail
    assert "Not a valid phone number" in detail
    assert "12345" in detail
    assert "Same phone number as another row" in detail
    assert "see row 2" in detail
    assert 'http-equiv="refresh"' not in detail

    report = client.get(f"/frames/{frame.id}/report.csv")
    assert report.status_code == 200
    assert report.mimetype == "text/csv"
    text = report.get_data().decode("utf-8-sig")
    assert text.splitlines()[1:] == [
        "3,手机,12345,rejected,phone_invalid,not a valid phone number,",
        '4,手机,+8613800138000,duplicate,duplicate_phone,"same phone as row 2, which is kept",2',
    ]
    assert "Customers" in client.get("/frames").get_data(as_text=True)


def test_importing_frame_page_refreshes_and_shows_progress(
    client: FlaskClient, login: Callable, db_session: Session
) -> None:
    login(Role.admin)
    frame = Frame(name="Big", status=FrameStatus.importing, rows_read=5000, rows_expected=20000)
    db_session.add(frame)
    db_session.commit()
    page = client.get(f"/frames/{frame.id}").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="2">' in page
    assert '<progress max="20000" value="5000">' in page
    assert "5000 rows read so far" in page


def test_failed_frame_page_says_nothing_was_kept(
    client: FlaskClient, login: Callable, db_session: Session
) -> None:
    login(Role.researcher)
    frame = Frame(name="Broken", status=FrameStatus.failed, error="row 7 is not valid utf-8")
    db_session.add(frame)
    db_session.commit()
    page = client.get(f"/frames/{frame.id}").get_data(as_text=True)
    assert "nothing was kept" in page
    assert "row 7 is not valid utf-8" in page


def test_mapping_errors_are_shown_and_nothing_is_created(
    client: FlaskClient, login: Callable, db_session: Session
) -> None:
    login(Role.researcher)
    token = _token(_upload(client))
    twice = client.post("/frames/import", data={"token": token, "col-2": "phone", "col-3": "phone"})
    assert twice.status_code == 200
    assert "is chosen for two columns" in twice.get_data(as_text=True)
    none = client.post("/frames/import", data={"token": token, "col-2": "ignore", "col-3": "ignore"})
    assert "Map a phone or an e-mail column" in none.get_data(as_text=True)
    # The choice made is kept on the page shown again.
    assert '<option value="ignore" selected>' in none.get_data(as_text=True)
    forged = client.post("/frames/import", data={"token": "../../etc/passwd"})
    assert "upload it again" in forged.get_data(as_text=True)
    assert db_session.exec(select(Frame)).all() == []


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "empty.csv", "The file has no header row."),
        (b"\xd0\xcf\x11\xe0", "old.xls", "Old .xls files are not supported"),
        (b"PK\x03\x04junk", "broken.xlsx", "The workbook cannot be read"),
    ],
)
def test_unreadable_uploads_get_a_specific_error(
    client: FlaskClient, login: Callable, data: bytes, name: str, message: str
) -> None:
    login(Role.researcher)
    assert message in _upload(client, data, name)


def test_upload_form_validation(client: FlaskClient, login: Callable) -> None:
    login(Role.researcher)
    page = _upload(client, region="XX")
    assert "Unknown region code" in page
    missing = client.post("/frames/new", data={"name": "N"}, content_type="multipart/form-data")
    assert "Choose a CSV or XLSX file." in missing.get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.analyst, Role.agent, Role.qa_auditor])
def test_other_roles_may_not_see_frames(client: FlaskClient, login: Callable, role: Role) -> None:
    login(role)
    assert client.get("/frames").status_code == 403
    assert client.get("/frames/do-not-contact").status_code == 403


def test_frame_pages_in_chinese(app: Flask, client: FlaskClient, login: Callable) -> None:
    login(Role.researcher)
    page = client.get("/frames?lang=zh-Hans").get_data(as_text=True)
    assert "联系人抽样框" in page
    assert "导入抽样框" in page
    assert "Contact frames" not in page


def test_xlsx_upload_through_the_pages(
    client: FlaskClient, login: Callable, db_session: Session, run_worker_job: Callable[[], None]
) -> None:
    from openpyxl import Workbook

    login(Role.researcher)
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "手機號碼", "電子郵件"])
    sheet.append(["陳大文", "+852 9123 4567", "chan@example.com.hk"])
    buffer = io.BytesIO()
    book.save(buffer)
    page = _upload(client, buffer.getvalue(), "名單.xlsx", region="HK")
    assert "陳大文" in page
    client.post(
        "/frames/import", data={"token": _token(page), "col-0": "name", "col-1": "phone", "col-2": "email"}
    )
    run_worker_job()
    contact = db_session.exec(select(Contact)).one()
    assert (contact.name, contact.phone_e164, contact.timezone) == (
        "陳大文",
        "+85291234567",
        "Asia/Hong_Kong",
    )


def test_an_upload_is_imported_once_and_then_deleted(
    app: Flask, client: FlaskClient, login: Callable, db_session: Session, run_worker_job: Callable[[], None]
) -> None:
    login(Role.researcher)
    token = _token(_upload(client))
    data = {"token": token, "col-2": "phone", "col-3": "email"}
    assert client.post("/frames/import", data=data).status_code == 302
    again = client.post("/frames/import", data=data)
    assert "upload it again" in again.get_data(as_text=True)
    frame = db_session.exec(select(Frame)).one()
    # Kept for the worker (named on the frame); the settings file is no longer needed.
    assert [p.name for p in upload_dir(app).iterdir()] == [f"{token}.claimed"]
    assert frame.upload_name == f"{token}.claimed"
    run_worker_job()
    db_session.refresh(frame)
    assert (frame.status, frame.upload_name) == (FrameStatus.ready, None)
    assert list(upload_dir(app).iterdir()) == []


def test_abandoned_uploads_are_deleted_after_a_day(app: Flask, client: FlaskClient, login: Callable) -> None:
    login(Role.researcher)
    _token(_upload(client))
    (old,) = upload_dir(app).glob("*.data")
    day_ago = time.time() - 25 * 3600
    os.utime(old, (day_ago, day_ago))
    _token(_upload(client))
    assert old not in list(upload_dir(app).glob("*.data"))
    assert not old.with_suffix(".json").exists()
    assert len(list(upload_dir(app).glob("*.data"))) == 1


def test_a_web_upload_waits_for_the_worker(
    app: Flask, client: FlaskClient, login: Callable, db_session: Session, run_worker_job: Callable[[], None]
) -> None:
    login(Role.researcher)
    token = _token(_upload(client))
    response = client.post("/frames/import", data={"token": token, "col-2": "phone", "col-3": "email"})
    frame_id = int(response.headers["Location"].rsplit("/", 1)[1])
    frame = db_session.get(Frame, frame_id)
    assert frame is not None
    # The web request only queued it: nothing is imported in the web process.
    assert (frame.status, frame.rows_read, frame.upload_encoding) == (FrameStatus.queued, 0, "auto")
    assert db_session.exec(select(Contact)).all() == []
    page = client.get(f"/frames/{frame_id}").get_data(as_text=True)
    assert "Waiting for the worker to start the import" in page
    assert '<meta http-equiv="refresh" content="2">' in page
    assert "Import report" not in page
    assert "Waiting for the worker" in client.get("/frames").get_data(as_text=True)

    run_worker_job()
    db_session.refresh(frame)
    assert (frame.status, frame.contact_count, frame.rows_read) == (FrameStatus.ready, 1, 3)
    assert frame.encoding == "gb18030"
    page = client.get(f"/frames/{frame_id}").get_data(as_text=True)
    assert "Waiting for the worker" not in page
    assert 'http-equiv="refresh"' not in page
