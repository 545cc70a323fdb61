"""Escaping of researchers' text everywhere it shows, CSRF on every form, and who may do what."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session, func, select

from survey_app.auth.models import Role
from survey_app.designs.models import QuestionnaireRecord, QuestionnaireVersion
from tests.conftest import csrf_token_from
from tests.survey_app.designs.helpers import html, sample

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def hostile():
    document = sample(title={"en": SCRIPT, "zh-Hans": SCRIPT})
    document["pages"][0]["questions"][0]["text"] = {"en": SCRIPT, "zh-Hans": SCRIPT}
    document["pages"][0]["questions"][0]["variants"] = {}
    document["pages"][0]["title"] = {"en": SCRIPT, "zh-Hans": SCRIPT}
    return document


def test_question_text_is_escaped_everywhere(client: FlaskClient, researcher, make_questionnaire) -> None:
    record = make_questionnaire(hostile())
    client.post(f"/questionnaires/{record.id}/publish", data={"draft_revision": 1})
    base = f"/questionnaires/{record.id}"
    pages = [
        "/questionnaires",
        base,
        f"{base}/pages/0/questions/0",
        f"{base}/pages/0",
        f"{base}/settings",
        f"{base}/definition",
        f"{base}/definition?format=json",
        f"{base}/preview/sms",
        f"{base}/preview/ivr",
        f"{base}/preview/agent",
        f"{base}/versions/1",
        f"{base}/clone",
    ]
    pages += [f"{base}/preview?language={lang}" for lang in ("en", "zh-Hans")]
    for url in pages:
        page = html(client.get(url))
        assert SCRIPT not in page, url
        assert ESCAPED in page, url


def test_a_hostile_problem_path_is_escaped(client: FlaskClient, researcher, make_questionnaire) -> None:
    document = sample()
    document[SCRIPT] = "x"  # an unknown key: its name is in the problem's path
    record = make_questionnaire(document)
    for url in (f"/questionnaires/{record.id}", f"/questionnaires/{record.id}/definition"):
        page = html(client.get(url))
        assert SCRIPT not in page
        assert "&lt;script&gt;" in page


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_forms_without_a_csrf_token_are_refused(
    client: FlaskClient, login, make_questionnaire, db_session
) -> None:
    login(Role.researcher)
    record = make_questionnaire()
    posts = {
        "/questionnaires/new": {"key": "x", "title": "X", "stakeholder_group": "staff", "languages": "en"},
        f"/questionnaires/{record.id}/publish": {"draft_revision": "1"},
        f"/questionnaires/{record.id}/definition": {"text": "id: x", "format": "yaml", "draft_revision": "1"},
        f"/questionnaires/{record.id}/structure": {"action": "up", "page": "1", "draft_revision": "1"},
    }
    for url, data in posts.items():
        response = client.post(url, data=data)
        assert response.status_code == 400, url
        assert "security token" in html(response)
    db_session.expire_all()
    assert db_session.exec(select(func.count()).select_from(QuestionnaireVersion)).one() == 0
    new_page = html(client.get("/questionnaires/new"))
    data = {**posts["/questionnaires/new"], "csrf_token": csrf_token_from(new_page)}
    assert client.post("/questionnaires/new", data=data).status_code == 302


@pytest.mark.parametrize("role", [Role.analyst, Role.qa_auditor])
def test_analysts_and_auditors_view_and_preview_but_do_not_edit(
    client: FlaskClient, login, make_questionnaire, db_session: Session, role: Role
) -> None:
    record = make_questionnaire()
    login(role)
    base = f"/questionnaires/{record.id}"
    for url in ("/questionnaires", base, f"{base}/definition", f"{base}/preview/sms", f"{base}/export/yaml"):
        assert client.get(url).status_code == 200, url
    assert client.get(f"{base}/preview?language=zh-Hans").status_code == 200
    overview = html(client.get(base))
    assert "Edit page" not in overview
    assert f"{base}/publish" not in overview
    assert f"{base}/settings" not in overview
    for url in (
        "/questionnaires/new",
        f"{base}/settings",
        f"{base}/pages/0/questions/0",
        f"{base}/publish",
        f"{base}/clone",
    ):
        assert client.get(url).status_code == 403, url
    for url in (
        f"{base}/publish",
        f"{base}/definition",
        f"{base}/structure",
        "/questionnaires/new",
        f"{base}/pages/0",
    ):
        assert client.post(url, data={"draft_revision": 1}).status_code == 403, url
    db_session.expire_all()
    assert db_session.exec(select(func.count()).select_from(QuestionnaireVersion)).one() == 0
    assert db_session.get(QuestionnaireRecord, record.id).draft_revision == 1


@pytest.mark.parametrize("role", [Role.vendor_manager, Role.agent])
def test_vendors_have_no_access(client: FlaskClient, login, make_questionnaire, role: Role) -> None:
    record = make_questionnaire()
    login(role)
    for url in ("/questionnaires", f"/questionnaires/{record.id}", f"/questionnaires/{record.id}/preview"):
        assert client.get(url).status_code == 403, url
    assert "/questionnaires" not in html(client.get("/"))  # and no menu link


def test_admins_edit(client: FlaskClient, login, make_questionnaire) -> None:
    record = make_questionnaire()
    login(Role.admin)
    assert client.get(f"/questionnaires/{record.id}/settings").status_code == 200
    assert client.post(f"/questionnaires/{record.id}/publish", data={"draft_revision": 1}).status_code == 302


def test_hostile_text_sent_back_to_the_editors_is_escaped(
    client: FlaskClient, researcher, make_questionnaire
) -> None:
    record = make_questionnaire()
    base = f"/questionnaires/{record.id}"
    breakout = "</textarea>" + SCRIPT
    # Unreadable YAML comes back in the editor as typed (nothing saved), and the stale form too.
    broken = html(
        client.post(
            f"{base}/definition",
            data={"text": f"id: [{breakout}", "format": "yaml", "draft_revision": 1},
        )
    )
    stale = html(
        client.post(
            f"{base}/pages/0/questions/0",
            data={"id": "sat", "type": "rating", "text-en": breakout, "draft_revision": 99},
        )
    )
    for page in (broken, stale):
        assert SCRIPT not in page
        assert "&lt;/textarea&gt;&lt;script&gt;" in page
    option = sample()
    option["pages"][1]["questions"][0]["options"][0]["label"] = {"en": SCRIPT, "zh-Hans": SCRIPT}
    other = make_questionnaire(option, key="hostile_option")
    for url in (f"/questionnaires/{other.id}/pages/1/questions/0", f"/questionnaires/{other.id}/preview/ivr"):
        page = html(client.get(url))
        assert SCRIPT not in page, url
        assert ESCAPED in page, url
