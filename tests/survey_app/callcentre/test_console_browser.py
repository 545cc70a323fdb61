"""A phone interview through the agent console in real headless Chromium, keyboard first.

A library questionnaire (touchpoint_event) in Chinese: the first attempt books a callback at the
respondent's local time, the second (at the appointment) runs the script by typing keys and
pressing Enter, raises the dissatisfaction alert, and ends Complete.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select
from werkzeug.serving import make_server

from questionnaires.documents import load_document
from survey_app.auth.models import Role
from survey_app.callcentre import console_controllers
from survey_app.callcentre.models import AgentProfile, AlertCase, CallAttempt, QueueEntry
from survey_app.callcentre.queue import Assignment, load_assignments
from survey_app.designs.models import QuestionnaireRecord, QuestionnaireVersion
from survey_app.surveys.models import Case, Interview, Survey
from survey_app.surveys.tokens import new_token, token_hash
from tests.survey_app.callcentre.helpers import WEDNESDAY_10_SHANGHAI, make_vendor
from tests.survey_app.e2e.test_respondent_browser import CHROMIUM, LAUNCH_ARGS, _playwright

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[3]
PASSWORD = "a long agent password"


@pytest.fixture
def live_server(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def queue_library_case(db_session, vendor) -> Case:
    document = load_document(ROOT / "questionnaires" / "library" / "touchpoint_event.yaml")
    record = QuestionnaireRecord(
        key=f"tp_{new_token()[:6]}", title="touchpoint", stakeholder_group="end_customer", draft=document
    )
    db_session.add(record)
    db_session.flush()
    version = QuestionnaireVersion(questionnaire_id=record.id, number=1, document=document)
    db_session.add(version)
    db_session.flush()
    survey = Survey(
        name="服务回访",
        version_id=version.id,
        stakeholder_group="end_customer",
        languages=list(document["languages"]),
        default_language="zh-Hans",
    )
    db_session.add(survey)
    db_session.flush()
    case = Case(
        survey_id=survey.id,
        token_hash=token_hash(new_token()),
        language="zh-Hans",
        context={"first_name": "李明", "event_type": "support_case_closed", "case_id": "C-1024"},
    )
    db_session.add(case)
    db_session.commit()
    row = Assignment(
        case_id=case.id,
        survey_id=survey.id,
        vendor_id=vendor.id,
        phone="+8613800138000",
        timezone="Asia/Shanghai",
        language="zh-Hans",
        respondent_name="李明",
    )
    load_assignments(db_session, [row], now=WEDNESDAY_10_SHANGHAI)
    return case


def test_phone_interview_in_the_browser_callback_then_complete(
    live_server, db_session, make_user, monkeypatch
):
    clock = {"now": WEDNESDAY_10_SHANGHAI}
    monkeypatch.setattr(console_controllers, "utcnow", lambda: clock["now"])
    vendor = make_vendor(db_session)
    agent = make_user(Role.agent, vendor_id=vendor.id, password=PASSWORD)
    db_session.add(
        AgentProfile(
            user_id=agent.id,
            vendor_id=vendor.id,
            languages=["zh-Hans", "en"],
            # An evening shift in Shanghai covers both calls (10:00 and the 19:30 callback).
            work_start="08:00",
            work_end="22:00",
            timezone="Asia/Shanghai",
        )
    )
    db_session.commit()
    case = queue_library_case(db_session, vendor)
    with _playwright()() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        page = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900}).new_page()
        page.goto(f"{live_server}/login")
        page.locator('input[name="email"]').fill(agent.email)
        page.locator('input[name="password"]').fill(PASSWORD)
        with page.expect_navigation():
            page.locator("main button[type=submit]").click()
        page.goto(f"{live_server}/callcentre/console")
        page.get_by_role("button", name="Next case").click()
        assert "+8613800138000" not in page.content()  # masked until dialled
        page.get_by_role("button", name="Dial").click()
        assert "+8613800138000" in page.content()
        assert "李明您好" in page.locator("blockquote").inner_text()  # intro with the name
        # First attempt: "call me back at 19:30" (their time).
        page.locator("#outcome").select_option("callback")
        page.locator("#callback-at").fill("2026-12-02T19:30")
        page.get_by_role("button", name="Save outcome").click()
        assert "Call outcome saved." in page.content()

        clock["now"] = dt.datetime(2026, 12, 2, 11, 30, tzinfo=dt.UTC)  # 19:30 in Shanghai
        page.get_by_role("button", name="Next case").click()
        page.get_by_role("button", name="Dial").click()
        page.get_by_role("button", name="The respondent agrees: start the interview").click()
        for keys in ("2", "3", "1", "等了两个星期", "1"):
            field = page.locator(".callcentre-script input:not([type=hidden])").first
            assert field.evaluate("element => element === document.activeElement"), "answer box has the focus"
            page.keyboard.type(keys)
            with page.expect_navigation():
                page.keyboard.press("Enter")
            if keys == "2":
                assert "客户非常不满意" in page.locator("[role=alert]").first.inner_text()
        assert "李明，谢谢您" in page.locator("blockquote").inner_text()
        assert page.locator("#outcome").input_value() == "complete"
        page.get_by_role("button", name="Save outcome").click()
        assert "Call outcome saved." in page.content()
        browser.close()

    db_session.expire_all()
    interview = db_session.exec(select(Interview).where(Interview.case_id == case.id)).one()
    assert interview.status == "complete"
    assert interview.answers["tp_case_sat"] == 2
    assert interview.answers["tp_case_resolved"] == "not_solved"
    assert interview.answers["tp_why"] == "等了两个星期"
    outcomes = db_session.exec(select(CallAttempt.outcome).order_by(CallAttempt.id)).all()
    assert outcomes == ["callback", "complete"]
    assert {a.alert_id for a in db_session.exec(select(AlertCase)).all()} >= {"strong_dissatisfaction"}
    assert db_session.get(QueueEntry, case.id).final_code == "1.1"
