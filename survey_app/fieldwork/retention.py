"""Records fieldwork keeps only for a while: the markers of handled webhooks (``processed_webhooks``).

A marker (``sms:<MessageSid>``, ``status:<Sid>:<status>``, ``voice:<CallSid>:<step>``) makes a
retried Twilio webhook idempotent. Twilio retries within minutes or hours, so a marker older than
``SURVEY_WEBHOOK_RETENTION_DAYS`` (30 by default) protects nothing and can go; without a purge the
table would grow with every message and call for ever.
"""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import delete
from sqlmodel import Session, col, select

from survey_app.fieldwork.models import ProcessedWebhook

#: Rows deleted per transaction: a purge of a large backlog never holds one long transaction
#: (nor, on SQLite, the write lock for long) while webhooks keep arriving.
PURGE_BATCH_SIZE = 1000


def purge_processed_webhooks(
    session: Session,
    *,
    older_than: dt.datetime,
    batch_size: int = PURGE_BATCH_SIZE,
    stop: threading.Event | None = None,
) -> int:
    """Delete the markers of webhooks handled before ``older_than``, ``batch_size`` per commit.

    A webhook retried after its marker is gone would be handled again; the retention keeps
    markers far longer than Twilio retries. Stops between batches when ``stop`` is set.

    :returns: how many markers were deleted.
    """
    deleted = 0
    while not (stop is not None and stop.is_set()):
        oldest = (
            select(ProcessedWebhook.id)
            .where(col(ProcessedWebhook.created_at) < older_than)
            .order_by(col(ProcessedWebhook.created_at))
            .limit(batch_size)
        )
        result = session.execute(delete(ProcessedWebhook).where(col(ProcessedWebhook.id).in_(oldest)))
        session.commit()
        count = int(result.rowcount or 0)  # type: ignore[attr-defined]
        deleted += count
        if count < batch_size:
            break
    return deleted
