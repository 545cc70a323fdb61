"""``survey demo``: sets up a usable demo on a fresh SQLite file, idempotently, and can serve it."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlmodel import Session, func, select

from survey_app import create_app
from survey_app.auth.models import Role, User
from survey_app.cli import main
from survey_app.config import sqlite_url
from survey_app.db import get_engine, utcnow
from survey_app.designs.models import QuestionnaireRecord, QuestionnaireVersion
from survey_app.surveys.models import Case, Survey
from survey_app.surveys.queries import SurveyPhase, survey_phase
from tests.conftest import sign_in


@pytest.fixture
def demo_env(tmp_path: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": sqlite_url(tmp_path / "demo.db"),
        "SURVEY_INSTANCE_PATH": str(tmp_path / "instance"),
    }


def run_demo(env: dict[str, str], *args: str) -> str:
    result = CliRunner().invoke(main, ["demo", *args], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def links_in(output: str) -> tuple[str, str]:
    personal = re.search(r"personal link .*: (http://127\.0\.0\.1:5000/s/\S+)", output)
    open_link = re.search(r"open link .*: (http://127\.0\.0\.1:5000/o/\S+)", output)
    assert personal, output
    assert open_link, output
    return personal.group(1), open_link.group(1)


def count(session: Session, model: Any) -> int:
    return int(session.exec(select(func.count()).select_from(model)).one())


def test_demo_sets_up_everything_and_a_second_run_reuses_it(demo_env, tmp_path):
    first = run_demo(demo_env)
    password = re.search(r"password \(shown once, keep it\): (\S+)", first).group(1)
    personal, open_link = links_in(first)
    assert "http://127.0.0.1:5000/login as admin@example.org" in first

    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, **demo_env})
    with Session(get_engine(app)) as session:
        admin = session.exec(select(User).where(User.email == "admin@example.org")).one()
        assert admin.role == Role.admin
        assert count(session, QuestionnaireRecord) >= 8  # the library templates and the demo copy
        survey = session.exec(select(Survey)).one()
        assert survey.languages == ["en", "zh-Hans"]
        version = session.get(QuestionnaireVersion, survey.version_id)
        record = session.get(QuestionnaireRecord, version.questionnaire_id)
        assert record.key == "demo_customer_relationship"
        assert not record.is_template
    client = app.test_client()
    assert "总体满意程度" in client.get(personal.removeprefix("http://127.0.0.1:5000")).get_data(as_text=True)
    assert client.get(open_link.removeprefix("http://127.0.0.1:5000")).status_code == 302
    assert sign_in(app.test_client(), "admin@example.org", password).status_code == 302

    second = run_demo(demo_env)
    assert "password:        the one printed when the demo first ran" in second
    assert password not in second
    personal2, open2 = links_in(second)
    assert personal2 != personal
    assert open2 != open_link
    with Session(get_engine(app)) as session:
        assert count(session, Survey) == 1
        assert count(session, QuestionnaireVersion) == 1
        assert count(session, Case) == 2
    client = app.test_client()
    assert client.get(open_link.removeprefix("http://127.0.0.1:5000")).status_code == 404  # replaced
    assert client.get(personal.removeprefix("http://127.0.0.1:5000")).status_code == 200  # still valid
    get_engine(app).dispose()


def test_demo_serve_runs_the_development_server(demo_env, monkeypatch):
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr("survey_app.demo.run_simple", lambda *args, **kwargs: calls.append((args, kwargs)))
    output = run_demo(demo_env, "--serve", "--port", "5077")
    assert "Serving on http://127.0.0.1:5077/" in output
    assert "http://127.0.0.1:5077/o/" in output
    (host, port, served), options = calls[0]
    assert (host, port) == ("127.0.0.1", 5077)
    assert served.name == "survey_app"
    assert options["use_reloader"] is False


def test_demo_reports_a_bad_setting_clearly(demo_env):
    result = CliRunner().invoke(main, ["demo"], env={**demo_env, "DATABASE_URL": "nosuchdb://x"})
    assert result.exit_code != 0
    assert "DATABASE_URL" in result.output


def test_demo_reopens_its_survey_once_it_has_closed(demo_env):
    run_demo(demo_env)
    app = create_app({"TESTING": True, **demo_env})
    engine = get_engine(app)
    with Session(engine) as session:
        survey = session.exec(select(Survey)).one()
        survey.opens_at = utcnow() - dt.timedelta(days=60)
        survey.closes_at = utcnow() - dt.timedelta(days=1)
        session.add(survey)
        session.commit()
    run_demo(demo_env)
    with Session(engine) as session:
        survey = session.exec(select(Survey)).one()
        assert survey_phase(survey, utcnow()) == SurveyPhase.open
    engine.dispose()
