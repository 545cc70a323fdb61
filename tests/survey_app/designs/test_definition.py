"""The definition editor: YAML and JSON text, problems with their paths and lines, safe saving."""

from __future__ import annotations

import json

import yaml
from flask.testing import FlaskClient
from sqlmodel import Session

from survey_app.designs.formats import dump_text
from tests.survey_app.designs.helpers import form_data, html, reload, sample


def editor(client: FlaskClient, record, fmt: str = "yaml") -> str:
    return html(client.get(f"/questionnaires/{record.id}/definition?format={fmt}"))


def save(client: FlaskClient, record, text: str, revision: int, fmt: str = "yaml"):
    return client.post(
        f"/questionnaires/{record.id}/definition",
        data={"text": text, "format": fmt, "draft_revision": revision},
    )


def test_editor_shows_the_draft_as_yaml_and_json(client: FlaskClient, researcher, make_questionnaire) -> None:
    record = make_questionnaire()
    page = editor(client, record)
    assert "id: trial" in page
    assert "zh-Hans: 试用调查" in page
    assert "&#34;id&#34;: &#34;trial&#34;" in editor(client, record, "json")


def test_save_yaml_with_errors_keeps_the_draft_and_shows_lines(
    client: FlaskClient, researcher, make_questionnaire, db_session: Session
) -> None:
    record = make_questionnaire()
    document = sample()
    document["pages"][0]["questions"][1]["show_if"] = "age > 30"
    text = dump_text(document)
    response = save(client, record, text, 1)
    assert response.status_code == 302
    assert reload(db_session, record).draft["pages"][0]["questions"][1]["show_if"] == "age > 30"
    page = html(client.get(response.headers["Location"]))
    line = next(
        n for n, content in enumerate(dump_text(document).splitlines(), 1) if "show_if: age > 30" in content
    )
    assert (
        f"<strong>Line {line}</strong> <code>pages[0].questions[1].show_if</code>: refers to question" in page
    )
    assert f"{line} |     show_if: age &gt; 30" in page
    assert f"/questionnaires/{record.id}/pages/0/questions/1#f-show_if" in page  # to the builder field


def test_json_lines(client: FlaskClient, researcher, make_questionnaire, db_session: Session) -> None:
    record = make_questionnaire()
    document = sample()
    document["pages"][1]["questions"][0]["options"][1]["code"] = "web"
    response = save(client, record, json.dumps(document, ensure_ascii=False, indent=2), 1, "json")
    assert response.headers["Location"].endswith("format=json")
    page = html(client.get(response.headers["Location"]))
    expected = dump_text(document, "json").splitlines()
    line = [n for n, content in enumerate(expected, 1) if '"code": "web"' in content][1]
    path = "pages[1].questions[0].options[1].code"
    assert f"<strong>Line {line}</strong> <code>{path}</code>: duplicate option code" in page


def test_invalid_yaml_is_not_saved_and_says_where(
    client: FlaskClient, researcher, make_questionnaire, db_session: Session
) -> None:
    record = make_questionnaire()
    text = "id: trial\ntitle: {en: Trial\npages: []\n"
    response = save(client, record, text, 1)
    page = html(response)
    assert response.status_code == 200
    assert "invalid YAML at line 3 column 6" in page
    assert "title: {en: Trial" in page  # the text stays in the editor
    assert reload(db_session, record).draft_revision == 1
    not_a_mapping = html(save(client, record, "- a\n- b\n", 1))
    assert "must be a mapping" in not_a_mapping
    bad_json = html(save(client, record, '{"id": 1,,}', 1, "json"))
    assert "invalid JSON at line 1" in bad_json


def test_stale_revision_shows_their_text_back(
    client: FlaskClient, researcher, make_questionnaire, db_session: Session
) -> None:
    record = make_questionnaire()
    url = f"/questionnaires/{record.id}/definition"
    mine = form_data(editor(client, record), url, {"text": dump_text(sample(title="Mine"))})
    assert save(client, record, dump_text(sample(title="Theirs")), 1).status_code == 302
    response = client.post(url, data=mine)
    page = html(response)
    assert "Someone saved this draft after you opened it (it is now at revision 2)" in page
    assert "title: Mine" in page
    assert reload(db_session, record).draft["title"] == "Theirs"
    assert client.post(url, data=form_data(page, url)).status_code == 302  # deliberately saved over it
    assert reload(db_session, record).draft["title"] == "Mine"


def test_changing_the_id_in_yaml(
    client: FlaskClient, researcher, make_questionnaire, db_session: Session
) -> None:
    record = make_questionnaire()
    make_questionnaire(key="taken")
    page = html(save(client, record, dump_text(sample(id="taken")), 1))
    assert "Another questionnaire already uses the id “taken”." in page
    assert "id: taken" in page
    assert reload(db_session, record).key == "trial"
    assert save(client, record, dump_text(sample(id="renamed")), 1).status_code == 302
    assert reload(db_session, record).key == "renamed"


def test_includes_of_library_blocks_are_expanded(
    client: FlaskClient, researcher, make_questionnaire, db_session: Session
) -> None:
    record = make_questionnaire()
    document = yaml.safe_load(dump_text(sample()))
    document["pages"].append({"id": "core", "questions": [{"include": "core_followup"}]})
    assert save(client, record, yaml.safe_dump(document), 1).status_code == 302
    questions = reload(db_session, record).draft["pages"][2]["questions"]
    assert questions
    assert all("include" not in q for q in questions)


def test_analysts_read_the_definition_but_cannot_save(client: FlaskClient, login, make_questionnaire) -> None:
    from survey_app.auth.models import Role

    record = make_questionnaire()
    login(Role.analyst)
    page = editor(client, record)
    assert "readonly" in page
    assert "Save the draft" not in page
    assert save(client, record, "id: x", 1).status_code == 403
