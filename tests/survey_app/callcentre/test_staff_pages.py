"""Vendors and agents: admin pages, vendor isolation, agent profiles, supervisor view, alerts page."""

from __future__ import annotations

import pytest
from sqlmodel import select

from survey_app.auth.models import Role
from survey_app.callcentre.models import AgentProfile, AlertCase, QueueEntry, Vendor
from survey_app.fieldwork.models import FieldworkCase
from survey_app.sampling.models import Assignment as CaseAssignment
from survey_app.sampling.models import AssignmentRun
from survey_app.surveys.models import Interview
from tests.survey_app.callcentre.helpers import make_agent, make_survey, make_vendor, queue_cases


def test_admin_adds_vendors_with_specific_errors(client, login, db_session):
    login(Role.admin)
    assert client.post("/callcentre/vendors", data={"vendor-name": "Dial Co"}).status_code == 302
    assert db_session.exec(select(Vendor.name)).all() == ["Dial Co"]
    again = client.post("/callcentre/vendors", data={"vendor-name": "Dial Co"})
    assert again.status_code == 400
    assert "A vendor with this name already exists." in again.get_data(as_text=True)
    empty = client.post("/callcentre/vendors", data={"vendor-name": ""})
    assert empty.status_code == 400
    assert len(db_session.exec(select(Vendor)).all()) == 1


@pytest.fixture
def two_vendors(db_session, make_user):
    a, b = make_vendor(db_session, "Vendor A"), make_vendor(db_session, "Vendor B")
    survey = make_survey(db_session)
    agent_b = make_agent(db_session, make_user, b)
    queue_cases(db_session, survey, b, 2, first_name="Bea")
    return a, b, agent_b


def test_a_vendor_manager_sees_nothing_of_another_vendor(client, login, two_vendors):
    a, b, agent_b = two_vendors
    login(Role.vendor_manager, vendor_id=a.id)
    own = client.get(f"/callcentre/vendors/{a.id}")
    assert own.status_code == 200
    assert "Vendor A" in own.get_data(as_text=True)
    for url in (
        f"/callcentre/vendors/{b.id}",
        f"/callcentre/vendors/{b.id}/agents/{agent_b.id}",
        f"/callcentre/vendors/{a.id}/agents/{agent_b.id}",  # B's agent through A's address
        f"/callcentre/supervisor?vendor={b.id}",
    ):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(f"/callcentre/vendors/{a.id}/agents/{agent_b.id}", data={"languages": "en"}).status_code
        == 404
    )
    page = client.get("/callcentre/supervisor").get_data(as_text=True)
    assert "Vendor A" in page
    assert agent_b.display_name not in page
    assert client.get("/callcentre/vendors").status_code == 403
    assert client.get("/callcentre/alerts").status_code == 403


def test_an_agent_of_another_vendor_gets_nothing_of_vendor_b(
    client, login, db_session, make_user, two_vendors
):
    a, b, agent_b = two_vendors
    agent_a = make_agent(db_session, make_user, a)
    login(agent_a)
    for url in (f"/callcentre/vendors/{b.id}", f"/callcentre/supervisor?vendor={b.id}", "/callcentre/alerts"):
        assert client.get(url).status_code == 403, url
    client.post("/callcentre/console/next")
    assert db_session.exec(select(QueueEntry.locked_by)).all() == [None, None]  # B's cases untouched
    home = client.get("/callcentre/console").get_data(as_text=True)
    assert "Bea" not in home
    assert "No case is due for you now." in home


