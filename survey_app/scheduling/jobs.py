"""The job table: every periodic job of the worker, in one declarative list (redash's shape).

A job is a dotted reference to a thin function in some module's ``tasks.py`` (it opens its own
app context and calls one operation) plus its interval. The references are text because the
persistent job store (``apscheduler_jobs`` in the app database) pickles them. Every job is
idempotent: running it twice, or after a crash, sends nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from survey_app.config import Settings


@dataclass(frozen=True)
class JobSpec:
    """One periodic job: its id, the ``module:function`` to call and how often."""

    id: str
    func: str
    seconds: int | None = None
    #: Take the interval from this ``Settings`` attribute instead of ``seconds``.
    setting: str | None = None
    description: str = ""

    def interval(self, settings: Settings) -> int:
        """Return the interval in seconds."""
        if self.setting is not None:
            return int(getattr(settings, self.setting))
        if self.seconds is None:
            raise ValueError(f"job {self.id} has neither seconds nor setting")
        return self.seconds


JOBS: tuple[JobSpec, ...] = (
    JobSpec(
        "fieldwork.reconcile",
        "survey_app.fieldwork.tasks:reconcile",
        seconds=60,
        description="settle attempts a stopped worker left sending (never resend blindly)",
    ),
    JobSpec(
        "fieldwork.plan_waves",
        "survey_app.fieldwork.tasks:plan_waves",
        setting="worker_poll_seconds",
        description="plan every step (invitation, reminders, SMS, calls) for newly launched cases",
    ),
    JobSpec(
        "fieldwork.send_email",
        "survey_app.fieldwork.tasks:send_email",
        setting="worker_poll_seconds",
        description="send due e-mails (invitations, reminders, retries)",
    ),
    JobSpec(
        "fieldwork.send_sms",
        "survey_app.fieldwork.tasks:send_sms",
        setting="worker_poll_seconds",
        description="send due text messages (links, SMS interviews, retries)",
    ),
    JobSpec(
        "fieldwork.send_calls",
        "survey_app.fieldwork.tasks:send_calls",
        setting="worker_poll_seconds",
        description="place due automated calls (IVR interviews, retries)",
    ),
    JobSpec(
        "fieldwork.read_bounces",
        "survey_app.fieldwork.tasks:read_bounces",
        seconds=60,
        description="record late e-mail bounces from SURVEY_BOUNCE_MAILDIR (when set), then remove them",
    ),
    JobSpec(
        "fieldwork.purge_webhooks",
        "survey_app.fieldwork.tasks:purge_webhooks",
        seconds=24 * 60 * 60,
        description="delete records of handled webhooks older than SURVEY_WEBHOOK_RETENTION_DAYS",
    ),
    JobSpec(
        "frames.run_imports",
        "survey_app.frames.tasks:run_imports",
        seconds=5,
        description="import queued contact frames; fail imports left by a stopped worker",
    ),
    JobSpec(
        "callcentre.release_stale_locks",
        "survey_app.callcentre.tasks:release_stale_locks",
        seconds=300,
        description="return call-queue cases held 20 minutes without a call (an agent who left)",
    ),
)
