"""The app factory: settings, database defaults, the schema check, cookies, headers, error pages."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest
from flask import Flask, request
from sqlalchemy import text

from survey_app import create_app, schema
from survey_app.auth.access import public_route
from survey_app.config import SettingsError, load_settings, sqlite_url
from survey_app.db import get_engine
from tests.conftest import TEST_SETTINGS, build_test_app

GOOD_KEY = "a-sufficiently-long-secret-key"


def settings_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **env: str) -> str:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        create_app({"SURVEY_INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "sqlite://"})
    return str(caught.value)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        (
            "SURVEY_SESSION_LIFETIME_MINUTES",
            "abc",
            "SURVEY_SESSION_LIFETIME_MINUTES must be a whole number of minutes, got 'abc'",
        ),
        ("SURVEY_SESSION_LIFETIME_MINUTES", "0", "SURVEY_SESSION_LIFETIME_MINUTES must be at least 1"),
        ("SURVEY_PROXY_FIX_HOPS", "two", "SURVEY_PROXY_FIX_HOPS must be a whole number of proxies"),
        ("SURVEY_PUBLIC_BASE_URL", "survey.example.org", "SURVEY_PUBLIC_BASE_URL must be an absolute http"),
        ("SURVEY_DEFAULT_LANGUAGE", "fr", "SURVEY_DEFAULT_LANGUAGE must be one of en, zh-Hans, zh-Hant"),
        ("SURVEY_DEMO", "maybe", "SURVEY_DEMO must be true or false"),
        ("SECRET_KEY", "short", "SECRET_KEY must be at least 16 random characters"),
        ("DATABASE_URL", "mysql://u:hunter2@db/survey", "DATABASE_URL must be a PostgreSQL or SQLite URL"),
    ],
)
def test_a_bad_setting_stops_the_app_with_a_message_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv("SECRET_KEY", GOOD_KEY)
    monkeypatch.setenv(name, value)
    overrides = {"SURVEY_INSTANCE_PATH": str(tmp_path)}
    with pytest.raises(SettingsError) as caught:
        create_app(overrides)
    assert expected in str(caught.value)


def test_every_bad_setting_is_reported_at_once_and_passwords_are_not_echoed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    message = settings_error(
        monkeypatch, tmp_path, SURVEY_PROXY_FIX_HOPS="-1", SURVEY_SESSION_LIFETIME_MINUTES="1.5"
    )
    assert "SURVEY_PROXY_FIX_HOPS" in message
    assert "SURVEY_SESSION_LIFETIME_MINUTES" in message
    with pytest.raises(SettingsError) as caught:
        load_settings(environ={"DATABASE_URL": "mysql://u:hunter2@db/survey"})
    assert "hunter2" not in str(caught.value)


def test_secret_key_is_required_outside_debug_and_testing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    message = settings_error(monkeypatch, tmp_path)
    assert "SECRET_KEY is required" in message
    assert "SURVEY_DEMO=1" in message


def test_demo_generates_a_private_secret_key_once(tmp_path: Path) -> None:
    first = create_app(
        {"SURVEY_DEMO": "1", "SURVEY_INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "sqlite://"}
    )
    second = create_app(
        {"SURVEY_DEMO": "1", "SURVEY_INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "sqlite://"}
    )
    key_file = tmp_path / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first.secret_key == second.secret_key == key_file.read_text().strip()
    assert len(first.secret_key or "") >= 32


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@db:5432/survey", "postgresql+psycopg://u:p@db:5432/survey"),
        ("postgresql://u@db/survey", "postgresql+psycopg://u@db/survey"),
        ("postgresql+psycopg://u@db/survey", "postgresql+psycopg://u@db/survey"),
        ("sqlite:////srv/survey.db", "sqlite:////srv/survey.db"),
    ],
)
def test_database_urls_are_normalised_to_psycopg(given: str, expected: str) -> None:
    assert load_settings(environ={"DATABASE_URL": given}).database_url == expected


def test_environment_variables_are_read_and_overrides_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SURVEY_SESSION_LIFETIME_MINUTES", "30")
    monkeypatch.setenv("SURVEY_PROXY_FIX_HOPS", "")  # empty counts as unset
    settings = load_settings({"SURVEY_PROXY_FIX_HOPS": 2})
    assert (settings.session_lifetime_minutes, settings.proxy_fix_hops) == (30, 2)


def test_default_database_is_sqlite_in_the_instance_folder_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    app = create_app({**TEST_SETTINGS, "SURVEY_INSTANCE_PATH": str(tmp_path / "inst")})
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'inst' / 'survey.db'}"
    engine = get_engine(app)
    with engine.connect() as connection:
        pragmas = [
            connection.execute(text(f"PRAGMA {p}")).scalar()
            for p in ("journal_mode", "foreign_keys", "busy_timeout")
        ]
    engine.dispose()
    assert pragmas == ["wal", 1, 5000]


def test_session_cookie_is_httponly_lax_and_secure_behind_https(tmp_path: Path) -> None:
    plain = build_test_app("sqlite://", tmp_path)
    assert plain.config["SESSION_COOKIE_HTTPONLY"]
    assert plain.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert not plain.config["SESSION_COOKIE_SECURE"]
    https = build_test_app("sqlite://", tmp_path, SURVEY_PUBLIC_BASE_URL="https://survey.example.org")
    assert https.config["SESSION_COOKIE_SECURE"]
    assert https.config["PREFERRED_URL_SCHEME"] == "https"


@pytest.fixture
def sqlite_template_url(_sqlite_template: Path, tmp_path: Path) -> str:
    """A migrated SQLite database for tests that are not about the backend."""
    path = tmp_path / "copy.db"
    shutil.copyfile(_sqlite_template, path)
    return sqlite_url(path)


def _add_echo_route(app: Flask) -> None:
    @public_route
    def echo() -> str:
        return f"{request.scheme} {request.remote_addr}"

    app.add_url_rule("/_echo", view_func=echo)


@pytest.mark.parametrize(("hops", "expected"), [(0, "http 127.0.0.1"), (1, "https 203.0.113.9")])
def test_proxy_fix_trusts_forwarded_headers_only_when_configured(
    sqlite_template_url: str, tmp_path: Path, hops: int, expected: str
) -> None:
    configured = build_test_app(sqlite_template_url, tmp_path, SURVEY_PROXY_FIX_HOPS=hops)
    _add_echo_route(configured)
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    assert configured.test_client().get("/_echo", headers=headers).get_data(as_text=True) == expected
    get_engine(configured).dispose()


def test_unmigrated_database_gets_a_503_naming_the_upgrade_command(
    empty_database_url: str, tmp_path: Path
) -> None:
    app = build_test_app(empty_database_url, tmp_path)
    client = app.test_client()
    for path in ("/login", "/", "/no-such-page"):
        response = client.get(path)
        assert response.status_code == 503, path
        assert "survey db upgrade" in response.get_data(as_text=True)
    assert client.get("/static/app.css").status_code == 200  # the error page keeps its style
    # No restart needed once someone has run the command.
    schema.upgrade(get_engine(app))
    assert client.get("/login").status_code == 200
    get_engine(app).dispose()


def test_health_check_answers_without_signing_in(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_security_headers_and_no_caching_of_pages(client) -> None:
    page = client.get("/login")
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/static/app.css").headers.get("Cache-Control", "")


def test_not_found_page_is_in_the_base_layout_and_the_visitors_language(client) -> None:
    response = client.get("/no-such-page", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    body = response.get_data(as_text=True)
    assert response.status_code == 404
    assert '<html lang="zh-Hans">' in body
    assert "找不到页面" in body
    assert 'href="#main"' in body


@pytest.mark.app_config(PROPAGATE_EXCEPTIONS=False)
def test_server_error_page_does_not_touch_the_user_menu(app: Flask, client, login) -> None:
    @public_route
    def broken() -> str:
        raise RuntimeError("boom")

    app.add_url_rule("/_broken", view_func=broken)
    login("admin")
    response = client.get("/_broken")
    body = response.get_data(as_text=True)
    # A broken database may be the cause: the page must not load the user to draw the menu.
    assert response.status_code == 500
    assert "Something went wrong" in body
    assert "Sign out" not in body


def test_method_not_allowed_has_its_page(client) -> None:
    response = client.get("/logout")
    assert response.status_code == 405
    assert "Not allowed" in response.get_data(as_text=True)


def test_pages_load_nothing_from_the_network() -> None:
    root = Path(__file__).resolve().parents[2] / "survey_app"
    offenders = []
    for path in [*root.glob("**/templates/**/*.html"), *root.glob("static/**/*.css")]:
        content = path.read_text()
        for marker in (
            'src="http',
            "src='http",
            'src="//',
            'rel="stylesheet" href="http',
            "url(http",
            "url(//",
            "@import",
        ):
            if marker in content:
                offenders.append(f"{path.relative_to(root)}: {marker}")
    assert not offenders
