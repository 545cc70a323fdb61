"""Late bounces: VERP return path, DSN reading (CLI and Maildir job), and what a bounce changes."""

from __future__ import annotations

import datetime as dt
import mailbox as maildir_module
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from survey_app.config import SettingsError, load_settings
from survey_app.fieldwork import bounces, monitor, operations, tasks
from survey_app.fieldwork.links import attempt_from_bounce_token, bounce_token
from survey_app.fieldwork.models import AttemptState, ContactAttempt
from survey_app.integrations import dsn
from survey_app.scheduling import runner
from survey_app.scheduling.jobs import JOBS
from tests.survey_app.fieldwork.conftest import launch, make_case, make_survey, plan, send
from tests.survey_app.fieldwork.dsn_fixtures import auto_reply, delivery_report

NOW = dt.datetime(2026, 6, 10, 9, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(hours=2)
REMINDER_DAY = NOW + dt.timedelta(days=3)
STEPS = [
    {"channel": "email", "day": 0, "kind": "invite"},
    {"channel": "email", "day": 3, "kind": "reminder"},
]
BOUNCES = "bounces@example.org"
with_bounce_address = pytest.mark.app_config(SURVEY_BOUNCE_ADDRESS=BOUNCES)


def attempts(session, case_id: int) -> list[ContactAttempt]:
    session.expire_all()
    return list(
        session.exec(
            select(ContactAttempt).where(ContactAttempt.case_id == case_id).order_by(ContactAttempt.step)
        )
    )


@pytest.fixture
def invited(app, db_session, mailbox):
    """One case whose invitation went out (reminder planned for day 3); returns (case, received mail)."""
    survey = make_survey(db_session)
    case = make_case(db_session, survey, email="ann@example.net")
    launch(db_session, survey, STEPS, now=NOW)
    assert plan(app, db_session, NOW) == 2
    assert send(app, db_session, "email", NOW) == {"sent": 1}
    (received,) = mailbox.received
    return case, received


def process(app, db_session, message, **kwargs) -> bounces.BounceOutcome:
    return bounces.process_message(
        db_session, message.as_bytes(), secret_key=app.config["SECRET_KEY"], now=LATER, **kwargs
    )


# --- VERP return path ---------------------------------------------------------------------------


@with_bounce_address
def test_each_message_goes_out_with_its_signed_verp_return_path(app, db_session, invited):
    case, received = invited
    invitation = attempts(db_session, case.id)[0]
    token = bounce_token(app.config["SECRET_KEY"], invitation.id)
    # What the SMTP server saw in MAIL FROM, and the header quoted back by reports.
    assert received.sender == f"bounces+{token}@example.org"
    assert received.message["X-Survey-Attempt"] == token
    assert received.message["From"] == "Survey team <survey@example.org>"
    assert attempt_from_bounce_token(app.config["SECRET_KEY"], token.upper()) == invitation.id
    assert attempt_from_bounce_token("another-secret-key-entirely", token) is None


def test_without_a_bounce_address_the_return_path_is_the_from_address(invited):
    _case, received = invited
    assert received.sender == "survey@example.org"
    assert "X-Survey-Attempt" not in received.message


def test_bounce_settings_are_validated_with_their_names():
    good = load_settings(
        environ={"SURVEY_BOUNCE_ADDRESS": " bounces@Example.ORG ", "SURVEY_BOUNCE_MAILDIR": "/var/mail/b"}
    )
    assert (good.bounce_address, good.bounce_maildir) == ("bounces@example.org", "/var/mail/b")
    for name, value, words in (
        ("SURVEY_BOUNCE_ADDRESS", "not an address", "must be a plain e-mail address"),
        ("SURVEY_BOUNCE_ADDRESS", "bounces+x@example.org", "must not contain + before the @"),
        ("SURVEY_BOUNCE_ADDRESS", "退信@example.org", "must be a plain e-mail address"),
        ("SURVEY_BOUNCE_MAILDIR", "mail/bounces", "must be an absolute path"),
    ):
        with pytest.raises(SettingsError) as caught:
            load_settings(environ={name: value})
        assert caught.value.problems[0].startswith(f"{name} {words}"), caught.value.problems


# --- what a report changes ----------------------------------------------------------------------


@with_bounce_address
def test_a_hard_bounce_marks_the_attempt_and_skips_later_e_mail_steps(app, db_session, mailbox, invited):
    case, received = invited
    report = delivery_report(to=received.sender, original=received.message)
    result = process(app, db_session, report)
    invitation, reminder = attempts(db_session, case.id)
    assert (result.outcome, result.attempt_id) == ("bounced", invitation.id)
    assert invitation.state is AttemptState.bounced
    assert invitation.error_code == "5.1.1"
    assert "Recipient address rejected: User unknown" in (invitation.error_message or "")
    assert invitation.finished_at == LATER
    assert invitation.sent_at == NOW

    # The same report again (a retried delivery): recorded once, nothing moves.
    again = process(app, db_session, report)
    assert again.outcome == "already_recorded"
    assert attempts(db_session, case.id)[0].updated_at == LATER

    # The reminder is skipped the way a case without an address is, and nothing is sent.
    assert send(app, db_session, "email", REMINDER_DAY) == {"skipped:no_address": 1}
    assert attempts(db_session, case.id)[1].skip_reason == "no_address"
    assert len(mailbox.received) == 1

    # The monitor counts the case as attempted, not delivered, and unreachable by e-mail.
    (email_row,) = monitor.query_by_channel(db_session, case.survey_id)
    assert (email_row.attempted, email_row.delivered, email_row.unreachable) == (1, 0, 1)
    (stratum_row,) = monitor.query_by_stratum(db_session, case.survey_id)
    assert stratum_row.unreachable == 1


@with_bounce_address
def test_a_corrected_address_is_usable_again(app, db_session, mailbox, invited):
    case, received = invited
    assert process(app, db_session, delivery_report(to=received.sender)).outcome == "bounced"
    operations.set_delivery_details(db_session, case, email="ann.lee@example.net")
    assert send(app, db_session, "email", REMINDER_DAY) == {"sent": 1}
    assert mailbox.received[-1].recipients == ["ann.lee@example.net"]


def test_a_recipient_refused_at_smtp_time_also_skips_later_e_mail_steps(app, db_session, mailbox):
    survey = make_survey(db_session)
    make_case(db_session, survey, email="nobody@example.org")
    mailbox.refuse["nobody@example.org"] = "550 5.1.1 <nobody@example.org>: no such user"
    launch(db_session, survey, STEPS, now=NOW)
    plan(app, db_session, NOW)
    assert send(app, db_session, "email", NOW) == {"bounced": 1}
    assert send(app, db_session, "email", REMINDER_DAY) == {"skipped:no_address": 1}
    assert mailbox.received == []


@with_bounce_address
def test_a_transient_delay_is_recorded_and_changes_nothing_else(app, db_session, mailbox, invited):
    case, received = invited
    report = delivery_report(
        to=received.sender,
        action="delayed",
        status="4.4.1",
        diagnostic="smtp; 421 4.4.1 mx.example.net: connection timed out",
    )
    assert process(app, db_session, report).outcome == "delayed"
    invitation = attempts(db_session, case.id)[0]
    assert (invitation.state, invitation.error_code) == (AttemptState.sent, "4.4.1")
    assert (invitation.error_message or "").startswith("delayed: smtp; 421 4.4.1")
    assert invitation.finished_at is None
    assert process(app, db_session, report).outcome == "already_recorded"
    # The address is still good: the reminder goes out.
    assert send(app, db_session, "email", REMINDER_DAY) == {"sent": 1}
    # A hard bounce after the delay still counts; a delay after it changes nothing.
    assert process(app, db_session, delivery_report(to=received.sender)).outcome == "bounced"
    assert process(app, db_session, report).outcome == "already_recorded"
    assert attempts(db_session, case.id)[0].error_code == "5.1.1"


@with_bounce_address
def test_a_server_giving_up_after_retries_is_undelivered_and_the_address_kept(
    app, db_session, mailbox, invited
):
    case, received = invited
    report = delivery_report(
        to=received.sender, status="4.4.7", diagnostic="X-Postfix; delivery temporarily suspended"
    )
    assert process(app, db_session, report).outcome == "undelivered"
    assert attempts(db_session, case.id)[0].state is AttemptState.undelivered
    assert send(app, db_session, "email", REMINDER_DAY) == {"sent": 1}


@with_bounce_address
def test_the_quoted_message_names_the_attempt_when_the_address_does_not(app, db_session, invited):
    case, received = invited
    # The report reached the plain bounce address (an alias that lost the +token).
    for headers_only in (True, False):
        report = delivery_report(to=BOUNCES, original=received.message, headers_only=headers_only)
        result = process(app, db_session, report)
        assert result.attempt_id == attempts(db_session, case.id)[0].id
    assert attempts(db_session, case.id)[0].state is AttemptState.bounced


@with_bounce_address
def test_an_auto_reply_is_not_a_bounce(app, db_session, invited):
    case, received = invited
    result = process(app, db_session, auto_reply(to=received.sender))
    assert result.outcome == "not_a_bounce"
    assert "Out of office" in result.detail
    assert attempts(db_session, case.id)[0].state is AttemptState.sent


@with_bounce_address
def test_a_forged_token_marks_nothing(app, db_session, invited):
    case, received = invited
    invitation = attempts(db_session, case.id)[0]
    forged = bounce_token("an-attackers-guess-at-the-key", invitation.id)
    for to in (f"bounces+{forged}@example.org", f"bounces+{invitation.id}-aaaaaaaaaaaaaaaa@example.org"):
        assert process(app, db_session, delivery_report(to=to)).outcome == "forged"
    assert process(app, db_session, delivery_report(to=BOUNCES)).outcome == "no_token"
    # A real token of an attempt that does not exist.
    missing = bounce_token(app.config["SECRET_KEY"], invitation.id + 1000)
    result = process(app, db_session, delivery_report(to=f"bounces+{missing}@example.org"))
    assert result.outcome == "unknown_attempt"
    invitation = attempts(db_session, case.id)[0]
    assert (invitation.state, invitation.error_code) == (AttemptState.sent, None)


@with_bounce_address
def test_a_bounce_settles_an_attempt_whose_worker_stopped_so_it_is_never_re_sent(app, db_session, invited):
    case, received = invited
    invitation = attempts(db_session, case.id)[0]
    invitation.state = AttemptState.unknown
    db_session.add(invitation)
    db_session.commit()
    assert process(app, db_session, delivery_report(to=received.sender)).outcome == "bounced"
    assert attempts(db_session, case.id)[0].state is AttemptState.bounced


# --- the CLI (an MTA pipe alias) ----------------------------------------------------------------


@with_bounce_address
def test_the_cli_reads_one_bounce_from_standard_input(app, db_session, invited):
    case, received = invited
    runner_ = app.test_cli_runner()
    result = runner_.invoke(
        args=["fieldwork", "bounce"], input=delivery_report(to=received.sender).as_bytes()
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"bounced (attempt {attempts(db_session, case.id)[0].id}): 5.1.1")
    assert attempts(db_session, case.id)[0].state is AttemptState.bounced

    # Not a bounce: exit 0 so the mail server does not retry, with the reason.
    reply = runner_.invoke(args=["fieldwork", "bounce"], input=auto_reply(to=received.sender).as_bytes())
    assert reply.exit_code == 0
    assert reply.output.startswith("not_a_bounce: no delivery status report in it")


@with_bounce_address
def test_the_cli_takes_the_envelope_recipient_from_the_mail_server(app, db_session, invited):
    case, received = invited
    report = delivery_report(to=BOUNCES).as_bytes()  # no token in any header
    runner_ = app.test_cli_runner()
    assert runner_.invoke(args=["fieldwork", "bounce"], input=report).output.startswith("no_token")
    by_option = runner_.invoke(args=["fieldwork", "bounce", "--recipient", received.sender], input=report)
    assert by_option.output.startswith("bounced")
    # Postfix's local(8) exports the recipient to the command.
    by_env = runner_.invoke(args=["fieldwork", "bounce"], input=report, env={"RECIPIENT": received.sender})
    assert (by_env.exit_code, by_env.output.split(" ")[0]) == (0, "already_recorded")


@with_bounce_address
def test_the_cli_asks_the_mail_server_to_keep_what_it_cannot_handle(app, db_session, invited, monkeypatch):
    _case, received = invited
    report = delivery_report(to=received.sender).as_bytes()

    def broken(message):
        raise ValueError("unexpected structure")

    monkeypatch.setattr(dsn, "read_report", broken)
    unreadable = app.test_cli_runner().invoke(args=["fieldwork", "bounce"], input=report)
    assert unreadable.exit_code == 65  # EX_DATAERR: returned to the postmaster, not lost
    assert "cannot parse the message: ValueError: unexpected structure" in unreadable.output

    def no_database(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr("survey_app.fieldwork.cli.process_message", no_database)
    down = app.test_cli_runner().invoke(args=["fieldwork", "bounce"], input=report)
    assert down.exit_code == 75  # EX_TEMPFAIL: the mail server keeps it and tries again
    assert "database unavailable" in down.output


# --- the Maildir job ----------------------------------------------------------------------------


def test_the_maildir_job_is_in_the_worker_table():
    (job,) = [j for j in JOBS if j.func == "survey_app.fieldwork.tasks:read_bounces"]
    assert job.seconds == 60


@pytest.fixture
def bounce_maildir(app, tmp_path: Path, monkeypatch) -> maildir_module.Maildir:
    path = tmp_path / "bounces"
    box = maildir_module.Maildir(path, create=True)
    app.config["SURVEY_SETTINGS"] = app.config["SURVEY_SETTINGS"].model_copy(
        update={"bounce_maildir": str(path)}
    )
    monkeypatch.setattr(runner, "_APP", app)
    return box


@with_bounce_address
def test_the_worker_drains_the_maildir_and_keeps_unreadable_mail_aside(
    app, db_session, invited, bounce_maildir, monkeypatch
):
    case, received = invited
    # Delivered by the mail server: Delivered-To carries the VERP address.
    hard = delivery_report(to=BOUNCES, extra_headers={"Delivered-To": received.sender})
    bounce_maildir.add(hard.as_bytes())
    bounce_maildir.add(auto_reply(to=received.sender).as_bytes())
    garbage = auto_reply(to=received.sender)
    garbage.replace_header("Subject", "cannot be read")
    bounce_maildir.add(garbage.as_bytes())
    real_read_report = dsn.read_report

    def read_report(message):
        if message["Subject"] == "cannot be read":
            raise UnicodeError("broken part")
        return real_read_report(message)

    monkeypatch.setattr(dsn, "read_report", read_report)

    tasks.read_bounces()

    assert attempts(db_session, case.id)[0].state is AttemptState.bounced
    assert len(bounce_maildir) == 0  # processed mail is removed, the unreadable one moved
    unreadable = bounce_maildir.get_folder(bounces.UNREADABLE_FOLDER)
    assert [str(m["Subject"]) for m in unreadable] == ["cannot be read"]
    # The next run finds nothing: the unreadable message is never read again.
    monkeypatch.setattr(
        bounces, "process_message", lambda *a, **k: pytest.fail("nothing should be processed")
    )
    tasks.read_bounces()
    assert len(unreadable) == 1


def test_the_maildir_job_does_nothing_without_the_setting(app, monkeypatch):
    monkeypatch.setattr(runner, "_APP", app)
    monkeypatch.setattr(bounces, "drain_maildir", lambda *a, **k: pytest.fail("no Maildir is set"))
    tasks.read_bounces()


def test_a_missing_maildir_is_reported_not_created(app, db_session, tmp_path: Path, caplog):
    missing = tmp_path / "nowhere"
    counts = bounces.drain_maildir(db_session, str(missing), secret_key="x" * 32, now=NOW)
    assert counts == {"no_maildir": 1}
    assert "is not a Maildir" in caplog.text
    assert not missing.exists()
