"""Publishing versions, the version history, variants for other groups, and downloads."""

from __future__ import annotations

import io
import json

import openpyxl
import pytest
import yaml
from flask.testing import FlaskClient
from sqlmodel import Session, select

from survey_app.designs.formats import dump_text
from survey_app.designs.models import QuestionnaireRecord, QuestionnaireVersion
from tests.survey_app.designs.helpers import html, reload, sample


def versions(db_session: Session, record) -> list[QuestionnaireVersion]:
    db_session.expire_all()
    statement = select(QuestionnaireVersion).where(QuestionnaireVersion.questionnaire_id == record.id)
    return list(db_session.exec(statement.order_by(QuestionnaireVersion.number)))


def publish(client: FlaskClient, record, revision: int):
    return client.post(f"/questionnaires/{record.id}/publish", data={"draft_revision": revision})


def test_publish_is_blocked_by_errors(
    client: FlaskClient, researcher, make_questionnaire, db_session: Session
) -> None:
    document = sample()
    document["pages"][0]["questions"][1]["show_if"] = "nope > 1"
    record = make_questionnaire(document)
    page = html(client.get(f"/questionnaires/{record.id}/publish"))
    assert "The draft has 1 error. Fix it before publishing." in page
    assert "Publish version 1" not in page
    refused = html(publish(client, record, 1))
    assert "The draft has 1 error: fix it before publishing." in refused
    assert versions(db_session, record) == []


def test_publish_creates_version_1_then_2(
    client: FlaskClient, researcher, make_questionnaire, db_session: Session
) -> None:
    document = sample()
    document["pages"][0]["questions"][0]["variants"]["sms"]["text"]["en"] = "x" * 170  # a warning only
    record = make_questionnaire(document)
    page = html(client.get(f"/questionnaires/{record.id}/publish"))
    assert "over one SMS segment" in page
    assert "Publish version 1" in page
    response = publish(client, record, 1)
    assert response.headers["Location"].endswith(f"/questionnaires/{record.id}/versions/1")
    assert "Version 1 has been published." in html(client.get(response.headers["Location"]))
    client.post(
        f"/questionnaires/{record.id}/definition",
        data={"text": dump_text(sample(title="Second")), "format": "yaml", "draft_revision": 1},
    )
    assert "Publish version 2" in html(client.get(f"/questionnaires/{record.id}/publish"))
    assert publish(client, record, 2).status_code == 302
    first, second = versions(db_session, record)
    assert (first.number, second.number) == (1, 2)
    assert (first.document["version"], second.document["version"]) == (1, 2)
    assert first.document["title"]["en"] == "Trial survey"
    assert second.document["title"] == "Second"
    assert first.published_by_id == researcher.id
    history = html(client.get(f"/questionnaires/{record.id}"))
    assert history.index("Version 2") < history.index("Version 1")
    assert researcher.display_name in history
    listing = html(client.get("/questionnaires"))
    assert "Version 2" in listing


def test_versions_never_change(
    client: FlaskClient, researcher, make_questionnaire, db_session: Session
) -> None:
    record = make_questionnaire()
    publish(client, record, 1)
    before = versions(db_session, record)[0].document
    client.post(
        f"/questionnaires/{record.id}/definition",
        data={"text": dump_text(sample(title="Changed later")), "format": "yaml", "draft_revision": 1},
    )
    (after,) = versions(db_session, record)
    assert after.document == before
    assert after.document["title"]["en"] == "Trial survey"
    assert reload(db_session, record).draft["title"] == "Changed later"
    page = html(client.get(f"/questionnaires/{record.id}/versions/1"))
    assert "A published version is read-only" in page
    assert "readonly" in page
    assert "<form" not in page.split("<main")[1]
    assert client.post(f"/questionnaires/{record.id}/versions/1").status_code == 405
    assert client.get(f"/questionnaires/{record.id}/versions/9").status_code == 404


def test_stale_publish_shows_the_current_draft(
    client: FlaskClient, researcher, make_questionnaire, db_session: Session
) -> None:
    record = make_questionnaire()
    client.post(
        f"/questionnaires/{record.id}/definition",
        data={"text": dump_text(sample(title="Newer")), "format": "yaml", "draft_revision": 1},
    )
    page = html(publish(client, record, 1))
    assert "Someone saved this draft after you opened it" in page
    assert versions(db_session, record) == []
    assert 'name="draft_revision" type="hidden" value="2"' in page


