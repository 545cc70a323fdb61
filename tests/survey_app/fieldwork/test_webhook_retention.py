"""Handled-webhook records are kept ``SURVEY_WEBHOOK_RETENTION_DAYS`` and then purged, in batches."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import update
from sqlmodel import Session, col, select

from survey_app.config import SettingsError, load_settings
from survey_app.db import utcnow
from survey_app.fieldwork import tasks
from survey_app.fieldwork.models import ProcessedWebhook
from survey_app.fieldwork.retention import purge_processed_webhooks
from survey_app.scheduling import runner
from survey_app.scheduling.jobs import JOBS
from tests.survey_app.fieldwork.twilio_fixtures import (
    TWILIO_CONFIG,
    add_phone_case,
    interview_of,
    library_document,
    make_phone_survey,
    post_signed,
    start_sms_interview,
)

PHONE = "+14155550123"
DAY = dt.timedelta(days=1)


def test_the_retention_is_30_days_unless_set_to_a_whole_number_of_days() -> None:
    assert load_settings(environ={}).webhook_retention_days == 30
    assert load_settings(environ={"SURVEY_WEBHOOK_RETENTION_DAYS": "7"}).webhook_retention_days == 7
    for value, expected in (
        ("0", "SURVEY_WEBHOOK_RETENTION_DAYS must be at least 1 (days), got 0"),
        ("a month", "SURVEY_WEBHOOK_RETENTION_DAYS must be a whole number of days, got 'a month'"),
    ):
        with pytest.raises(SettingsError) as refused:
            load_settings(environ={"SURVEY_WEBHOOK_RETENTION_DAYS": value})
        assert expected in str(refused.value)


def test_the_purge_is_a_daily_worker_job() -> None:
    job = next(job for job in JOBS if job.id == "fieldwork.purge_webhooks")
    assert job.func == "survey_app.fieldwork.tasks:purge_webhooks"
    assert job.seconds == 24 * 60 * 60


def add_markers(session: Session, ages: dict[str, dt.timedelta]) -> None:
    now = utcnow()
    session.add_all(ProcessedWebhook(key=key, created_at=now - age) for key, age in ages.items())
    session.commit()


def remaining(session: Session) -> list[str]:
    return sorted(session.exec(select(ProcessedWebhook.key)).all())


@pytest.mark.app_config(SURVEY_WEBHOOK_RETENTION_DAYS=30)
def test_the_worker_job_deletes_records_older_than_the_retention_and_keeps_recent_ones(
    app, db_session, monkeypatch
) -> None:
    add_markers(
        db_session,
        {
            "sms:old": 31 * DAY,
            "status:old:delivered": 400 * DAY,
            "voice:recent:start": 29 * DAY,
            "sms:today": dt.timedelta(minutes=5),
        },
    )
    monkeypatch.setattr(runner, "_APP", app)
    tasks.purge_webhooks()
    assert remaining(db_session) == ["sms:today", "voice:recent:start"]
    tasks.purge_webhooks()  # nothing left to do: idempotent
    assert remaining(db_session) == ["sms:today", "voice:recent:start"]


class StopAfter(threading.Event):
    """A stop flag that is raised once ``checks`` checks have seen it down."""

    def __init__(self, checks: int) -> None:
        super().__init__()
        self.checks = checks

    def is_set(self) -> bool:
        self.checks -= 1
        return self.checks < 0


def test_the_purge_deletes_in_batches_oldest_first_each_committed(db_session) -> None:
    add_markers(db_session, {f"sms:{n}": (40 + n) * DAY for n in range(5)} | {"sms:new": DAY})
    cutoff = utcnow() - 30 * DAY
    # Stopped after one batch (as SIGTERM would): that batch is committed, the oldest rows first.
    assert purge_processed_webhooks(db_session, older_than=cutoff, batch_size=2, stop=StopAfter(1)) == 2
    assert remaining(db_session) == ["sms:0", "sms:1", "sms:2", "sms:new"]
    # The rest, over two more batches (the last one short).
    assert purge_processed_webhooks(db_session, older_than=cutoff, batch_size=2) == 3
    assert remaining(db_session) == ["sms:new"]
    assert purge_processed_webhooks(db_session, older_than=cutoff, batch_size=2) == 0


@pytest.mark.app_config(**TWILIO_CONFIG, SURVEY_WEBHOOK_RETENTION_DAYS=30)
def test_a_webhook_repeated_within_the_retention_is_still_recognised_after_a_purge(
    app, client, db_session, monkeypatch
) -> None:
    survey = make_phone_survey(db_session, library_document("interviewer_rating"))
    case = add_phone_case(db_session, survey, PHONE)
    start_sms_interview(db_session, case)
    params = {"MessageSid": "SM" + "5" * 32, "From": PHONE, "To": "+14155550100", "Body": "4"}
    first = post_signed(client, "/webhooks/twilio/sms", params)
    assert first.status_code == 200
    assert interview_of(db_session, case).answers == {"ir_overall": 4}
    # Handled 29 days ago; the purge keeps it.
    db_session.execute(update(ProcessedWebhook).values(created_at=utcnow() - 29 * DAY))
    db_session.commit()
    monkeypatch.setattr(runner, "_APP", app)
    tasks.purge_webhooks()

    again = post_signed(client, "/webhooks/twilio/sms", params)
    assert (again.status_code, again.data) == (200, first.data)
    # The retry did not answer the next question with the same "4".
    db_session.expire_all()
    assert interview_of(db_session, case).answers == {"ir_overall": 4}
    markers = db_session.exec(
        select(ProcessedWebhook.key).where(col(ProcessedWebhook.key).contains("SM"))
    ).all()
    assert markers == [f"sms:{params['MessageSid']}"]
