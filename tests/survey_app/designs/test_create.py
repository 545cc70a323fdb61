"""Creating questionnaires: blank, from a library template, from YAML, JSON and XLSForm files."""

from __future__ import annotations

import io
import json
from pathlib import Path

import openpyxl
import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from questionnaires.definition import parse_definition
from questionnaires.xlsform import export_xlsform
from survey_app.db import open_session
from survey_app.designs.formats import MAX_UPLOAD_BYTES
from survey_app.designs.models import QuestionnaireRecord
from survey_app.designs.operations import load_library_templates
from tests.survey_app.designs.helpers import html, sample

MALI = Path("/work/shared/xlsforms/mali_health_facilities_en_fr.xlsx")


def records(db_session: Session) -> list[QuestionnaireRecord]:
    db_session.expire_all()
    return list(db_session.exec(select(QuestionnaireRecord).order_by(QuestionnaireRecord.id)))


def upload(client: FlaskClient, name: str, content: bytes, **fields: str):
    data = {"file": (io.BytesIO(content), name), **fields}
    return client.post("/questionnaires/new/import", data=data, content_type="multipart/form-data")


def test_list_and_new_pages(client: FlaskClient, researcher, make_questionnaire) -> None:
    make_questionnaire()
    page = html(client.get("/questionnaires"))
    assert "Trial survey" in page
    assert "End customers" in page
    assert "Valid" in page
    assert "Not published" in page
    assert "survey designs load-library" in page  # no templates yet: say how to load them
    new = html(client.get("/questionnaires/new"))
    assert 'enctype="multipart/form-data"' in new


def test_create_blank(client: FlaskClient, researcher, db_session: Session) -> None:
    response = client.post(
        "/questionnaires/new",
        data={
            "key": "staff_pulse",
            "title": "Staff pulse",
            "stakeholder_group": "staff",
            "languages": "en, zh-Hans",
        },
    )
    assert response.status_code == 302
    (record,) = records(db_session)
    assert record.key == "staff_pulse"
    assert record.stakeholder_group == "staff"
    assert record.draft["languages"] == ["en", "zh-Hans"]
    assert record.owner_id == researcher.id
    overview = html(client.get(response.headers["Location"]))
    assert "the questionnaire has no questions" in overview  # a blank draft says what is missing


def test_create_blank_errors(
    client: FlaskClient, researcher, make_questionnaire, db_session: Session
) -> None:
    make_questionnaire()
    taken = html(
        client.post(
            "/questionnaires/new",
            data={"key": "trial", "title": "T", "stakeholder_group": "staff", "languages": "en"},
        )
    )
    assert "Another questionnaire already uses the id “trial”." in taken
    bad_key = html(
        client.post(
            "/questionnaires/new",
            data={"key": "a b", "title": "T", "stakeholder_group": "staff", "languages": "en"},
        )
    )
    assert "An id may only use letters" in bad_key
    bad_group = html(
        client.post(
            "/questionnaires/new",
            data={"key": "ok", "title": "T", "stakeholder_group": "Big Shops", "languages": "en"},
        )
    )
    assert "A stakeholder group is lower-case letters" in bad_group
    assert len(records(db_session)) == 1


def test_library_templates_load_idempotently_and_copy(
    client: FlaskClient, researcher, app: Flask, db_session: Session
) -> None:
    with app.app_context(), open_session(app) as session:
        first = load_library_templates(session)
        again = load_library_templates(session)
    assert "supplier" in first.created
    assert not first.updated
    assert sorted(again.unchanged) == sorted(first.created)
    assert not again.created
    templates = records(db_session)
    assert all(t.is_template for t in templates)
    supplier = next(t for t in templates if t.key == "supplier")
    assert '"include":' not in json.dumps(supplier.draft)  # blocks expanded
    listing = html(client.get("/questionnaires"))
    assert "Use this template" in listing
    assert "Supplier survey" in listing
    response = client.post("/questionnaires/new/template", data={"template_id": supplier.id})
    assert response.status_code == 302
    copy = records(db_session)[-1]
    assert (copy.key, copy.is_template, copy.cloned_from_id) == ("supplier_copy", False, supplier.id)
    assert copy.draft["id"] == "supplier_copy"
    assert copy.draft["pages"] == supplier.draft["pages"]
    second = client.post(
        "/questionnaires/new/template", data={"template_id": supplier.id, "key": "supplier_2027"}
    )
    assert second.status_code == 302
    assert records(db_session)[-1].key == "supplier_2027"


def test_load_library_cli(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["designs", "load-library"])
    assert result.exit_code == 0, result.output
    assert "created: abandonment_reason" in result.output
    assert (
        "unchanged: abandonment_reason"
        in app.test_cli_runner().invoke(args=["designs", "load-library"]).output
    )


