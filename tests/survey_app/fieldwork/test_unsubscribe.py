"""RFC 8058 one-click unsubscribe and the unsubscribe page; an e-mail opt-out stops every channel."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from survey_app.fieldwork.links import unsubscribe_token
from survey_app.fieldwork.models import AttemptState, ContactAttempt, OptOut
from tests.survey_app.fieldwork.conftest import (
    PUBLIC_BASE_URL,
    launch,
    make_case,
    make_survey,
    plan,
    send,
    twilio_settings,
)

NOW = dt.datetime(2026, 6, 10, 9, 0, tzinfo=dt.UTC)


def unsubscribe_path(mailbox) -> str:
    header = str(mailbox.received[-1].message["List-Unsubscribe"]).strip()
    assert header.startswith(f"<{PUBLIC_BASE_URL}")
    assert header.endswith(">")
    return header[1 + len(PUBLIC_BASE_URL) : -1]


def opt_outs(session) -> dict[str, str]:
    session.expire_all()
    return {o.address: o.source for o in session.exec(select(OptOut))}


def test_one_click_post_from_the_header_opts_out_without_cookies_or_csrf(app, db_session, mailbox):
    survey = make_survey(db_session)
    make_case(db_session, survey, email="ann@example.org", phone="+14155550123")
    launch(db_session, survey, [{"channel": "email", "day": 0}], now=NOW)
    plan(app, db_session, NOW)
    send(app, db_session, "email", NOW)
    path = unsubscribe_path(mailbox)
    # A mail provider's one-click POST: a fresh client, the RFC 8058 body, CSRF protection on.
    app.config["WTF_CSRF_ENABLED"] = True
    response = app.test_client().post(
        path,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert opt_outs(db_session) == {"ann@example.org": "email_link", "+14155550123": "email_link"}
    # Repeating it changes nothing and still answers 200.
    assert app.test_client().post(path, data="List-Unsubscribe=One-Click").status_code == 200
    assert len(opt_outs(db_session)) == 2


def test_the_page_asks_first_and_a_get_changes_nothing(app, db_session, client):
    survey = make_survey(db_session)
    case = make_case(db_session, survey, email="ann@example.org")
    path = f"/u/{unsubscribe_token(app.config['SECRET_KEY'], case.id)}"
    page = client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Do you want to stop all messages and calls about our surveys?" in html
    assert f'action="{path}"' in html
    assert opt_outs(db_session) == {}
    done = client.post(path).get_data(as_text=True)
    assert "You have been unsubscribed" in done
    assert opt_outs(db_session) == {"ann@example.org": "email_link"}


def test_the_page_is_in_the_respondents_language(app, db_session, client):
    survey = make_survey(db_session)
    case = make_case(db_session, survey, email="li@example.cn", language="zh-Hans")
    path = f"/u/{unsubscribe_token(app.config['SECRET_KEY'], case.id)}"
    html = client.get(path).get_data(as_text=True)
    assert '<html lang="zh-Hans">' in html
    assert "退订" in html


def test_a_forged_or_broken_link_gets_a_clear_404_and_records_nothing(app, db_session, client):
    survey = make_survey(db_session)
    case = make_case(db_session, survey, email="ann@example.org")
    forged = unsubscribe_token("another-secret-key-entirely", case.id)
    for path in (
        f"/u/{forged}",
        "/u/not-a-token",
        f"/u/{unsubscribe_token(app.config['SECRET_KEY'], 999999)}",
    ):
        for method in (client.get, client.post):
            response = method(path)
            assert response.status_code == 404
            assert "This unsubscribe link is not valid" in response.get_data(as_text=True)
    assert opt_outs(db_session) == {}


def test_an_email_opt_out_stops_a_scheduled_sms_in_every_survey(app, db_session, mailbox, fake_twilio):
    twilio_settings(app, fake_twilio)
    first, second = make_survey(db_session, name="First"), make_survey(db_session, name="Second")
    ann = make_case(db_session, first, email="ann@example.org", phone="+14155550123")
    # The same person, drawn into another survey with only her phone number.
    ann_again = make_case(db_session, second, phone="+14155550123")
    other = make_case(db_session, second, phone="+14155550199")
    launch(db_session, first, [{"channel": "email", "day": 0}, {"channel": "sms", "day": 2}], now=NOW)
    launch(db_session, second, [{"channel": "sms", "day": 2}], now=NOW)
    plan(app, db_session, NOW)
    send(app, db_session, "email", NOW)
    assert (
        app.test_client().post(unsubscribe_path(mailbox), data="List-Unsubscribe=One-Click").status_code
        == 200
    )

    later = NOW + dt.timedelta(days=2)
    assert send(app, db_session, "sms", later) == {"skipped:opted_out": 2, "sent": 1}
    db_session.expire_all()
    sms = {
        a.case_id: a for a in db_session.exec(select(ContactAttempt).where(ContactAttempt.channel == "sms"))
    }
    for case in (ann, ann_again):
        assert (sms[case.id].state, sms[case.id].skip_reason) == (AttemptState.skipped, "opted_out")
    assert sms[other.id].state is AttemptState.sent
    # Twilio was asked to send exactly one message: to the other person.
    sent_to = [form["To"] for _method, path, form in fake_twilio.requests if path.endswith("/Messages.json")]
    assert sent_to == [["+14155550199"]]
