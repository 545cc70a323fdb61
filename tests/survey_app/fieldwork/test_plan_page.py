"""The channel plan page: saving a plan, and every kind of mistake shown without losing the text."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from survey_app.auth.models import Role
from survey_app.fieldwork.models import FieldworkPlan
from tests.survey_app.fieldwork.conftest import make_survey

PLAN = {"steps": [{"channel": "email", "day": 0}, {"channel": "sms", "day": 3, "kind": "reminder"}]}


def stored(session, survey_id: int) -> FieldworkPlan | None:
    session.expire_all()
    return session.exec(select(FieldworkPlan).where(FieldworkPlan.survey_id == survey_id)).first()


def test_a_researcher_saves_a_plan_and_launches(client, login, db_session):
    survey = make_survey(db_session)
    login(Role.researcher)
    url = f"/fieldwork/surveys/{survey.id}/plan"
    assert client.get(url).status_code == 200
    response = client.post(url, data={"document": json.dumps(PLAN)})
    assert response.status_code == 302
    row = stored(db_session, survey.id)
    assert row is not None
    assert [s["channel"] for s in row.document["steps"]] == ["email", "sms"]
    assert row.document["window"] == ["08:00", "21:00"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The channel plan has been saved." in page
    assert "Start sending" in page
    client.post(f"/fieldwork/surveys/{survey.id}/launch")
    assert stored(db_session, survey.id).launched_at is not None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"steps": [', "This is not valid JSON"),
        ("[1, 2]", "The plan must be a JSON object with a list of steps."),
        (
            '{"steps": [{"channel": "fax"}]}',
            "step 1: channel must be one of email, sms, ivr, got &#39;fax&#39;",
        ),
        ('{"steps": [{"channel": "email"}], "timezone": "Mars/Base"}', "timezone must be an IANA time zone"),
    ],
)
def test_mistakes_are_shown_and_the_text_kept(client, login, db_session, text, message):
    survey = make_survey(db_session)
    login(Role.researcher)
    response = client.post(f"/fieldwork/surveys/{survey.id}/plan", data={"document": text})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in html
    # The text is given back (escaped) so nothing typed is lost.
    assert text.replace('"', "&#34;").replace("'", "&#39;")[:10] in html
    assert stored(db_session, survey.id) is None


def test_launch_without_a_plan_says_what_to_do(client, login, db_session):
    survey = make_survey(db_session)
    login(Role.researcher)
    response = client.post(f"/fieldwork/surveys/{survey.id}/launch", follow_redirects=True)
    assert "This survey has no channel plan yet: write one first." in response.get_data(as_text=True)


def test_the_index_lists_surveys_and_their_sending_state(client, login, db_session):
    survey = make_survey(db_session, name="Customer <b>survey</b>")
    login(Role.analyst)
    html = client.get("/fieldwork").get_data(as_text=True)
    assert "Customer &lt;b&gt;survey&lt;/b&gt;" in html
    assert f"/fieldwork/surveys/{survey.id}" in html
    assert "None yet" in html


def test_mistakes_are_explained_in_the_staff_language(client, login, db_session, make_user):
    survey = make_survey(db_session)
    login(make_user(Role.researcher, preferred_language="zh-Hans"))
    response = client.post(
        f"/fieldwork/surveys/{survey.id}/plan", data={"document": '{"steps": [], "max_attempts": 0}'}
    )
    html = response.get_data(as_text=True)
    assert "步骤必须是非空列表" in html
    assert "max_attempts 必须是至少为 1 的整数" in html
