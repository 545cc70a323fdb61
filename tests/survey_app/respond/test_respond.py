"""The web respondent channel: links, pages, validation, back, resume, completion, error pages."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlmodel import select

from survey_app.db import utcnow
from survey_app.designs.models import QuestionnaireRecord, QuestionnaireVersion
from survey_app.surveys.models import Case, Interview, Survey
from survey_app.surveys.tokens import new_token, token_hash
from tests.conftest import csrf_token_from


def tr(en: str, zh: str) -> dict[str, str]:
    return {"en": en, "zh-Hans": zh}


DOCUMENT: dict[str, Any] = {
    "id": "web_test",
    "title": tr("Web test", "网页测试"),
    "languages": ["en", "zh-Hans"],
    "contact_fields": ["first_name"],
    "thank_you": tr("Thanks, {first_name}!", "谢谢，{first_name}！"),
    "pages": [
        {
            "id": "p1",
            "questions": [
                {
                    "id": "sat",
                    "type": "rating",
                    "required": True,
                    "text": tr("Satisfied, {first_name}?", "满意吗，{first_name}？"),
                    "scale": {
                        "points": 5,
                        "low_label": tr("Not at all", "很不满意"),
                        "high_label": tr("Very", "非常满意"),
                    },
                },
            ],
        },
        {
            "id": "p2",
            "questions": [
                {
                    "id": "why",
                    "type": "long_text",
                    "show_if": "sat <= 2",
                    "required": True,
                    "max_length": 200,
                    "text": tr("What went wrong?", "哪里出了问题？"),
                },
                {"id": "age", "type": "numeric", "min": 18, "max": 99, "text": tr("Your age?", "您的年龄？")},
            ],
        },
        {
            "id": "p3",
            "questions": [
                {
                    "id": "channels",
                    "type": "multiple_choice",
                    "text": tr("Which channels?", "哪些渠道？"),
                    "options": [
                        {"code": "web", "label": tr("Web", "网站")},
                        {"code": "phone", "label": tr("Phone", "电话")},
                        {"code": "shop", "label": tr("Shop", "门店")},
                    ],
                },
            ],
        },
    ],
}


def make_survey(db_session, *, document=DOCUMENT, opens_at=None, closes_at=None) -> Survey:
    record = QuestionnaireRecord(
        key=f"{document['id']}_{new_token()[:6]}",
        title="Web test",
        stakeholder_group="end_customer",
        draft=document,
    )
    db_session.add(record)
    db_session.flush()
    version = QuestionnaireVersion(questionnaire_id=record.id, number=1, document=document)
    db_session.add(version)
    db_session.flush()
    survey = Survey(
        name="Web survey",
        version_id=version.id,
        stakeholder_group="end_customer",
        languages=list(document["languages"]),
        default_language="en",
        opens_at=opens_at,
        closes_at=closes_at,
    )
    db_session.add(survey)
    db_session.commit()
    return survey


def make_link(db_session, survey: Survey, *, language: str | None = None, first_name: str = "Ann") -> str:
    token = new_token()
    db_session.add(
        Case(
            survey_id=survey.id,
            token_hash=token_hash(token),
            language=language,
            context={"first_name": first_name},
        )
    )
    db_session.commit()
    return token


def step_key(html: str) -> str:
    match = re.search(r'name="_step"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="_step"', html)
    assert match, "page has no step key"
    return match.group(1) or match.group(2)


def post(client, url: str, data: dict[str, Any], *, back: bool = False):
    page = client.get(url).get_data(as_text=True)
    payload = {"_step": step_key(page), "_action": "back" if back else "next", **data}
    return client.post(url, data=payload)


def interview_of(db_session, token: str) -> Interview:
    db_session.expire_all()
    case = db_session.exec(select(Case).where(Case.token_hash == token_hash(token))).one()
    return db_session.exec(select(Interview).where(Interview.case_id == case.id)).one()


def test_personal_link_walk_with_skip_error_back_and_completion(client, db_session):
    survey = make_survey(db_session)
    token = make_link(db_session, survey)
    url = f"/s/{token}"
    first = client.get(url)
    assert first.status_code == 200
    html = first.get_data(as_text=True)
    assert "Satisfied, Ann?" in html
    assert '<progress max="100" value="0">' in html
    assert "<fieldset" in html
    assert "<legend>" in html

    missing = post(client, url, {})
    assert "Please answer this question." in missing.get_data(as_text=True)
    assert 'href="#q-sat"' in missing.get_data(as_text=True)

    page2 = post(client, url, {"sat": "5"}).get_data(as_text=True)
    assert "What went wrong?" not in page2  # skipped: satisfied respondents
    assert "Your age?" in page2

    bad_age = post(client, url, {"age": "12"}).get_data(as_text=True)
    assert "Please enter 18 or more." in bad_age

    back = post(client, url, {}, back=True).get_data(as_text=True)
    assert "Satisfied, Ann?" in back
    assert re.search(r'<input[^>]*\bchecked\b[^>]*value="5"', back)

    page2 = post(client, url, {"sat": "1"}).get_data(as_text=True)
    assert "What went wrong?" in page2
    post(client, url, {"why": "Slow delivery", "age": "40"})
    done = post(client, url, {"channels": ["web", "shop"]})
    assert "Thanks, Ann!" in done.get_data(as_text=True)

    interview = interview_of(db_session, token)
    assert interview.status == "complete"
    assert interview.completed_at is not None
    assert interview.answers == {"sat": 1, "why": "Slow delivery", "age": 40, "channels": ["web", "shop"]}
    kinds = [event[1] for event in interview.state["events"]]
    assert "back" in kinds
    assert "invalid" in kinds
    assert "changed" in kinds

    again = client.get(url).get_data(as_text=True)
    assert "already completed" in again


def test_each_page_is_stored_at_once_and_the_link_resumes(client, db_session, app):
    survey = make_survey(db_session)
    token = make_link(db_session, survey)
    post(client, f"/s/{token}", {"sat": "4"})
    assert interview_of(db_session, token).answers == {"sat": 4}
    # A new browser (no cookies) reopens the link: the interview resumes on page 2.
    other_browser = app.test_client()
    assert "Your age?" in other_browser.get(f"/s/{token}").get_data(as_text=True)


def test_a_double_submitted_page_is_stored_once(client, db_session):
    survey = make_survey(db_session)
    token = make_link(db_session, survey)
    url = f"/s/{token}"
    key = step_key(client.get(url).get_data(as_text=True))
    client.post(url, data={"_step": key, "sat": "4"})
    resent = client.post(url, data={"_step": key, "sat": "2"})
    assert resent.status_code == 200
    interview = interview_of(db_session, token)
    assert interview.answers == {"sat": 4}
    assert sum(1 for e in interview.state["events"] if e[1] in ("answered", "changed") and e[2] == "sat") == 1


@pytest.mark.parametrize(
    ("headers", "query", "expected"),
    [
        ({"Accept-Language": "zh-CN,zh;q=0.9"}, "", "满意吗，Ann？"),
        ({"Accept-Language": "en-GB"}, "", "Satisfied, Ann?"),
        ({"Accept-Language": "en-GB"}, "?lang=zh-Hans", "满意吗，Ann？"),
        ({"Accept-Language": "fr"}, "", "Satisfied, Ann?"),
    ],
)
def test_language_from_link_then_browser_then_default(client, db_session, headers, query, expected):
    token = make_link(db_session, make_survey(db_session))
    assert expected in client.get(f"/s/{token}{query}", headers=headers).get_data(as_text=True)


def test_case_language_wins_over_the_browser_and_the_switch_is_stored(client, db_session):
    survey = make_survey(db_session)
    token = make_link(db_session, survey, language="zh-Hans")
    assert "满意吗" in client.get(f"/s/{token}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Satisfied" in client.get(f"/s/{token}?lang=en").get_data(as_text=True)
    assert interview_of(db_session, token).language == "en"
    error = post(client, f"/s/{token}", {"sat": "9"}).get_data(as_text=True)
    assert "Please choose a value from 1 to 5." in error


def test_errors_in_chinese_for_chinese_respondents(client, db_session):
    token = make_link(db_session, make_survey(db_session), language="zh-Hans")
    html = post(client, f"/s/{token}", {}).get_data(as_text=True)
    assert "请回答此题。" in html
    assert "请检查您的答案" in html or "Please check your answers" not in html


@pytest.mark.parametrize(
    ("opens", "closes", "text"),
    [
        (dt.timedelta(days=1), None, "not open yet"),
        (None, dt.timedelta(days=-1), "has closed"),
    ],
)
def test_not_yet_open_and_closed_links_get_their_own_page(client, db_session, opens, closes, text):
    now = utcnow()
    survey = make_survey(
        db_session, opens_at=now + opens if opens else None, closes_at=now + closes if closes else None
    )
    token = make_link(db_session, survey)
    response = client.get(f"/s/{token}")
    assert response.status_code == 200
    assert text in response.get_data(as_text=True)
    assert db_session.exec(select(Interview)).all() == []


@pytest.mark.parametrize("token", ["nope", "x" * 32, "%2e%2e"])
def test_unknown_and_tampered_tokens_are_404(client, db_session, token):
    real = make_link(db_session, make_survey(db_session))
    assert client.get(f"/s/{token}").status_code == 404
    assert client.get(f"/s/{real[:-1]}{'A' if real[-1] != 'A' else 'B'}").status_code == 404
    assert client.get(f"/r/{token}").status_code == 404
    assert client.get(f"/o/{token}").status_code == 404


def test_open_link_creates_one_interview_per_browser_and_resumes_by_cookie(client, db_session, app):
    survey = make_survey(db_session)
    open_token = new_token()
    survey.open_link_hash = token_hash(open_token)
    db_session.add(survey)
    db_session.commit()
    first = client.get(f"/o/{open_token}")
    assert first.status_code == 302
    resume_url = first.headers["Location"]
    assert "/r/" in resume_url
    post(client, resume_url, {"sat": "3"})
    again = client.get(f"/o/{open_token}")
    assert again.headers["Location"] == resume_url
    app.test_client().get(f"/o/{open_token}")
    interviews = db_session.exec(select(Interview).where(Interview.survey_id == survey.id)).all()
    assert sorted(i.source for i in interviews) == ["open", "open"]
    assert all(i.case_id is None for i in interviews)


def test_xss_in_question_text_and_answers_is_escaped(client, db_session):
    document = {
        **DOCUMENT,
        "pages": [
            {
                "id": "p1",
                "questions": [
                    {
                        "id": "sat",
                        "type": "text",
                        "text": tr("<script>alert(1)</script> {first_name}", "<script>x</script>"),
                    },
                ],
            },
            {
                "id": "p2",
                "questions": [
                    {"id": "echo", "type": "info", "text": tr("You said {answer:sat}", "您说{answer:sat}")}
                ],
            },
        ],
    }
    token = make_link(db_session, make_survey(db_session, document=document), first_name="<b>Ann</b>")
    html = client.get(f"/s/{token}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;Ann&lt;/b&gt;" in html
    echoed = post(client, f"/s/{token}", {"sat": "<img src=x onerror=alert(1)>"}).get_data(as_text=True)
    assert "<img src=x" not in echoed
    assert "&lt;img src=x onerror=alert(1)&gt;" in echoed


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_a_post_without_csrf_token_is_refused_and_stores_nothing(client, db_session):
    token = make_link(db_session, make_survey(db_session))
    key = step_key(client.get(f"/s/{token}").get_data(as_text=True))
    response = client.post(f"/s/{token}", data={"_step": key, "sat": "4"})
    assert response.status_code == 400
    assert interview_of(db_session, token).answers == {}


def test_page_is_accessible_html_without_javascript(client, db_session):
    token = make_link(db_session, make_survey(db_session))
    html = client.get(f"/s/{token}").get_data(as_text=True)
    assert "<script" not in html
    assert 'lang="en"' in html
    assert 'class="skip-link"' in html
    assert re.search(r'<input[^>]+name="sat"[^>]+type="radio"', html)


def test_each_response_carries_the_next_pages_step_key(client, db_session):
    """A browser posts the page it was given: the key must come from the POST's own response."""
    token = make_link(db_session, make_survey(db_session))
    url = f"/s/{token}"
    page = client.get(url).get_data(as_text=True)
    page = client.post(url, data={"_step": step_key(page), "sat": "5"}).get_data(as_text=True)
    assert "Your age?" in page
    page = client.post(url, data={"_step": step_key(page), "age": "30"}).get_data(as_text=True)
    assert "Which channels?" in page
    page = client.post(url, data={"_step": step_key(page), "channels": "web"}).get_data(as_text=True)
    assert "Thanks, Ann!" in page


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_later_respondent_pages_leave_the_session_cookie_alone(client, db_session):
    # The first page stores the CSRF token in the session; after that a respondent's requests
    # neither rewrite the session cookie nor clear a remember cookie (Flask-Login's user loader
    # runs only where a template shows the signed-in user).
    survey = make_survey(db_session)
    token = make_link(db_session, survey)
    url = f"/s/{token}"
    first = client.get(url)
    assert any(c.startswith("survey_session=") for c in first.headers.getlist("Set-Cookie"))
    csrf = csrf_token_from(first.get_data(as_text=True))
    later = [client.get(url), post(client, url, {"sat": "4", "csrf_token": csrf}), client.get(url)]
    assert [response.status_code for response in later] == [200, 200, 200]
    assert [response.headers.getlist("Set-Cookie") for response in later] == [[], [], []]


def test_staff_pages_still_show_the_signed_in_user(client, login):
    user = login()
    page = client.get("/").get_data(as_text=True)
    assert f'<span class="user-name">{user.display_name}' in page
