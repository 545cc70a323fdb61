"""The form-based builder: settings, pages, questions, moves and deletes, problems at their fields."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlmodel import Session

from tests.survey_app.designs.helpers import field_block, form_data, html, reload, sample, tr


def question_url(record, page: int = 0, question: int | None = 0) -> str:
    base = f"/questionnaires/{record.id}/pages/{page}/questions"
    return f"{base}/{question}" if question is not None else f"{base}/new"


def test_overview_lists_pages_questions_and_history(
    client: FlaskClient, researcher, make_questionnaire
) -> None:
    record = make_questionnaire()
    page = html(client.get(f"/questionnaires/{record.id}"))
    for text in (
        "Page 1",
        "Overall",
        "How satisfied are you, {first_name}?",
        "Rating scale",
        "Page 2",
        "Not published yet",
    ):
        assert text in page
    assert (
        page.index("<code>sat</code>") < page.index("<code>why</code>") < page.index("<code>channels</code>")
    )


def test_edit_question_keeps_what_the_form_does_not_cover(
    client: FlaskClient, researcher, make_questionnaire, db_session: Session
) -> None:
    document = sample()
    document["pages"][0]["questions"][0]["tags"] = ["overall_satisfaction"]
    record = make_questionnaire(document)
    url = question_url(record)
    page = html(client.get(url))
    assert 'value="How satisfied are you, {first_name}?"' not in page  # a textarea, not an input
    assert "{first_name}，您满意吗？" in page
    data = form_data(
        page,
        url,
        {
            "text-en": "Overall, how satisfied are you?",
            "required": None,
            "help-en": "Think of the last month",
            "help-zh-Hans": "请想想上个月",
        },
    )
    response = client.post(url, data=data)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(url)
    question = reload(db_session, record).draft["pages"][0]["questions"][0]
    assert question["text"] == tr("Overall, how satisfied are you?", "{first_name}，您满意吗？")
    assert question["help"] == tr("Think of the last month", "请想想上个月")
    assert "required" not in question
    assert question["tags"] == ["overall_satisfaction"]
    assert question["scale"]["low_label"] == tr("Not at all", "很不满意")
    assert question["variants"]["agent"] == {
        "instructions": tr("Read the ends only", "只读两端"),
        "read_options": False,
    }
    assert question["variants"]["sms"] == {"text": tr("Satisfied? Reply 1-5", "满意吗？回复1-5")}
    assert reload(db_session, record).draft_revision == 2


def test_options_rows_add_and_remove(
    client: FlaskClient, researcher, make_questionnaire, db_session: Session
) -> None:
    record = make_questionnaire()
    url = question_url(record, 1, 0)
    page = html(client.get(url))
    assert 'name="options-2-code"' in page
    assert 'name="options-3-code"' in page
    data = form_data(
        page,
        url,
        {
            "options-0-code": "",
            "options-0-label-en": "",
            "options-0-label-zh-Hans": "",
            "options-2-code": "phone",
            "options-2-label-en": "Phone",
            "options-2-label-zh-Hans": "电话",
            "options-2-exclusive": "y",
            "other": "y",
            "other_label-en": "Other",
            "other_label-zh-Hans": "其他",
        },
    )
    assert client.post(url, data=data).status_code == 302
    question = reload(db_session, record).draft["pages"][1]["questions"][0]
    assert question["options"] == [
        {"code": "shop", "label": tr("Shop", "门店")},
        {"code": "phone", "label": tr("Phone", "电话"), "exclusive": True},
    ]
    assert question["other"] == {"label": tr("Other", "其他")}
    assert question["special"] == ["dont_know"]


def test_problems_show_at_their_field_and_in_the_overview(
    client: FlaskClient, researcher, make_questionnaire, db_session: Session
) -> None:
    record = make_questionnaire()
    url = question_url(record, 0, 1)
    data = form_data(html(client.get(url)), url, {"show_if": "age > 30", "text-zh-Hans": ""})
    assert client.post(url, data=data).status_code == 302  # saved although it has errors
    assert reload(db_session, record).draft["pages"][0]["questions"][1]["show_if"] == "age > 30"
    page = html(client.get(url))
    show_if = field_block(page, "f-show_if")
    assert "refers to question &#39;age&#39;, which comes later" in show_if
    text = field_block(page, "f-text")
    assert "missing translation for declared language &#39;zh-Hans&#39;" in text
    assert "comes later" not in text
    overview = html(client.get(f"/questionnaires/{record.id}"))
    assert "2 errors" in overview
    item = overview[overview.index('id="question-0-1"') : overview.index('id="page-1"')]
    assert "<code>show_if</code>: refers to question" in item


def test_option_row_problems_name_the_row(client: FlaskClient, researcher, make_questionnaire) -> None:
    document = sample()
    document["pages"][1]["questions"][0]["options"][1]["code"] = "web"
    record = make_questionnaire(document)
    page = html(client.get(question_url(record, 1, 0)))
    assert "Row 2:" in field_block(page, "f-options")
    assert "duplicate option code" in field_block(page, "f-options")


def test_add_question_and_page(
    client: FlaskClient, researcher, make_questionnaire, db_session: Session
) -> None:
    record = make_questionnaire()
    url = question_url(record, 1, None)
    page = html(client.get(url))
    assert 'value="q5"' in page  # a free id is suggested
    data = form_data(
        page, url, {"id": "nps", "type": "nps", "text-en": "Recommend us?", "text-zh-Hans": "推荐我们吗？"}
    )
    response = client.post(url, data=data)
    assert response.headers["Location"].endswith(question_url(record, 1, 2))
    assert reload(db_session, record).draft["pages"][1]["questions"][2] == {
        "id": "nps",
        "type": "nps",
        "text": tr("Recommend us?", "推荐我们吗？"),
    }
    page_url = f"/questionnaires/{record.id}/pages/new"
    data = form_data(
        html(client.get(page_url)), page_url, {"id": "end", "title-en": "The end", "title-zh-Hans": "结束"}
    )
    assert (
        client.post(page_url, data=data).headers["Location"].endswith(f"/questionnaires/{record.id}/pages/2")
    )
    pages = reload(db_session, record).draft["pages"]
    assert pages[2] == {"id": "end", "title": tr("The end", "结束"), "questions": []}
    assert "this page has no questions" in html(client.get(f"/questionnaires/{record.id}/pages/2"))


def test_edit_page(client: FlaskClient, researcher, make_questionnaire, db_session: Session) -> None:
    record = make_questionnaire()
    url = f"/questionnaires/{record.id}/pages/1"
    data = form_data(html(client.get(url)), url, {"show_if": "1 = 2"})
    client.post(url, data=data)
    assert reload(db_session, record).draft["pages"][1]["show_if"] == "1 = 2"
    assert [q["id"] for q in reload(db_session, record).draft["pages"][1]["questions"]] == ["channels", "age"]
    assert "never true" in field_block(html(client.get(url)), "f-show_if")


def structure(client: FlaskClient, record, revision: int, **fields) -> str:
    response = client.post(
        f"/questionnaires/{record.id}/structure", data={"draft_revision": revision, **fields}
    )
    assert response.status_code == 302
    return html(client.get(response.headers["Location"]))


def ids(db_session: Session, record) -> list[list[str]]:
    return [[q["id"] for q in p["questions"]] for p in reload(db_session, record).draft["pages"]]


def test_move_and_delete(client: FlaskClient, researcher, make_questionnaire, db_session: Session) -> None:
    record = make_questionnaire()
    structure(client, record, 1, action="down", page=0, question=0)
    assert ids(db_session, record) == [["why", "sat"], ["channels", "age"]]
    structure(client, record, 2, action="down", page=0, question=1)  # past the end: next page
    assert ids(db_session, record) == [["why"], ["sat", "channels", "age"]]
    structure(client, record, 3, action="up", page=1)  # a whole page
    assert ids(db_session, record) == [["sat", "channels", "age"], ["why"]]
    page = structure(client, record, 4, action="delete", page=0, question=2, expected_id="age")
    assert "Tick “confirm” next to Delete to delete." in page
    assert ids(db_session, record) == [["sat", "channels", "age"], ["why"]]
    structure(client, record, 4, action="delete", page=0, question=2, expected_id="age", confirm="y")
    assert ids(db_session, record) == [["sat", "channels"], ["why"]]
    stale = structure(client, record, 4, action="delete", page=1, expected_id="p1", confirm="y")
    assert "The draft changed since this page was loaded" in stale
    gone = structure(client, record, 5, action="delete", page=0, question=0, expected_id="age", confirm="y")
    assert "no longer in the draft" in gone
    assert ids(db_session, record) == [["sat", "channels"], ["why"]]


def test_stale_revision_keeps_the_researchers_text(
    client: FlaskClient, researcher, make_questionnaire, db_session: Session
) -> None:
    record = make_questionnaire()
    url = question_url(record)
    mine = form_data(html(client.get(url)), url, {"text-en": "My careful rewording"})
    theirs = form_data(html(client.get(url)), url, {"text-en": "Their rewording"})
    assert client.post(url, data=theirs).status_code == 302
    response = client.post(url, data=mine)
    page = html(response)
    assert response.status_code == 200
    assert "Someone saved this draft after you opened it (it is now at revision 2)" in page
    assert "My careful rewording" in page  # nothing lost
    assert reload(db_session, record).draft["pages"][0]["questions"][0]["text"]["en"] == "Their rewording"
    again = form_data(page, url)  # sent again deliberately: now on top of revision 2
    assert client.post(url, data=again).status_code == 302
    assert (
        reload(db_session, record).draft["pages"][0]["questions"][0]["text"]["en"] == "My careful rewording"
    )


def test_settings_change_the_id_only_to_a_free_one(
    client: FlaskClient, researcher, make_questionnaire, db_session: Session
) -> None:
    record = make_questionnaire()
    make_questionnaire(key="taken")
    url = f"/questionnaires/{record.id}/settings"
    page = html(client.post(url, data=form_data(html(client.get(url)), url, {"id": "taken"})))
    assert "Another questionnaire already uses the id “taken”." in field_block(page, "f-id")
    assert reload(db_session, record).key == "trial"
    data = form_data(
        html(client.get(url)),
        url,
        {"id": "trial_2027", "stakeholder_group": "supplier", "title-en": "Trial 2027"},
    )
    assert client.post(url, data=data).status_code == 302
    saved = reload(db_session, record)
    assert (saved.key, saved.stakeholder_group, saved.title) == ("trial_2027", "supplier", "Trial 2027")
    assert saved.draft["id"] == "trial_2027"


def test_settings_problems_at_their_fields(client: FlaskClient, researcher, make_questionnaire) -> None:
    record = make_questionnaire(sample(languages=["en", "zh-Hans", "zh-Hant"]))
    page = html(client.get(f"/questionnaires/{record.id}/settings"))
    assert "missing translation for declared language &#39;zh-Hant&#39;" in field_block(page, "f-title")
    assert 'name="title-zh-Hant"' in page


def test_library_templates_are_read_only(client: FlaskClient, researcher, make_questionnaire) -> None:
    template = make_questionnaire(template=True)
    assert client.get(f"/questionnaires/{template.id}/settings").status_code == 403
    assert client.get(question_url(template)).status_code == 403
    assert client.post(f"/questionnaires/{template.id}/definition", data={}).status_code == 403
    page = html(client.get(f"/questionnaires/{template.id}"))
    assert "This is a library template: it is read-only." in page
    assert "Edit page" not in page


def test_missing_pages_and_questions_are_404(client: FlaskClient, researcher, make_questionnaire) -> None:
    record = make_questionnaire()
    assert client.get(f"/questionnaires/{record.id}/pages/7").status_code == 404
    assert client.get(question_url(record, 0, 9)).status_code == 404
    assert client.get(question_url(record, 5, None)).status_code == 404
    assert client.get("/questionnaires/999999").status_code == 404


def test_a_broken_structure_is_shown_not_crashed(client: FlaskClient, researcher, make_questionnaire) -> None:
    record = make_questionnaire(sample(pages={"not": "a list"}))
    page = html(client.get(f"/questionnaires/{record.id}"))
    assert "cannot be shown here" in page
    assert "Input should be a valid tuple" in page or "pages" in page
