"""E-mail through real SMTP (aiosmtpd on loopback): content, RFC 8058 headers, bounces, retries."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from survey_app.fieldwork.links import personal_link_token
from survey_app.fieldwork.models import AttemptState, ContactAttempt
from survey_app.fieldwork.sending import BACKOFF_BASE_SECONDS, MAX_RETRIES
from tests.survey_app.fieldwork.conftest import PUBLIC_BASE_URL, launch, make_case, make_survey, plan, send

NOW = dt.datetime(2026, 6, 10, 9, 0, tzinfo=dt.UTC)
INVITE = [{"channel": "email", "day": 0, "kind": "invite"}]


def attempts(session, case_id: int) -> list[ContactAttempt]:
    session.expire_all()
    return list(
        session.exec(
            select(ContactAttempt).where(ContactAttempt.case_id == case_id).order_by(ContactAttempt.step)
        )
    )


def test_invitation_is_localised_html_and_text_with_the_personal_link(app, db_session, mailbox, client):
    survey = make_survey(db_session)
    english = make_case(db_session, survey, email="Ann@Example.org", name="Ann", language="en")
    chinese = make_case(db_session, survey, email="li@example.cn", name="李雷", language="zh-Hans")
    launch(db_session, survey, INVITE, now=NOW)
    assert plan(app, db_session, NOW) == 2
    assert send(app, db_session, "email", NOW) == {"sent": 2}

    by_recipient = {r.recipients[0]: r.message for r in mailbox.received}
    assert set(by_recipient) == {"ann@example.org", "li@example.cn"}
    for case, address, greeting, subject in (
        (english, "ann@example.org", "Dear Ann,", "Your opinion on Service survey"),
        (chinese, "li@example.cn", "李雷，您好：", "诚邀您参与：服务调查"),
    ):
        message = by_recipient[address]
        assert message["Subject"] == subject
        assert message.get_content_type() == "multipart/alternative"
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        token = personal_link_token(app.config["SECRET_KEY"], case.id)
        link = f"{PUBLIC_BASE_URL}/s/{token}"
        assert greeting in text
        assert link in text
        assert f'href="{link}"' in html
        # The link works: the case's token hash was set when the step was planned.
        assert client.get(f"/s/{token}").status_code == 200
        assert message["List-Unsubscribe"].strip().startswith(f"<{PUBLIC_BASE_URL}/u/")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        attempt = attempts(db_session, case.id)[0]
        assert attempt.state is AttemptState.sent
        # The Message-ID is derived from the attempt's key: a re-send would carry the same one.
        assert message["Message-ID"] == attempt.provider_id
        assert attempt.idempotency_key in attempt.provider_id
    assert by_recipient["li@example.cn"]["Content-Language"] == "zh-Hans"


def test_a_refused_recipient_is_a_bounce_recorded_on_the_attempt(app, db_session, mailbox):
    survey = make_survey(db_session)
    case = make_case(db_session, survey, email="nobody@example.org")
    mailbox.refuse["nobody@example.org"] = "550 5.1.1 <nobody@example.org>: no such user"
    launch(db_session, survey, INVITE, now=NOW)
    plan(app, db_session, NOW)
    assert send(app, db_session, "email", NOW) == {"bounced": 1}
    attempt = attempts(db_session, case.id)[0]
    assert attempt.state is AttemptState.bounced
    assert attempt.error_code == "550"
    assert "no such user" in (attempt.error_message or "")
    assert attempt.finished_at == NOW
    assert mailbox.received == []
    # Nothing more happens to it.
    assert send(app, db_session, "email", NOW + dt.timedelta(hours=1)) == {}


def test_a_permanent_refusal_of_the_message_is_a_failure(app, db_session, mailbox):
    survey = make_survey(db_session)
    case = make_case(db_session, survey, email="ann@example.org")
    mailbox.data_reply = "554 5.7.1 message rejected as spam"
    launch(db_session, survey, INVITE, now=NOW)
    plan(app, db_session, NOW)
    assert send(app, db_session, "email", NOW) == {"failed": 1}
    attempt = attempts(db_session, case.id)[0]
    assert (attempt.state, attempt.error_code) == (AttemptState.failed, "554")


def test_temporary_failures_are_retried_with_growing_backoff_then_given_up(app, db_session, mailbox):
    survey = make_survey(db_session)
    case = make_case(db_session, survey, email="ann@example.org")
    mailbox.data_reply = "451 4.3.0 try again later"
    launch(db_session, survey, INVITE, now=NOW)
    plan(app, db_session, NOW)
    now, delays = NOW, []
    for _ in range(MAX_RETRIES):
        assert send(app, db_session, "email", now) == {"retry": 1}
        attempt = attempts(db_session, case.id)[0]
        assert attempt.state is AttemptState.planned
        assert attempt.error_code == "451"
        assert attempt.next_retry_at is not None
        delays.append((attempt.next_retry_at - now).total_seconds())
        # Not due before its retry time.
        assert send(app, db_session, "email", attempt.next_retry_at - dt.timedelta(seconds=1)) == {}
        now = attempt.next_retry_at
    assert delays == [BACKOFF_BASE_SECONDS * 2**n for n in range(MAX_RETRIES)]
    assert send(app, db_session, "email", now) == {"failed": 1}
    attempt = attempts(db_session, case.id)[0]
    assert attempt.state is AttemptState.failed
    assert f"gave up after {MAX_RETRIES} retries" in (attempt.error_message or "")


def test_a_retry_that_succeeds_sends_once(app, db_session, mailbox):
    survey = make_survey(db_session)
    case = make_case(db_session, survey, email="ann@example.org")
    mailbox.data_reply = "421 4.7.0 too many connections"
    launch(db_session, survey, INVITE, now=NOW)
    plan(app, db_session, NOW)
    assert send(app, db_session, "email", NOW) == {"retry": 1}
    mailbox.data_reply = None
    later = NOW + dt.timedelta(seconds=BACKOFF_BASE_SECONDS)
    assert send(app, db_session, "email", later) == {"sent": 1}
    assert len(mailbox.received) == 1
    attempt = attempts(db_session, case.id)[0]
    assert (attempt.state, attempt.retry_count, attempt.sent_at) == (AttemptState.sent, 1, later)


def test_missing_smtp_settings_send_nothing_and_lose_nothing(app, db_session, mailbox):
    survey = make_survey(db_session)
    case = make_case(db_session, survey, email="ann@example.org")
    launch(db_session, survey, INVITE, now=NOW)
    plan(app, db_session, NOW)
    app.config["SURVEY_SETTINGS"] = app.config["SURVEY_SETTINGS"].model_copy(update={"smtp_host": None})
    assert send(app, db_session, "email", NOW) == {"not_configured": 1}
    assert attempts(db_session, case.id)[0].state is AttemptState.planned


def test_an_http_public_address_stops_e_mail_with_a_clear_log_and_loses_nothing(
    app, db_session, mailbox, caplog
):
    survey = make_survey(db_session)
    case = make_case(db_session, survey, email="ann@example.org")
    launch(db_session, survey, INVITE, now=NOW)
    plan(app, db_session, NOW)
    settings = app.config["SURVEY_SETTINGS"]
    app.config["SURVEY_SETTINGS"] = settings.model_copy(
        update={"public_base_url": "http://survey.example.org"}
    )
    assert send(app, db_session, "email", NOW) == {"not_configured": 1}
    assert "set SURVEY_PUBLIC_BASE_URL to https" in caplog.text
    assert attempts(db_session, case.id)[0].state is AttemptState.planned
    assert mailbox.received == []