def test_clone_as_a_variant(client: FlaskClient, researcher, make_questionnaire, db_session: Session) -> None:
    record = make_questionnaire()
    page = html(client.get(f"/questionnaires/{record.id}/clone"))
    assert 'value="Trial survey"' in page
    assert "trial_&lt;group&gt;" in page
    response = client.post(
        f"/questionnaires/{record.id}/clone",
        data={
            "stakeholder_group": "staff",
            "key": "",
            "title-en": "Staff trial",
            "title-zh-Hans": "员工试用调查",
        },
    )
    assert response.status_code == 302
    db_session.expire_all()
    clone = db_session.exec(select(QuestionnaireRecord).where(QuestionnaireRecord.key == "trial_staff")).one()
    assert (clone.stakeholder_group, clone.cloned_from_id, clone.title) == ("staff", record.id, "Staff trial")
    assert clone.draft["id"] == "trial_staff"
    assert clone.draft["stakeholder_group"] == "staff"
    assert clone.draft["title"] == {"en": "Staff trial", "zh-Hans": "员工试用调查"}
    assert clone.draft["pages"] == record.draft["pages"]
    again = html(
        client.post(
            f"/questionnaires/{record.id}/clone", data={"stakeholder_group": "staff", "title-en": "x"}
        )
    )
    assert "Another questionnaire already uses the id “trial_staff”." in again


def test_exports(client: FlaskClient, researcher, make_questionnaire) -> None:
    record = make_questionnaire()
    response = client.get(f"/questionnaires/{record.id}/export/yaml")
    assert response.content_type == "application/yaml; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="trial-draft.yaml"'
    assert yaml.safe_load(response.get_data(as_text=True)) == sample()
    response = client.get(f"/questionnaires/{record.id}/export/json")
    assert response.content_type == "application/json; charset=utf-8"
    assert json.loads(response.get_data(as_text=True)) == sample()
    publish(client, record, 1)
    response = client.get(f"/questionnaires/{record.id}/versions/1/export/xlsform")
    assert response.headers["Content-Disposition"] == 'attachment; filename="trial-v1.xlsx"'
    assert response.content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    assert {"survey", "choices", "settings"} <= set(workbook.sheetnames)
    version_yaml = client.get(f"/questionnaires/{record.id}/versions/1/export/yaml")
    assert yaml.safe_load(version_yaml.get_data(as_text=True))["version"] == 1


@pytest.mark.parametrize("kind", ["yaml", "json"])
def test_a_draft_with_errors_still_downloads_as_text(
    client: FlaskClient, researcher, make_questionnaire, kind: str
) -> None:
    record = make_questionnaire(sample(pages="broken"))
    assert client.get(f"/questionnaires/{record.id}/export/{kind}").status_code == 200
    response = client.get(f"/questionnaires/{record.id}/export/xlsform")
    assert response.status_code == 302
    assert "cannot be written as an XLSForm until its errors are fixed" in html(
        client.get(response.headers["Location"])
    )


def test_an_unchanged_draft_is_not_published_again(
    client: FlaskClient, researcher, make_questionnaire, db_session: Session
) -> None:
    record = make_questionnaire()
    assert "Not published yet" in html(client.get(f"/questionnaires/{record.id}"))
    publish(client, record, 1)
    overview = html(client.get(f"/questionnaires/{record.id}"))
    assert "the draft is the same as this version" in overview
    page = html(client.get(f"/questionnaires/{record.id}/publish"))
    assert "The draft has not changed since version 1: there is nothing to publish." in page
    assert "Publish version 2" not in page
    refused = html(publish(client, record, 1))
    assert "The draft has not changed since version 1: there is nothing to publish." in refused
    assert len(versions(db_session, record)) == 1
    # Editing after publishing changes the draft only: the overview says so, version 2 can follow.
    client.post(
        f"/questionnaires/{record.id}/definition",
        data={"text": dump_text(sample(title="Edited")), "format": "yaml", "draft_revision": 1},
    )
    assert "the draft has changes not published yet" in html(client.get(f"/questionnaires/{record.id}"))
    assert publish(client, record, 2).status_code == 302
    assert [v.number for v in versions(db_session, record)] == [1, 2]
