"""Thin job of the frames module (listed in ``survey_app/scheduling/jobs.py``).

Web uploads are imported here, in the worker process, never in a web worker: a web process may be
recycled at any time, and a long import would hold one of its few workers.
"""

from __future__ import annotations

import logging

from survey_app.db import utcnow
from survey_app.frames import queue
from survey_app.frames.uploads import upload_dir
from survey_app.scheduling.runner import STOPPING, job_context

log = logging.getLogger(__name__)


def run_imports() -> None:
    """Fail imports left by a dead process, then import every queued frame (idempotent)."""
    with job_context() as (app, session):
        failed = queue.fail_stale_imports(session, utcnow())
        if failed:
            log.warning("frame imports without progress failed: %s", failed)
        attempted = queue.run_queued_imports(session, upload_dir(app), stop=STOPPING)
    if attempted:
        log.info("frame imports run: %d", attempted)
