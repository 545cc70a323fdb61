"""User administration by admins, and the account rules behind it."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from survey_app.auth.models import Role, User
from survey_app.auth.operations import UserError, create_user
from tests.conftest import sign_in

Login = Callable[..., User]


def new_user_form(**fields: object) -> dict[str, object]:
    return {"display_name": "Wang Fang", "role": "researcher", "preferred_language": "", **fields}


def test_admin_lists_users(client: FlaskClient, login: Login, make_user: Callable[..., User]) -> None:
    login(Role.admin)
    make_user(Role.agent, email="agent.zhou@example.org", vendor_id=7)
    body = client.get("/admin/users").get_data(as_text=True)
    assert "agent.zhou@example.org" in body
    assert "Call agent" in body
    assert ">7<" in body


def test_admin_creates_a_user_with_a_password_shown_once(
    app: Flask, client: FlaskClient, login: Login, db_session: Session
) -> None:
    login(Role.admin)
    response = client.post("/admin/users/new", data=new_user_form(email="Wang.Fang@Example.org"))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    password = re.search(r'<p class="secret"><code>([^<]+)</code>', response.get_data(as_text=True)).group(1)
    user = db_session.exec(select(User).where(User.email == "wang.fang@example.org")).one()
    assert user.role == Role.researcher
    assert user.vendor_id is None
    assert sign_in(app.test_client(), "wang.fang@example.org", password).status_code == 302


def test_admin_creates_a_vendor_agent_with_a_chosen_password(
    client: FlaskClient, login: Login, db_session: Session
) -> None:
    login(Role.admin)
    form = new_user_form(email="agent@example.org", role="agent", password="a chosen long password")
    missing_vendor = client.post("/admin/users/new", data=form)
    assert "Vendor managers and call agents need a vendor." in missing_vendor.get_data(as_text=True)
    response = client.post("/admin/users/new", data={**form, "vendor_id": "3"})
    assert response.status_code == 302
    assert db_session.exec(select(User).where(User.email == "agent@example.org")).one().vendor_id == 3


def test_duplicate_e_mail_is_refused_in_any_letter_case(
    client: FlaskClient, login: Login, make_user: Callable[..., User]
) -> None:
    login(Role.admin)
    make_user(Role.analyst, email="dup@example.org")
    response = client.post("/admin/users/new", data=new_user_form(email="DUP@example.org"))
    assert "A user with this e-mail address already exists." in response.get_data(as_text=True)


def test_the_database_itself_keeps_e_mails_unique_and_lower_case(app: Flask, db_session: Session) -> None:
    with app.app_context():
        create_user(db_session, email="x@example.org", display_name="X", role=Role.analyst, password="p" * 12)
    db_session.add(User(email="x@example.org", display_name="Y", password_hash="h", role=Role.analyst))
    with pytest.raises(IntegrityError):
        db_session.commit()
    db_session.rollback()
    db_session.add(User(email="Upper@example.org", display_name="Z", password_hash="h", role=Role.analyst))
    with pytest.raises(IntegrityError):
        db_session.commit()


def test_admin_edits_role_and_active_flag(
    client: FlaskClient, login: Login, make_user: Callable[..., User], db_session: Session
) -> None:
    login(Role.admin)
    user = make_user(Role.researcher)
    form = {"display_name": "Chen Jie", "role": "qa_auditor", "preferred_language": "zh-Hans"}
    response = client.post(f"/admin/users/{user.id}", data=form)  # unchecked box: deactivated
    assert response.status_code == 302
    stored = db_session.get(User, user.id)
    assert (stored.role, stored.is_active, stored.display_name, stored.preferred_language) == (
        Role.qa_auditor,
        False,
        "Chen Jie",
        "zh-Hans",
    )


def test_admins_cannot_lock_themselves_or_everyone_out(
    client: FlaskClient, login: Login, db_session: Session
) -> None:
    admin = login(Role.admin)
    response = client.post(
        f"/admin/users/{admin.id}",
        data={"display_name": "Me", "role": "researcher", "preferred_language": "", "is_active": "y"},
    )
    assert "You cannot remove your own administrator access." in response.get_data(as_text=True)
    assert db_session.get(User, admin.id).role == Role.admin


def test_the_last_active_admin_cannot_be_demoted(
    app: Flask, make_user: Callable[..., User], db_session: Session
) -> None:
    from survey_app.auth.operations import update_user

    only_admin = make_user(Role.admin)
    other = make_user(Role.admin, is_active=False)
    with app.app_context(), pytest.raises(UserError, match="At least one active administrator"):
        update_user(
            db_session, db_session.get(User, only_admin.id), acting_user=other, display_name="A",
            role=Role.analyst, vendor_id=None, preferred_language=None, is_active=True,
        )  # fmt: skip


def test_admin_resets_a_password_and_the_users_sessions_end(
    app: Flask, client: FlaskClient, login: Login, make_user: Callable[..., User]
) -> None:
    user = make_user(Role.researcher)
    users_client = app.test_client()
    login(user, client=users_client)
    login(Role.admin)
    response = client.post(f"/admin/users/{user.id}/password", data={"password": "the reset password"})
    assert response.status_code == 302
    assert users_client.get("/").status_code == 302  # signed out
    assert sign_in(app.test_client(), user.email).status_code == 200  # old password refused
    assert sign_in(app.test_client(), user.email, "the reset password").status_code == 302


def test_unknown_user_is_a_404(client: FlaskClient, login: Login) -> None:
    login(Role.admin)
    assert client.get("/admin/users/999999").status_code == 404
    assert client.get("/admin/users/999999/password").status_code == 404


def test_nav_shows_each_role_only_what_it_may_open(client: FlaskClient, login: Login) -> None:
    login(Role.agent)
    body = client.get("/").get_data(as_text=True)
    assert 'href="/account"' in body
    assert 'href="/admin/users"' not in body
    client.post("/logout")
    login(Role.admin)
    assert 'href="/admin/users"' in client.get("/").get_data(as_text=True)
