"""Signing in and out, sessions, CSRF and the route declarations at run time."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner
from sqlmodel import Session

from survey_app.auth.access import public_route, roles_required
from survey_app.auth.models import Role, User
from tests.conftest import DEFAULT_PASSWORD, csrf_token_from, sign_in

MakeUser = Callable[..., User]


def signed_in(client: FlaskClient) -> bool:
    return client.get("/").status_code == 200


def test_sign_in_lands_on_the_home_page_and_records_the_time(
    client: FlaskClient, make_user: MakeUser, db_session: Session
) -> None:
    user = make_user(Role.analyst, email="li.na@example.org")
    response = sign_in(client, "  Li.Na@Example.ORG ")  # any letter case, stray spaces
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/"
    home = client.get("/").get_data(as_text=True)
    assert "Analyst" in home
    assert "Sign out" in home
    assert db_session.get(User, user.id).last_login_at is not None


def test_sign_in_returns_to_the_page_asked_for_but_never_off_site(
    client: FlaskClient, make_user: MakeUser
) -> None:
    user = make_user(Role.admin)
    first = client.get("/admin/users")
    assert urlsplit(first.headers["Location"]).query == "next=/admin/users"
    response = sign_in(client, user.email, next="/admin/users")
    assert urlsplit(response.headers["Location"]).path == "/admin/users"
    client.post("/logout")
    for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        response = sign_in(client, user.email, next=evil)
        assert urlsplit(response.headers["Location"]).netloc in ("", "localhost"), evil
        client.post("/logout")


@pytest.mark.parametrize("case", ["wrong password", "unknown address", "deactivated"])
def test_failed_sign_in_gives_one_message_and_no_session(
    client: FlaskClient, make_user: MakeUser, case: str
) -> None:
    user = make_user(Role.researcher, is_active=case != "deactivated")
    email = "nobody@example.org" if case == "unknown address" else user.email
    password = "wrong password!" if case == "wrong password" else DEFAULT_PASSWORD
    response = sign_in(client, email, password)
    assert response.status_code == 200
    assert "The e-mail address or password is not correct." in response.get_data(as_text=True)
    assert not signed_in(client)


def test_deactivating_a_user_ends_their_session(
    client: FlaskClient, login: Callable[..., User], db_session: Session
) -> None:
    user = login(Role.agent)
    assert signed_in(client)
    stored = db_session.get(User, user.id)
    stored.is_active = False
    db_session.commit()
    assert not signed_in(client)


def test_sign_out_needs_a_post_and_clears_the_session(
    client: FlaskClient, login: Callable[..., User]
) -> None:
    login(Role.researcher)
    assert client.get("/logout").status_code == 405  # a link or image cannot sign people out
    response = client.post("/logout")
    assert urlsplit(response.headers["Location"]).path == "/login"
    assert not signed_in(client)
    with client.session_transaction() as session:
        assert "_user_id" not in session


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_sign_in_starts_a_new_session_against_fixation(
    app: Flask, client: FlaskClient, make_user: MakeUser
) -> None:
    user = make_user(Role.researcher)
    page = client.get("/login?lang=zh-Hans")
    token_before = csrf_token_from(page.get_data(as_text=True))
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
        csrf_before = session["csrf_token"]
    cookie_before = client.get_cookie("survey_session").value
    assert token_before

    response = client.post(
        "/login", data={"email": user.email, "password": DEFAULT_PASSWORD, "csrf_token": token_before}
    )
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("csrf_token") in (None,) or session["csrf_token"] != csrf_before
        assert session["lang"] == "zh-Hans"  # the language picked before signing in is kept
    assert client.get_cookie("survey_session").value != cookie_before
    page_after = client.get("/account").get_data(as_text=True)
    assert csrf_token_from(page_after) not in (None, token_before)

    # The pre-login cookie is worth nothing: it is still an anonymous session.
    other = app.test_client()
    other.set_cookie("survey_session", cookie_before)
    assert not signed_in(other)


def test_a_session_cookie_replayed_from_another_browser_is_signed_out(
    app: Flask, client: FlaskClient, login: Callable[..., User]
) -> None:
    login(Role.researcher)
    stolen = client.get_cookie("survey_session").value
    thief = app.test_client()
    thief.set_cookie("survey_session", stolen)
    response = thief.get("/", headers={"User-Agent": "SomethingElse/1.0"})
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"


@pytest.mark.app_config(SURVEY_SESSION_LIFETIME_MINUTES=5)
def test_session_ends_with_the_browser_and_expires_after_the_lifetime(
    client: FlaskClient, login: Callable[..., User], monkeypatch: pytest.MonkeyPatch
) -> None:
    login(Role.researcher)
    cookie = client.get_cookie("survey_session")
    assert cookie.expires is None
    assert cookie.http_only
    assert signed_in(client)
    later = int(time.time()) + 6 * 60
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: later)
    assert not signed_in(client)


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_a_form_without_csrf_token_gets_a_clear_400(client: FlaskClient, make_user: MakeUser) -> None:
    user = make_user(Role.researcher)
    response = client.post("/login", data={"email": user.email, "password": DEFAULT_PASSWORD})
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "valid security token" in body
    assert "Reload the page" in body
    assert not signed_in(client)


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_sign_out_button_carries_a_csrf_token(client: FlaskClient, login: Callable[..., User]) -> None:
    login(Role.researcher)
    assert client.post("/logout").status_code == 400
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert not signed_in(client)


def test_changing_ones_password_signs_out_other_sessions_only(
    app: Flask, client: FlaskClient, login: Callable[..., User]
) -> None:
    user = login(Role.qa_auditor)
    other = app.test_client()
    login(user, client=other)
    new_password = "a new and long password"
    wrong = client.post(
        "/account/password",
        data={"current_password": "nope", "new_password": new_password, "confirm_password": new_password},
    )
    assert "The current password is not correct." in wrong.get_data(as_text=True)
    response = client.post(
        "/account/password",
        data={
            "current_password": DEFAULT_PASSWORD,
            "new_password": new_password,
            "confirm_password": new_password,
        },
    )
    assert response.status_code == 302
    assert signed_in(client)
    assert not signed_in(other)
    client.post("/logout")
    assert sign_in(client, user.email, new_password).status_code == 302


def test_preferred_language_applies_after_sign_in(client: FlaskClient, login: Callable[..., User]) -> None:
    user = login(Role.researcher)
    client.post("/account", data={"preferred_language": "zh-Hant"})
    assert '<html lang="zh-Hant">' in client.get("/").get_data(as_text=True)
    client.post("/logout")
    with client.session_transaction() as session:
        session.clear()
    login(user)
    assert "首頁" in client.get("/").get_data(as_text=True)


def test_roles_required_needs_at_least_one_role() -> None:
    with pytest.raises(TypeError, match="public_route"):
        roles_required()


def test_an_undeclared_endpoint_is_refused_at_run_time(app: Flask, client: FlaskClient, login) -> None:
    def forgotten() -> str:
        return "secret"

    @roles_required(Role.admin)
    def admins_only() -> str:
        return "admin page"

    app.add_url_rule("/_forgotten", view_func=forgotten)
    app.add_url_rule("/_admins", view_func=admins_only)
    app.add_url_rule("/_open", view_func=public_route(lambda: "open"), endpoint="_open")
    assert client.get("/_open").get_data(as_text=True) == "open"
    login(Role.admin)
    assert client.get("/_forgotten").status_code == 403
    assert client.get("/_admins").get_data(as_text=True) == "admin page"
