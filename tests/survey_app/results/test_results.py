"""Results pages: counts, responses list, one response, per-question summary, CSV; roles and errors."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import event

from survey_app.auth.models import Role
from survey_app.db import get_engine
from survey_app.surveys.models import InterviewSource
from tests.survey_app.surveys.helpers import full_pages, make_interview, make_survey, special


def html(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def fielded(db_session):
    """3 complete interviews (one via the open link), a partial, a break-off, one not started, a test."""
    survey = make_survey(db_session)
    make_interview(db_session, survey, full_pages())
    make_interview(
        db_session, survey, full_pages(sat="1", nps="3", plan="basic", channels=["phone"], again="no")
    )
    make_interview(
        db_session, survey, full_pages(sat="4", nps=special("dont_know"), comment="<script>x</script>"),
        source=InterviewSource.open, language="zh-Hans",
    )  # fmt: skip
    make_interview(db_session, survey, full_pages(), complete=False)  # partial: all answered, not finished
    make_interview(db_session, survey, full_pages()[:1], complete=False)  # break-off: 2 of 9 questions
    make_interview(db_session, survey, [], complete=False)  # opened, nothing answered
    make_interview(db_session, survey, full_pages(sat="2"), is_test=True)
    return survey


def test_overview_counts_leave_test_interviews_out(client, login, fielded):
    login(Role.analyst)
    page = html(client.get(f"/results/{fielded.id}"))
    counts = {label: int(n) for n, label in re.findall(r'survey-count">(\d+)</span> ([a-z ,]+)<', page)}
    assert counts["started"] == 6
    assert counts["completed"] == 3
    assert counts["partial"] == 1
    assert counts["broken off"] == 1
    assert counts["opened, nothing answered"] == 1
    assert "1 of these interviews came through the open link" in page
    with_tests = html(client.get(f"/results/{fielded.id}?tests=1"))
    assert re.search(r'survey-count">7</span> started', with_tests)
    assert "Test interviews are included." in with_tests


def test_summary_counts_percent_mean_and_nps(client, login, fielded):
    login(Role.researcher)
    page = html(client.get(f"/results/{fielded.id}"))
    sat = page[page.index('id="q-sat"') : page.index('id="q-nps"')]
    # sat: 5, 1, 4 (completes) and 5 (the partial): mean 3.75, top box 2 of 4.
    assert "Mean <strong>3.75</strong>" in sat
    assert "top box 50.0 %" in sat
    assert re.search(r"5 Very</th><td class=\"num\">2</td><td class=\"num\">50.0", sat)
    assert '<rect class="result-bar-fill" x="0" y="0" width="50.00"' in sat
    nps = page[page.index('id="q-nps"') : page.index('id="q-plan"')]
    # nps: 10, 3, don't know, 10 -> promoters 2, detractors 1 of 3 -> +33.
    assert "NPS <strong>+33</strong>" in nps
    assert re.search(r"Promoters \(9–10\)</th><td class=\"num\">2</td><td class=\"num\">66.7", nps)
    assert re.search(r"Don&#39;t know</th><td class=\"num\">1</td><td class=\"num\">25.0", nps)
    channels = page[page.index('id="q-channels"') : page.index('id="q-again"')]
    assert "shares add up to more than 100 %" in channels
    assert re.search(r"Web</th><td class=\"num\">3</td><td class=\"num\">75.0", channels)
    grid = page[page.index('id="q-grid"') : page.index('id="q-age"')]
    assert "Speed" in grid
    assert "Mean 4.00" in grid
    assert "&lt;script&gt;x&lt;/script&gt;" in page
    assert "<script>x" not in page


def test_summary_labels_follow_the_interface_language(client, login, fielded):
    login(Role.analyst)
    page = html(client.get(f"/results/{fielded.id}?lang=zh-Hans"))
    assert "您满意吗？" in page
    assert "专业" in page


def test_responses_list_is_paginated_and_marks_open_link(client, login, fielded, db_session):
    login(Role.analyst)
    page = html(client.get(f"/results/{fielded.id}/responses"))
    assert "6 interviews" in page
    assert "Open link (non-probability)" in page
    assert ">Test<" not in page
    assert page.count("/responses/") == 6
    with_tests = html(client.get(f"/results/{fielded.id}/responses?tests=1"))
    assert "7 interviews" in with_tests
    assert ">Test<" in with_tests


def test_responses_list_pages_use_two_queries(client, login, fielded, app, monkeypatch):
    from survey_app.results import queries

    monkeypatch.setattr(queries, "PER_PAGE", 2)
    login(Role.analyst)
    statements: list[str] = []
    engine = get_engine(app)

    def count(conn, cursor, statement, *args):
        if "interviews" in statement:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        page = html(client.get(f"/results/{fielded.id}/responses?page=2"))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert "6 interviews" in page
    assert "page 2 of 3" in page
    assert page.count("/responses/") == 2
    assert len(statements) == 2, statements


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("?page=0", 400, "The page number must be a whole number from 1 up."),
        ("?page=abc", 400, "The page number must be a whole number from 1 up."),
        ("?page=2", 404, "There is no page 2 of responses."),
        ("?tests=yes", 400, "“tests” must be 0"),
    ],
)
def test_bad_list_parameters_get_a_clear_error(client, login, fielded, query, status, message):
    login(Role.analyst)
    response = client.get(f"/results/{fielded.id}/responses{query}")
    assert response.status_code == status
    assert message in html(response)


def test_one_response_in_full(client, login, fielded, db_session):
    login(Role.analyst)
    listing = html(client.get(f"/results/{fielded.id}/responses"))
    ids = sorted(int(i) for i in re.findall(r"/responses/(\d+)", listing))
    page = html(client.get(f"/results/{fielded.id}/responses/{ids[0]}"))  # the oldest: first complete
    assert "How satisfied are you?" in page
    assert "Pro" in page
    assert "Web" in page
    assert "Other: 微信" in page
    assert "Speed: 4" in page
    assert "Yes" in page
    assert "=SUM(A1) 很好" in page
    assert "Questionnaire version</dt><dd>1" in page
    assert "Pages submitted</dt><dd>2" in page
    assert "1 min 0 s" in page
    open_one = html(client.get(f"/results/{fielded.id}/responses/{ids[2]}"))
    assert "came through the open link" in open_one
    assert "Don&#39;t know" in open_one


def test_response_of_another_survey_is_404(client, login, fielded, db_session):
    login(Role.analyst)
    other = make_survey(db_session)
    interview = make_interview(db_session, other, full_pages())
    assert client.get(f"/results/{fielded.id}/responses/{interview.id}").status_code == 404
    assert client.get("/results/999999").status_code == 404
    assert client.get("/results/999999/export.csv").status_code == 404


def test_csv_has_one_row_per_interview_and_one_column_per_variable(client, login, fielded):
    login(Role.analyst)
    response = client.get(f"/results/{fielded.id}/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the file as UTF-8
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows) == 6
    header = list(rows[0])
    assert header[:4] == ["interview_id", "status", "source", "probability_sample"]
    assert ["channels_web", "channels_phone", "channels_other", "channels_other_text"] == [
        h for h in header if h.startswith("channels")
    ]
    assert {"grid_speed", "grid_price", "nps_special"} <= set(header)
    first = rows[0]
    assert first["sat"] == "5"
    assert first["plan"] == "pro"
    assert first["again"] == "1"
    assert (first["channels_web"], first["channels_phone"], first["channels_other"]) == ("1", "0", "1")
    assert first["channels_other_text"] == "微信"
    assert first["grid_speed"] == "4"
    assert first["comment"] == "'=SUM(A1) 很好"  # a formula stays text in a spreadsheet
    opened = rows[2]
    assert opened["source"] == "open"
    assert opened["probability_sample"] == "0"
    assert opened["nps"] == ""
    assert opened["nps_special"] == "dont_know"
    assert opened["language"] == "zh-Hans"
    assert rows[3]["status"] == "partial"
    assert rows[3]["plan"] == "pro"
    assert rows[3]["completed_at"] == ""
    broken = rows[4]
    assert broken["status"] == "break_off"
    assert broken["plan"] == ""
    assert broken["channels_web"] == ""
    with_tests = client.get(f"/results/{fielded.id}/export.csv?tests=1").get_data().decode("utf-8-sig")
    assert len(list(csv.DictReader(io.StringIO(with_tests)))) == 7


def test_results_index_lists_surveys_for_analysts(client, login, fielded):
    login(Role.analyst)
    page = html(client.get("/results"))
    assert f"/results/{fielded.id}" in page
    assert "Customer survey 2026" in page
    assert 'href="/surveys"' not in page  # analysts have no survey pages in their menu
    assert client.get("/questionnaires/new").status_code == 403


@pytest.mark.parametrize("role", [Role.qa_auditor, Role.agent, Role.vendor_manager])
def test_other_roles_see_no_results(client, login, fielded, role):
    login(role)
    assert client.get(f"/results/{fielded.id}").status_code == 403
    assert client.get(f"/results/{fielded.id}/export.csv").status_code == 403


def test_empty_survey_has_empty_results(client, login, db_session):
    login(Role.analyst)
    survey = make_survey(db_session)
    assert "No interviews yet." in html(client.get(f"/results/{survey.id}/responses"))
    page = html(client.get(f"/results/{survey.id}"))
    assert "0 answers" in page
    body = client.get(f"/results/{survey.id}/export.csv").get_data().decode("utf-8-sig")
    assert body.count("\r\n") == 1


def test_anonymous_visitors_are_sent_to_login(client, fielded):
    response = client.get(f"/results/{fielded.id}")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
