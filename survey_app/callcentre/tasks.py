"""Thin periodic jobs of the call centre, for the worker's job table (``scheduling/jobs.py``).

Each opens its own app context and session and calls one operation; each is idempotent.
"""

from __future__ import annotations

import datetime as dt
import logging

from survey_app.callcentre.queue import release_stale_locks as release
from survey_app.db import utcnow
from survey_app.scheduling.runner import job_context

log = logging.getLogger(__name__)

#: A case held this long without being dialled belongs to an agent who left: back to the queue.
STALE_LOCK_AFTER = dt.timedelta(minutes=20)
#: How often the worker looks for them (the job table entry uses it).
STALE_LOCK_EVERY_SECONDS = 300


def release_stale_locks() -> None:
    """Return cases held for ``STALE_LOCK_AFTER`` without a call to the queue."""
    with job_context() as (_app, session):
        released = release(session, older_than=STALE_LOCK_AFTER, now=utcnow())
    if released:
        log.info("released %d stale case locks", released)
