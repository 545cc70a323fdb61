"""Survey pages: list, create, edit (version fixed under interviews), open link, personal and test links."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlmodel import select

from survey_app.auth.models import Role
from survey_app.db import utcnow
from survey_app.surveys.models import Case, InterviewSource, Survey
from survey_app.surveys.tokens import token_hash
from tests.survey_app.surveys.helpers import full_pages, make_interview, make_survey, make_version


def html(response) -> str:
    return response.get_data(as_text=True)


def form_data(version: int, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Customer survey 2026",
        "version_id": str(version),
        "stakeholder_group": "",
        "languages": ["en", "zh-Hans"],
        "default_language": "zh-Hans",
        "timezone": "Asia/Shanghai",
        "opens_at": "2026-03-01T09:00",
        "closes_at": "2026-03-31T18:00",
        "partial_threshold": "0.5",
    }
    data.update(changes)
    return data


def fresh(db_session, survey_id: int) -> Survey:
    db_session.expire_all()
    survey = db_session.get(Survey, survey_id)
    assert survey is not None
    return survey


def test_list_shows_phase_and_counts_without_test_interviews(client, login, db_session):
    login(Role.researcher)
    survey = make_survey(db_session, name="Open <b>survey</b>")
    make_survey(db_session, name="Later survey", opens_at=utcnow() + dt.timedelta(days=3), closes_at=None)
    make_survey(db_session, name="Past survey", opens_at=None, closes_at=utcnow() - dt.timedelta(days=1))
    make_interview(db_session, survey, full_pages())
    make_interview(db_session, survey, full_pages(), is_test=True)
    make_interview(db_session, survey, full_pages()[:1], complete=False)
    page = html(client.get("/surveys"))
    assert "Open &lt;b&gt;survey&lt;/b&gt;" in page
    assert "Not yet open" in page
    assert "Closed" in page
    assert ">Open<" in page
    row = page[page.index("Open &lt;b&gt;") :]
    row = row[: row.index("</tr>")]
    assert re.findall(r'<td class="num">(\d+)</td>', row) == ["2", "1"]


def test_empty_list_and_no_fieldable_questionnaire(client, login):
    login(Role.admin)
    assert "No surveys yet" in html(client.get("/surveys"))
    page = html(client.get("/surveys/new"))
    assert "Publish a questionnaire first" in page


def test_create_survey_converts_local_times_and_defaults_the_group(client, login, db_session):
    login(Role.researcher)
    version = make_version(db_session)
    page = html(client.get("/surveys/new"))
    assert "Results test (results_test_" in page
    assert "Version 1" in page
    response = client.post("/surveys/new", data=form_data(version.id))
    assert response.status_code == 302
    survey = db_session.exec(select(Survey)).one()
    assert response.headers["Location"].endswith(f"/surveys/{survey.id}")
    assert survey.stakeholder_group == "end_customer"
    assert survey.languages == ["en", "zh-Hans"]
    assert survey.default_language == "zh-Hans"
    # 09:00 in Shanghai (UTC+8) is 01:00 UTC.
    assert survey.opens_at == dt.datetime(2026, 3, 1, 1, 0, tzinfo=dt.UTC)
    assert survey.closes_at == dt.datetime(2026, 3, 31, 10, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"timezone": "Mars/Olympus"}, "timezone", "“Mars/Olympus” is not a time zone"),
        ({"opens_at": "next tuesday"}, "opens_at", "Enter a date and time such as 2026-03-01T09:00."),
        ({"closes_at": "2026-02-01T09:00"}, "closes_at", "The survey must close after it opens."),
        ({"languages": []}, "languages", "Choose at least one language."),
        (
            {"languages": ["en"], "default_language": "zh-Hans"},
            "default_language",
            "must be one of the survey",
        ),
        ({"stakeholder_group": "End Customers!"}, "stakeholder_group", "lower-case letters"),
        ({"partial_threshold": "2"}, "partial_threshold", "Number must be between"),
        ({"version_id": "999999"}, "version_id", "Not a valid choice"),
        # Europe/Berlin skips 02:00-03:00 on 2026-03-29.
        ({"timezone": "Europe/Berlin", "opens_at": "2026-03-29T02:30"}, "opens_at", "does not exist"),
    ],
)
def test_create_errors_are_shown_on_their_field_and_nothing_is_saved(
    client, login, db_session, changes, field, message
):
    login(Role.researcher)
    version = make_version(db_session)
    response = client.post("/surveys/new", data=form_data(version.id, **changes))
    assert response.status_code == 200
    page = html(response)
    assert f'id="{field}-error"' in page or (field == "languages" and 'id="languages-error"' in page)
    assert message in page
    assert db_session.exec(select(Survey)).all() == []


def test_edit_changes_settings_and_the_version_until_interviews_exist(client, login, db_session):
    login(Role.researcher)
    first = make_version(db_session)
    from survey_app.designs.models import QuestionnaireRecord

    record = db_session.get(QuestionnaireRecord, first.questionnaire_id)
    second = make_version(db_session, number=2, record=record)
    survey = make_survey(db_session, first)
    page = html(client.get(f"/surveys/{survey.id}/edit"))
    assert 'value="Customer survey 2026"' in page
    assert "Version 2" in page
    response = client.post(
        f"/surveys/{survey.id}/edit", data=form_data(second.id, name="Renamed", timezone="UTC", closes_at="")
    )
    assert response.status_code == 302
    survey = fresh(db_session, survey.id)
    assert survey.name == "Renamed"
    assert survey.version_id == second.id
    assert survey.closes_at is None

    make_interview(db_session, survey, full_pages())
    page = html(client.get(f"/surveys/{survey.id}/edit"))
    assert "The version is fixed" in page
    assert "Version 1" not in page
    response = client.post(f"/surveys/{survey.id}/edit", data=form_data(first.id, timezone="UTC"))
    assert response.status_code == 200
    assert "Not a valid choice" in html(response)
    assert fresh(db_session, survey.id).version_id == second.id


def test_update_operation_refuses_a_version_change_under_interviews(app, db_session):
    from survey_app.surveys import operations

    survey = make_survey(db_session)
    other = make_version(db_session)
    make_interview(db_session, survey, full_pages())
    with app.test_request_context():
        with pytest.raises(operations.SurveyError, match="cannot change: 1 interviews"):
            operations.update_survey(
                db_session, survey, version=other, name="x", stakeholder_group="staff", languages=["en"],
                default_language="en", opens_at=None, closes_at=None, partial_threshold=0.5,
            )  # fmt: skip


def test_survey_page_shows_phase_counts_and_test_links(client, login, db_session):
    login(Role.admin)
    survey = make_survey(db_session)
    make_interview(db_session, survey, full_pages())
    make_interview(db_session, survey, full_pages(), is_test=True)
    page = html(client.get(f"/surveys/{survey.id}"))
    assert "badge-ok" in page
    assert "Customer survey 2026" in page
    assert re.search(r'survey-count">1</span> started', page)
    assert re.search(r'survey-count">1</span> test links, 1 opened', page)
    assert "The open link is off." in page


def test_open_link_on_shows_it_once_replace_and_off(client, login, db_session):
    login(Role.researcher)
    survey = make_survey(db_session)
    page = html(client.post(f"/surveys/{survey.id}/open-link"))
    url = re.search(r"<code>(http://localhost/o/[^<]+)</code>", page).group(1)
    token = url.rsplit("/", 1)[1]
    assert fresh(db_session, survey.id).open_link_hash == token_hash(token)
    assert token not in html(client.get(f"/surveys/{survey.id}"))  # shown once only
    assert client.get(f"/o/{token}").status_code == 302  # the respondent side accepts it

    page = html(client.post(f"/surveys/{survey.id}/open-link"))
    new_token = re.search(r"/o/([^<]+)</code>", page).group(1)
    assert new_token != token
    assert client.get(f"/o/{token}").status_code == 404

    response = client.post(f"/surveys/{survey.id}/open-link/off")
    assert response.status_code == 302
    assert fresh(db_session, survey.id).open_link_hash is None
    assert client.get(f"/o/{new_token}").status_code == 404


@pytest.mark.app_config(SURVEY_PUBLIC_BASE_URL="https://survey.example.org")
def test_personal_and_test_links_are_shown_once_and_stored_hashed(client, login, db_session):
    login(Role.researcher)
    survey = make_survey(db_session)
    response = client.post(
        f"/surveys/{survey.id}/links",
        data={"count": "2", "language": "zh-Hans", "context": "first_name=李明\n\nproduct=光纤"},
    )
    page = html(response)
    tokens = re.findall(r"<code>https://survey\.example\.org/s/([^<]+)</code>", page)
    assert len(tokens) == 2
    assert "2 personal links" in page
    cases = db_session.exec(select(Case).where(Case.survey_id == survey.id)).all()
    assert sorted(c.token_hash for c in cases) == sorted(token_hash(t) for t in tokens)
    assert all(
        c.context == {"first_name": "李明", "product": "光纤"} and c.language == "zh-Hans" for c in cases
    )
    assert not any(c.is_test for c in cases)
    assert client.get(f"/s/{tokens[0]}").status_code == 200

    page = html(client.post(f"/surveys/{survey.id}/links", data={"count": "1", "language": "", "test": "y"}))
    assert "1 test links" in page
    db_session.expire_all()
    assert len(db_session.exec(select(Case).where(Case.is_test)).all()) == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"count": "0"}, "Number must be between 1 and 50."),
        ({"count": "51"}, "Number must be between 1 and 50."),
        ({"count": "many"}, "Not a valid integer value."),
        ({"count": "1", "language": "fr"}, "Not a valid choice"),
        ({"count": "1", "context": "first name=Li"}, "Line 1: write name=value"),
    ],
)
def test_bad_link_requests_say_why_and_issue_nothing(client, login, db_session, data, message):
    login(Role.researcher)
    survey = make_survey(db_session)
    response = client.post(f"/surveys/{survey.id}/links", data={"language": "", **data})
    assert response.status_code == 200
    assert message in html(response)
    assert db_session.exec(select(Case)).all() == []


def test_unknown_survey_is_404_everywhere(client, login):
    login(Role.researcher)
    for url in ("/surveys/999999", "/surveys/999999/edit"):
        assert client.get(url).status_code == 404
    for url in ("/surveys/999999/open-link", "/surveys/999999/open-link/off", "/surveys/999999/links"):
        assert client.post(url, data={"count": "1"}).status_code == 404


@pytest.mark.parametrize("role", [Role.analyst, Role.qa_auditor, Role.agent, Role.vendor_manager])
def test_other_roles_cannot_manage_surveys(client, login, db_session, role):
    login(role)
    survey = make_survey(db_session)
    assert client.get("/surveys").status_code == 403
    assert client.post(f"/surveys/{survey.id}/open-link").status_code == 403
    assert fresh(db_session, survey.id).open_link_hash is None


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_survey_forms_need_a_csrf_token(client, login, db_session):
    login(Role.researcher)
    survey = make_survey(db_session)
    assert client.post(f"/surveys/{survey.id}/open-link").status_code == 400
    assert fresh(db_session, survey.id).open_link_hash is None


def test_open_link_interviews_are_recorded_as_open_source(client, login, db_session):
    login(Role.researcher)
    survey = make_survey(db_session)
    interview = make_interview(db_session, survey, full_pages(), source=InterviewSource.open)
    assert interview.case_id is None
    assert interview.source == InterviewSource.open


def test_empty_dates_open_at_once_and_never_close(client, login, db_session):
    login(Role.researcher)
    version = make_version(db_session)
    response = client.post("/surveys/new", data=form_data(version.id, opens_at="", closes_at=""))
    assert response.status_code == 302
    survey = db_session.exec(select(Survey)).one()
    assert survey.opens_at is None
    assert survey.closes_at is None
    page = html(client.get(f"/surveys/{survey.id}"))
    assert "At once" in page
    assert "Not set" in page
