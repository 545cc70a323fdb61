"""A respondent answers a library survey in Chinese in real headless Chromium.

Covers: a skip taken, an invalid answer corrected, a back-step, the browser closed mid-way and the
link reopened (it resumes), completion; then a researcher signs in and sees the response.
Screenshots of every page go to ``test-output/e2e/<backend>/`` for people to look at.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select
from werkzeug.serving import make_server

from questionnaires.documents import load_document
from survey_app.auth.models import Role
from survey_app.designs.models import QuestionnaireRecord, QuestionnaireVersion
from survey_app.surveys.models import Case, Interview, Survey
from survey_app.surveys.tokens import new_token, token_hash

pytestmark = pytest.mark.browser
RESEARCHER_PASSWORD = "a long researcher password"

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = os.environ.get("SURVEY_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
    "--disable-background-networking",
    "--disable-component-update",
]


def _playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if sync_playwright is None or not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"Playwright or Chromium ({CHROMIUM}) missing: run .ci/setup")
        pytest.skip(f"Playwright or Chromium ({CHROMIUM}) not installed: run .ci/setup")
    return sync_playwright


@pytest.fixture
def live_server(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def shots(request) -> Iterator[callable]:
    backend = request.node.name.rpartition("[")[2].rstrip("]") or "default"
    folder = ROOT / "test-output" / "e2e" / str(backend)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    counter = iter(range(1, 100))

    def take(page, name: str) -> None:
        page.screenshot(path=str(folder / f"{next(counter):02d}-{name}.png"), full_page=True)

    return take


def publish_library_survey(db_session, name: str) -> tuple[Survey, str]:
    document = load_document(ROOT / "questionnaires" / "library" / f"{name}.yaml")
    record = QuestionnaireRecord(
        key=f"{name}_{new_token()[:6]}", title=name, stakeholder_group="end_customer", draft=document
    )
    db_session.add(record)
    db_session.flush()
    version = QuestionnaireVersion(questionnaire_id=record.id, number=1, document=document)
    db_session.add(version)
    db_session.flush()
    survey = Survey(
        name="客户关系调查 2026",
        version_id=version.id,
        stakeholder_group="end_customer",
        languages=list(document["languages"]),
        default_language="zh-Hans",
    )
    db_session.add(survey)
    db_session.flush()
    token = new_token()
    db_session.add(
        Case(
            survey_id=survey.id,
            token_hash=token_hash(token),
            language="zh-Hans",
            context={"first_name": "李明", "product": "光纤宽带"},
        )
    )
    db_session.commit()
    return survey, token


def fill_page(page, *, choose_last: bool = True) -> None:
    """Answer every question on the page without JavaScript tricks: click, type, like a person."""
    for block in page.locator(".question").all():
        radios = block.locator('input[type=radio]:not([value^="__"])')
        names = sorted({radios.nth(i).get_attribute("name") for i in range(radios.count())})
        for name in names:
            group = block.locator(f'input[type=radio][name="{name}"]:not([value^="__"])')
            (group.last if choose_last else group.first).check()
        boxes = block.locator('input[type=checkbox]:not([value^="__"])')
        if boxes.count():
            boxes.first.check()
        for field in block.locator("input[type=number]").all():
            field.fill("3")
        for field in block.locator("input[type=date]").all():
            field.fill("2026-01-10")
        for field in block.locator("input[type=text]:not([name$='__other']), textarea").all():
            field.fill("服务很好")


def next_page(page, button: str = "下一页") -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()


def test_respondent_answers_in_chinese_with_skip_error_back_resume_and_completion(
    app, live_server, db_session, shots, make_user
) -> None:
    survey, token = publish_library_survey(db_session, "customer_relationship")
    link = f"{live_server}/s/{token}"
    with _playwright()() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        context = browser.new_context(locale="zh-CN", viewport={"width": 412, "height": 900})
        page = context.new_page()
        page.goto(link)
        assert page.locator("html").get_attribute("lang") == "zh-Hans"
        assert "总体满意程度" in page.content()
        shots(page, "overall-satisfaction")

        # Very satisfied: the dissatisfaction follow-ups are skipped.
        page.locator('input[name="overall_sat"][value="5"]').check()
        next_page(page)
        assert "没有达到您的期望" not in page.content()
        assert page.locator('input[name="nps"]').count() > 0
        shots(page, "loyalty-after-skip")

        # Submit without the required recommendation score: an error in Chinese, linked from the summary.
        page.locator('input[name="repurchase"][value="4"]').check()
        next_page(page)
        summary = page.locator(".error-summary")
        assert summary.is_visible()
        assert "请回答此题。" in summary.inner_text()
        shots(page, "error-corrected")
        page.locator('input[name="nps"][value="9"]').check()
        next_page(page)
        assert page.locator('input[name="channels_used"]').count() > 0
        shots(page, "channels")

        # Back one page: the answers given are still selected.
        next_page(page, "上一页")
        assert page.locator('input[name="nps"][value="9"]').is_checked()
        shots(page, "back-step")
        next_page(page)

        # The browser is closed in the middle; the link reopened in a new browser resumes here.
        context.close()
        context = browser.new_context(locale="zh-CN", viewport={"width": 412, "height": 900})
        page = context.new_page()
        page.goto(link)
        assert page.locator('input[name="channels_used"]').count() > 0
        shots(page, "resumed")

        for _ in range(12):
            if page.locator(".question").count() == 0:
                break
            fill_page(page)
            next_page(page)
        assert "谢谢" in page.content()
        shots(page, "thank-you")
        browser.close()

    db_session.expire_all()
    interview = db_session.exec(select(Interview).where(Interview.survey_id == survey.id)).one()
    assert interview.status == "complete"
    assert interview.language == "zh-Hans"
    assert interview.answers["overall_sat"] == 5
    assert interview.answers["nps"] == 9
    assert "root_cause" not in interview.answers
    kinds = {event[1] for event in interview.state["events"]}
    assert {"invalid", "back", "completed"} <= kinds

    # A researcher signs in (browser in Chinese) and finds the response in the results.
    researcher = make_user(Role.researcher, password=RESEARCHER_PASSWORD)
    with _playwright()() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        page = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}).new_page()
        page.goto(f"{live_server}/login")
        page.locator('input[name="email"]').fill(researcher.email)
        page.locator('input[name="password"]').fill(RESEARCHER_PASSWORD)
        with page.expect_navigation():
            page.locator('button[type="submit"]').click()
        page.goto(f"{live_server}/surveys/{survey.id}")
        assert page.locator(".survey-count").first.inner_text() == "1"
        shots(page, "survey-page")
        page.goto(f"{live_server}/results/{survey.id}")
        assert page.locator(".survey-count").first.inner_text() == "1"
        assert "总体满意程度" in page.content()
        shots(page, "results-summary")
        page.goto(f"{live_server}/results/{survey.id}/responses")
        link = page.locator(f'a[href="/results/{survey.id}/responses/{interview.id}"]')
        assert link.count() == 1
        shots(page, "results-responses")
        with page.expect_navigation():
            link.click()
        content = page.content()
        assert "总体满意程度" in content
        assert "简体中文" in content
        shots(page, "results-response")
        browser.close()
