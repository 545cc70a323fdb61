"""Thin jobs of the fieldwork module (listed in ``survey_app/scheduling/jobs.py``).

Each opens its own app context and session and calls one operation; all are idempotent.
"""

from __future__ import annotations

import datetime as dt
import logging

from survey_app.db import utcnow
from survey_app.fieldwork import bounces, operations, sending
from survey_app.fieldwork.reconcile import reconcile_attempts
from survey_app.fieldwork.retention import purge_processed_webhooks
from survey_app.scheduling.runner import STOPPING, job_context

log = logging.getLogger(__name__)


def plan_waves() -> None:
    """Plan the steps of cases of launched surveys that have none yet."""
    with job_context() as (app, session):
        planned = operations.plan_waves(session, secret_key=app.config["SECRET_KEY"], now=utcnow())
    if planned:
        log.info("planned %d contact attempts", planned)


def _send(channel: str) -> None:
    with job_context() as (app, session):
        report = sending.send_due_attempts(session, app.config["SURVEY_SETTINGS"], channel, stop=STOPPING)
    if report.counts:
        log.info("%s: %s", channel, report.counts)


def send_email() -> None:
    """Send due e-mails."""
    _send("email")


def send_sms() -> None:
    """Send due text messages."""
    _send("sms")


def send_calls() -> None:
    """Place due automated calls."""
    _send("ivr")


def reconcile() -> None:
    """Settle attempts left ``sending`` by a worker that stopped."""
    with job_context() as (app, session):
        counts = reconcile_attempts(session, app.config["SURVEY_SETTINGS"], now=utcnow())
    if counts:
        log.info("reconciled: %s", counts)


def read_bounces() -> None:
    """Drain the bounce Maildir (``SURVEY_BOUNCE_MAILDIR``), when one is set."""
    with job_context() as (app, session):
        path = app.config["SURVEY_SETTINGS"].bounce_maildir
        if not path:
            return
        counts = bounces.drain_maildir(
            session, path, secret_key=app.config["SECRET_KEY"], now=utcnow(), stop=STOPPING
        )
    if counts:
        log.info("bounces: %s", counts)


def purge_webhooks() -> None:
    """Delete the records of webhooks handled longer ago than ``SURVEY_WEBHOOK_RETENTION_DAYS``."""
    with job_context() as (app, session):
        days = app.config["SURVEY_SETTINGS"].webhook_retention_days
        purged = purge_processed_webhooks(
            session, older_than=utcnow() - dt.timedelta(days=days), stop=STOPPING
        )
    if purged:
        log.info("purged %d handled-webhook records older than %d days", purged, days)