def test_manager_edits_an_agent_profile_with_clear_errors(client, login, db_session, make_user):
    vendor = make_vendor(db_session)
    agent = make_user(Role.agent, vendor_id=vendor.id)
    login(Role.vendor_manager, vendor_id=vendor.id)
    url = f"/callcentre/vendors/{vendor.id}/agents/{agent.id}"
    good = {
        "languages": "en, zh-Hans",
        "dialects": "cantonese",
        "skills": "b2b",
        "work_start": "09:00",
        "work_end": "17:30",
        "timezone": "Asia/Shanghai",
    }
    for change, message in (
        ({"languages": ""}, "Enter at least one language the agent speaks."),
        ({"languages": "en, <b>"}, "Use short codes separated by commas"),
        ({"work_start": "9am"}, "Enter a time such as 09:00."),
        ({"work_end": "08:00"}, "The end of the working hours must be after their start."),
        ({"timezone": "Mars/Base"}, "Enter a time zone such as Asia/Shanghai."),
        ({"phone": "12345"}, "Enter the phone number in international format, such as +8613800138000."),
        ({"phone": "+86 000"}, "Enter the phone number in international format, such as +8613800138000."),
    ):
        response = client.post(url, data={**good, **change})
        assert response.status_code == 400, change
        assert message in response.get_data(as_text=True), change
    assert db_session.get(AgentProfile, agent.id) is None  # nothing half-saved
    assert client.post(url, data={**good, "phone": "+86 139 0013 9000"}).status_code == 302
    profile = db_session.get(AgentProfile, agent.id)
    assert profile.phone == "+8613900139000"  # click-to-call rings it; stored as E.164
    assert profile.languages == ["en", "zh-Hans"]
    assert profile.dialects == ["cantonese"]
    assert (profile.work_start, profile.work_end, profile.timezone) == ("09:00", "17:30", "Asia/Shanghai")
    assert "en, zh-Hans" in client.get(url).get_data(as_text=True)


def test_admin_queues_the_sampling_assignment(client, login, db_session, make_user):
    vendor = make_vendor(db_session)
    agent = make_agent(db_session, make_user, vendor)
    survey = make_survey(db_session)
    queued = queue_cases(db_session, survey, vendor, 2)  # creates cases (already queued) ...
    for q in queued:
        db_session.delete(q.entry)
    db_session.commit()
    run = AssignmentRun(survey_id=survey.id, seed=1, assignee_kind="agent", case_count=2)
    db_session.add(run)
    db_session.commit()
    with_phone, without_phone = (q.case for q in queued)
    for case in (with_phone, without_phone):
        db_session.add(
            CaseAssignment(
                case_id=case.id,
                survey_id=survey.id,
                run_id=run.id,
                assignee_kind="agent",
                assignee_id=agent.id,
            )
        )
    db_session.add(
        FieldworkCase(
            case_id=with_phone.id,
            survey_id=survey.id,
            phone_e164="+8613800138000",
            timezone="Asia/Shanghai",
            name="Li",
        )
    )
    db_session.commit()
    login(Role.admin)
    assert client.post("/callcentre/vendors", data={"queue-survey_id": str(survey.id)}).status_code == 302
    entry = db_session.exec(select(QueueEntry)).one()
    assert (entry.case_id, entry.vendor_id, entry.agent_id, entry.phone, entry.timezone) == (
        with_phone.id,
        vendor.id,
        agent.id,
        "+8613800138000",
        "Asia/Shanghai",
    )
    missing = client.post("/callcentre/vendors", data={"queue-survey_id": "999999"})
    assert missing.status_code == 400
    assert "no assigned cases" in missing.get_data(as_text=True)


def test_vendor_page_lists_its_cases_without_phone_numbers(client, login, db_session, make_user):
    vendor, survey = make_vendor(db_session), make_survey(db_session)
    queued = queue_cases(db_session, survey, vendor, first_name="Zhou")[0]
    login(Role.vendor_manager, vendor_id=vendor.id)
    page = client.get(f"/callcentre/vendors/{vendor.id}").get_data(as_text=True)
    assert f"<td>{queued.case.id}</td>" in page
    assert "Waiting" in page
    assert queued.entry.phone not in page


def test_researchers_see_alerts_with_the_answers_escaped(client, login, db_session, make_user):
    vendor, survey = make_vendor(db_session), make_survey(db_session)
    agent = make_agent(db_session, make_user, vendor)
    queued = queue_cases(db_session, survey, vendor)[0]
    interview = Interview(
        survey_id=survey.id,
        case_id=queued.case.id,
        version_id=survey.version_id,
        source="personal",
        channel="agent",
        language="en",
        status="partial",
        state={},
        step_key="x",
    )
    db_session.add(interview)
    db_session.commit()
    db_session.add(
        AlertCase(
            survey_id=survey.id,
            case_id=queued.case.id,
            interview_id=interview.id,
            vendor_id=vendor.id,
            agent_id=agent.id,
            alert_id="strong_dissatisfaction",
            message="Offer a call back",
            answers={"sat": 1, "why": "<script>x</script>"},
        )
    )
    db_session.commit()
    login(Role.researcher)
    page = client.get("/callcentre/alerts").get_data(as_text=True)
    assert "Offer a call back" in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page
    assert "<script>x</script>" not in page
