"""The web benchmark's respondent flow works on the pages the app really renders (not a timing test)."""

from __future__ import annotations

import random
import sys
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlmodel import select

from survey_app.designs.models import QuestionnaireRecord, QuestionnaireVersion
from survey_app.surveys.models import Case, Interview, Survey
from survey_app.surveys.tokens import new_token, token_hash

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture(scope="module")
def flow_module():
    sys.path.insert(0, str(BENCH))
    try:
        import _flow
        import web_flows

        assert web_flows.parse_args([]).levels == [1, 8, 32]
        yield _flow
    finally:
        sys.path.remove(str(BENCH))


def test_bench_flow_answers_the_three_pages_and_completes(flow_module, app, client, db_session) -> None:
    fl = flow_module
    app.config["WTF_CSRF_ENABLED"] = True  # the bench sends each page's token back, as a browser does
    record = QuestionnaireRecord(
        key="bench", title="Bench", stakeholder_group="end_customer", draft=fl.DOCUMENT
    )
    db_session.add(record)
    db_session.flush()
    version = QuestionnaireVersion(questionnaire_id=record.id, number=1, document=fl.DOCUMENT)
    db_session.add(version)
    db_session.flush()
    survey = Survey(
        name="Bench",
        version_id=version.id,
        stakeholder_group="end_customer",
        languages=["en"],
        default_language="en",
    )
    db_session.add(survey)
    db_session.flush()
    token = new_token()
    db_session.add(Case(survey_id=survey.id, token_hash=token_hash(token), context={}))
    db_session.commit()

    rng = random.Random(5)
    body = client.get(f"/s/{token}").get_data(as_text=True)
    seen = []
    for number in range(3):
        page = fl.parse_page(body)
        seen.append(page.number)
        assert page.csrf
        assert page.step
        assert not page.thank_you
        response = client.post(
            f"/s/{token}",
            data=urlencode(fl.page_form(body, number, rng)),
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code == 200
        body = response.get_data(as_text=True)
    assert seen == [0, 1, 2]
    assert fl.parse_page(body).thank_you
    with pytest.raises(fl.FlowError, match="page 1 missing"):
        fl.page_form(body, 0, rng)

    db_session.expire_all()
    interview = db_session.exec(select(Interview).where(Interview.survey_id == survey.id)).one()
    assert interview.status == "complete"
    assert set(interview.answers) >= {"r1", "r5", "nps", "comment", "used"}