def test_import_yaml_and_json(client: FlaskClient, researcher, db_session: Session) -> None:
    text = yaml.safe_dump(sample(id="from_yaml"), allow_unicode=True)
    response = upload(client, "trial.yaml", text.encode())
    assert response.status_code == 200
    assert "The questionnaire from_yaml has been created" in html(response)
    response = upload(
        client, "trial.json", json.dumps(sample()).encode(), key="from_json", stakeholder_group="supplier"
    )
    assert "from_json" in html(response)
    yaml_record, json_record = records(db_session)
    assert yaml_record.draft["pages"] == sample()["pages"]
    assert (json_record.key, json_record.draft["id"], json_record.stakeholder_group) == (
        "from_json",
        "from_json",
        "supplier",
    )


def test_import_expands_library_blocks(client: FlaskClient, researcher, db_session: Session) -> None:
    document = sample(id="with_block")
    document["pages"][0]["questions"].insert(0, {"include": "core_satisfaction"})
    upload(client, "block.yaml", yaml.safe_dump(document).encode())
    (record,) = records(db_session)
    assert '"include":' not in json.dumps(record.draft)


def test_import_generated_xlsform(client: FlaskClient, researcher, db_session: Session) -> None:
    workbook = export_xlsform(parse_definition(sample()))
    response = upload(client, "trial.xlsx", workbook, key="trial_xls")
    assert response.status_code == 200
    (record,) = records(db_session)
    assert record.key == "trial_xls"
    assert [q["id"] for p in record.draft["pages"] for q in p["questions"]] == [
        "sat",
        "why",
        "channels",
        "age",
    ]


def test_import_real_xlsform_lists_issues_with_rows(
    client: FlaskClient, researcher, db_session: Session
) -> None:
    response = upload(client, MALI.name, MALI.read_bytes(), stakeholder_group="regulator")
    page = html(response)
    assert response.status_code == 200
    assert "row 16" in page
    assert "geopoint" in page
    assert "row 4" in page
    assert "choice_filter" in page
    (record,) = records(db_session)
    assert record.key == "mali_health_facilities_en_fr"
    assert record.stakeholder_group == "regulator"
    assert record.draft["languages"] == ["en", "fr"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.yaml", b"id: x\ntitle: [unclosed\npages: []\n", "invalid YAML at line 3"),
        ("bad.json", b'{"id": "x",\n "title": }', "invalid JSON at line 2"),
        ("list.yaml", b"- just\n- a list\n", "must be a mapping"),
        ("fake.xlsx", b"this is not a workbook", "This is not a readable XLSForm"),
        ("notes.txt", b"hello", "Upload a .yaml, .yml, .json or .xlsx"),
        ("latin1.yaml", "id: caf\xe9".encode("latin-1"), "The file is not UTF-8 text."),
        ("empty.yaml", b"", "The file is empty."),
        ("noid.yaml", b"title: No id\npages: []\n", "The file has no questionnaire id"),
        (
            "block.yaml",
            b"id: b\ntitle: B\npages:\n  - include: nowhere\n",
            "no block file blocks/nowhere.yaml",
        ),
    ],
)
def test_unreadable_files_create_nothing(
    client: FlaskClient, researcher, db_session: Session, name: str, content: bytes, message: str
) -> None:
    response = upload(client, name, content)
    assert response.status_code == 200
    assert message in html(response)
    assert records(db_session) == []


def _workbook_without_a_survey_sheet() -> bytes:
    book = openpyxl.Workbook()
    book.active.title = "notes"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_workbook_that_is_not_an_xlsform_creates_nothing(
    client: FlaskClient, researcher, db_session: Session
) -> None:
    page = html(upload(client, "notes.xlsx", _workbook_without_a_survey_sheet()))
    assert "This is not a readable XLSForm" in page
    assert records(db_session) == []


def test_a_file_over_the_size_limit_creates_nothing(
    client: FlaskClient, researcher, db_session: Session
) -> None:
    sample_yaml = yaml.safe_dump(sample(id="big")).encode()
    content = sample_yaml + b"#" * (MAX_UPLOAD_BYTES + 1 - len(sample_yaml)) + b"\n"
    response = upload(client, "big.yaml", content)
    assert response.status_code == 200
    assert "The file is larger than 5 MB." in html(response)
    assert records(db_session) == []
    # Just under the limit is accepted: the limit is the size, not a side effect of reading.
    fits = sample_yaml + b"#" * (MAX_UPLOAD_BYTES - 2 - len(sample_yaml)) + b"\n"
    assert "has been created" in html(upload(client, "fits.yaml", fits))
    assert [r.key for r in records(db_session)] == ["big"]


def test_import_with_a_taken_id(
    client: FlaskClient, researcher, make_questionnaire, db_session: Session
) -> None:
    make_questionnaire()
    page = html(upload(client, "trial.yaml", yaml.safe_dump(sample()).encode()))
    assert "Another questionnaire already uses the id “trial”." in page
    assert len(records(db_session)) == 1
