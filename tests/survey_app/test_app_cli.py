"""The `survey` command: database migrations and the first administrator."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

from survey_app.cli import main
from survey_app.db import get_engine
from tests.conftest import build_test_app, sign_in


@pytest.fixture
def fresh_app(empty_database_url: str, tmp_path: Path) -> Flask:
    application = build_test_app(empty_database_url, tmp_path)
    yield application
    get_engine(application).dispose()


def test_db_current_upgrade_current(fresh_app: Flask) -> None:
    runner = fresh_app.test_cli_runner()
    before = runner.invoke(args=["db", "current"])
    assert before.exit_code == 1
    assert "survey db upgrade" in before.output
    upgraded = runner.invoke(args=["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    after = runner.invoke(args=["db", "current"])
    assert after.exit_code == 0
    assert "Database at" in after.output
    assert runner.invoke(args=["db", "heads"]).output.strip() in after.output


def test_create_admin_prints_a_generated_password_once(fresh_app: Flask) -> None:
    runner = fresh_app.test_cli_runner()
    runner.invoke(args=["db", "upgrade"])
    result = runner.invoke(args=["user", "create-admin", "--email", "Ops@Example.org"])
    assert result.exit_code == 0, result.output
    password = re.search(r"Password \(shown once\): (\S+)", result.output).group(1)
    assert sign_in(fresh_app.test_client(), "ops@example.org", password).status_code == 302
    again = runner.invoke(args=["user", "create-admin", "--email", "ops@example.org", "--password", "x" * 12])
    assert again.exit_code == 1
    assert "already exists" in again.output


def test_create_admin_with_a_given_password(fresh_app: Flask) -> None:
    runner = fresh_app.test_cli_runner()
    runner.invoke(args=["db", "upgrade"])
    short = runner.invoke(args=["user", "create-admin", "--email", "a@example.org", "--password", "short"])
    assert short.exit_code == 1
    assert "at least 12 characters" in short.output
    result = runner.invoke(
        args=["user", "create-admin", "--email", "a@example.org", "--password", "long enough pw"]
    )
    assert result.exit_code == 0
    assert "shown once" not in result.output
    assert sign_in(fresh_app.test_client(), "a@example.org", "long enough pw").status_code == 302


def test_bad_settings_are_reported_by_the_cli_without_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SURVEY_SESSION_LIFETIME_MINUTES", "abc")
    result = CliRunner().invoke(main, ["db", "current"])
    assert result.exit_code == 2
    assert "SURVEY_SESSION_LIFETIME_MINUTES must be a whole number of minutes, got 'abc'" in result.output
    assert "Traceback" not in result.output
