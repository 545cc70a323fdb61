"""Do-not-contact list (staff entries are ``OptOut`` rows, source 'staff') and the contact-frequency rule."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, col, select

from survey_app.auth.models import Role
from survey_app.db import open_session
from survey_app.fieldwork.models import OptOut
from survey_app.frames.models import ContactRules
from survey_app.frames.queries import contact_frequency_days


def _addresses(db_session: Session) -> list[tuple[str, str]]:
    db_session.expire_all()
    return [
        (o.address, o.source) for o in db_session.exec(select(OptOut).order_by(col(OptOut.address))).all()
    ]


def test_add_phone_and_email_normalised_like_opt_outs(
    client: FlaskClient, login: Callable, db_session: Session
) -> None:
    login(Role.researcher)
    first = client.post("/frames/do-not-contact/add", data={"address": "138-0013-8000", "region": "CN"})
    assert first.status_code == 302
    client.post("/frames/do-not-contact/add", data={"address": " Zhang@Example.COM ", "region": "CN"})
    assert _addresses(db_session) == [("+8613800138000", "staff"), ("zhang@example.com", "staff")]
    page = client.get("/frames/do-not-contact").get_data(as_text=True)
    assert "+8613800138000 will not be contacted." in page or "+8613800138000" in page


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("12345", "is neither a valid phone number nor a valid e-mail address"),
        ("zhang@", "is neither a valid phone number nor a valid e-mail address"),
        ("", "This field is required."),
    ],
)
def test_bad_address_is_refused_with_a_specific_error(
    client: FlaskClient, login: Callable, db_session: Session, address: str, message: str
) -> None:
    login(Role.researcher)
    response = client.post("/frames/do-not-contact/add", data={"address": address, "region": "CN"})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _addresses(db_session) == []


def test_adding_twice_says_it_is_already_listed(
    client: FlaskClient, login: Callable, db_session: Session
) -> None:
    login(Role.admin)
    db_session.add(OptOut(address="+8613800138000", source="sms_keyword"))
    db_session.commit()
    response = client.post("/frames/do-not-contact/add", data={"address": "+86 138 0013 8000", "region": ""})
    assert response.status_code == 400
    assert "+8613800138000 is already on the list." in response.get_data(as_text=True)
    assert _addresses(db_session) == [("+8613800138000", "sms_keyword")]


def test_import_a_file_reports_each_bad_line(
    client: FlaskClient, login: Callable, db_session: Session
) -> None:
    login(Role.researcher)
    db_session.add(OptOut(address="old@example.com", source="staff"))
    db_session.commit()
    text = "地址\n13800138000\nOLD@example.com\nnew@example.com\n\nnot an address\n+86 138 0013 8000\n"
    response = client.post(
        "/frames/do-not-contact/import",
        data={"file": (io.BytesIO(text.encode("gb18030")), "dnc.csv"), "region": "CN"},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "2 added, 1 already listed." in page
    assert "Line 1 not added: “地址”" in page
    assert "Line 6 not added: “not an address”" in page
    assert _addresses(db_session) == [
        ("+8613800138000", "staff"),
        ("new@example.com", "staff"),
        ("old@example.com", "staff"),
    ]


def test_staff_may_remove_staff_entries_but_never_a_respondents_opt_out(
    client: FlaskClient, login: Callable, db_session: Session
) -> None:
    login(Role.researcher)
    staff = OptOut(address="a@example.com", source="staff")
    respondent = OptOut(address="b@example.com", source="email_link")
    db_session.add_all([staff, respondent])
    db_session.commit()
    staff_id = staff.id
    page = client.get("/frames/do-not-contact").get_data(as_text=True)
    assert f"/frames/do-not-contact/{staff.id}/remove" in page
    assert f"/frames/do-not-contact/{respondent.id}/remove" not in page
    refused = client.post(f"/frames/do-not-contact/{respondent.id}/remove", follow_redirects=True)
    assert "staff cannot undo it" in refused.get_data(as_text=True)
    removed = client.post(f"/frames/do-not-contact/{staff.id}/remove", follow_redirects=True)
    assert "a@example.com removed from the do-not-contact list." in removed.get_data(as_text=True)
    assert _addresses(db_session) == [("b@example.com", "email_link")]
    gone = client.post(f"/frames/do-not-contact/{staff_id}/remove", follow_redirects=True)
    assert "That entry no longer exists." in gone.get_data(as_text=True)


def test_search_the_list(client: FlaskClient, login: Callable, db_session: Session) -> None:
    login(Role.researcher)
    db_session.add_all(
        [OptOut(address="a@example.com", source="staff"), OptOut(address="+8613800138000", source="staff")]
    )
    db_session.commit()
    page = client.get("/frames/do-not-contact?q=EXAMPLE").get_data(as_text=True)
    assert "a@example.com" in page
    assert "+8613800138000" not in page


def test_contact_frequency_rule(
    app: Flask, client: FlaskClient, login: Callable, db_session: Session
) -> None:
    user = login(Role.admin)
    with app.app_context(), open_session(app) as session:
        assert contact_frequency_days(session) == 0  # never saved: the rule is off
    assert client.post("/frames/rules", data={"frequency_days": "90"}).status_code == 302
    with app.app_context(), open_session(app) as session:
        assert contact_frequency_days(session) == 90
    rules = db_session.get(ContactRules, 1)
    assert rules is not None
    assert rules.updated_by_id == user.id
    assert 'value="90"' in client.get("/frames/rules").get_data(as_text=True)


@pytest.mark.parametrize("value", ["-1", "99999", "soon", ""])
def test_contact_frequency_rejects_bad_values(
    client: FlaskClient, login: Callable, db_session: Session, value: str
) -> None:
    login(Role.researcher)
    response = client.post("/frames/rules", data={"frequency_days": value})
    assert response.status_code == 400
    assert db_session.get(ContactRules, 1) is None


def test_too_large_address_file_is_refused_not_cut(
    client: FlaskClient, login: Callable, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from survey_app.frames import operations

    monkeypatch.setattr(operations, "MAX_DNC_BYTES", 40)
    login(Role.researcher)
    text = "".join(f"a{i}@example.com\n" for i in range(10))
    response = client.post(
        "/frames/do-not-contact/import",
        data={"file": (io.BytesIO(text.encode()), "dnc.txt"), "region": "CN"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "The file is larger than 0 MB." in response.get_data(as_text=True)  # 40 bytes
    assert _addresses(db_session) == []
