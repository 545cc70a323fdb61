"""The worker process (``survey worker``): one APScheduler scheduler for the deployment.

Never run the scheduler inside web workers: APScheduler has no cross-process coordination, so
every gunicorn worker would run every job. Jobs live in a persistent ``SQLAlchemyJobStore`` in the
app database (table ``apscheduler_jobs``, created by our migrations); the job table in
``scheduling.jobs`` is re-applied at every start, so changed intervals take effect and removed jobs
disappear. Each job runs in its own thread (one instance at a time), so a slow SMS batch does not
hold up e-mail; SIGTERM/SIGINT stop taking new attempts and let the one in flight finish (the
main thread only waits for them and checks the lock; the scheduler runs in its own thread).

Only one worker runs per database: it holds the lock of ``scheduling.lock`` from before it
installs its jobs until it exits, and a second one exits at once saying who holds it.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from flask import Flask
from sqlalchemy import delete
from sqlmodel import Session

from survey_app import schema
from survey_app.db import get_engine, open_session
from survey_app.scheduling.jobs import JOBS, JobSpec
from survey_app.scheduling.lock import WorkerAlreadyRunning, WorkerLock, acquire_worker_lock
from survey_app.scheduling.models import JOBS_TABLE, apscheduler_jobs

log = logging.getLogger(__name__)

#: Set when the worker is asked to stop: long-running jobs check it between attempts.
STOPPING = threading.Event()
#: How often the worker checks that it still holds its lock (a lost PostgreSQL session frees it).
LOCK_CHECK_SECONDS = 30.0
#: How often the main thread looks at the stop flag set by SIGTERM/SIGINT.
_TICK_SECONDS = 1.0
_APP: Flask | None = None


class WorkerError(RuntimeError):
    """The worker cannot start (the message says why and what to do)."""


def worker_app() -> Flask:
    """Return the app of this worker process (built from the environment when none was registered)."""
    global _APP
    if _APP is None:
        from survey_app import create_app

        _APP = create_app()
    return _APP


@contextmanager
def job_context() -> Iterator[tuple[Flask, Session]]:
    """An app context and a session for one job run (jobs take ids, never objects)."""
    app = worker_app()
    with app.app_context(), open_session(app) as session:
        yield app, session


def build_scheduler(app: Flask, scheduler_class: type[BaseScheduler] = BackgroundScheduler) -> BaseScheduler:
    """Return a scheduler whose job store is the app database, with the job table installed."""
    engine = get_engine(app)
    store = SQLAlchemyJobStore(engine=engine, tablename=JOBS_TABLE)
    scheduler = scheduler_class(
        jobstores={"default": store},
        executors={"default": ThreadPoolExecutor(max_workers=len(JOBS))},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
        timezone=dt.UTC,
    )
    install_jobs(app, scheduler, JOBS)
    return scheduler


def install_jobs(app: Flask, scheduler: BaseScheduler, jobs: tuple[JobSpec, ...]) -> None:
    """Add every job of the table (replacing the stored one), due now; drop stored jobs not in it."""
    settings = app.config["SURVEY_SETTINGS"]
    with get_engine(app).begin() as connection:
        connection.execute(delete(apscheduler_jobs).where(apscheduler_jobs.c.id.not_in([j.id for j in jobs])))
    now = dt.datetime.now(dt.UTC)
    for job in jobs:
        scheduler.add_job(
            job.func,
            "interval",
            seconds=job.interval(settings),
            id=job.id,
            name=job.description or job.id,
            replace_existing=True,
            next_run_time=now,
        )


def run_worker(app: Flask) -> None:
    """Run the scheduler until SIGTERM or SIGINT, holding the worker lock of the database.

    :raises WorkerError: the database is not at the code's schema, another worker is running on
        it, or this worker lost its lock and stopped.
    """
    if not schema.schema_is_current(get_engine(app)):
        raise WorkerError(f"the database is not at the current schema: run `{schema.UPGRADE_COMMAND}` first")
    try:
        # Before the job store is touched: installing the job table rewrites it.
        lock = acquire_worker_lock(get_engine(app))
    except WorkerAlreadyRunning as exc:
        raise WorkerError(str(exc)) from None
    try:
        _run_scheduler(app, lock)
    finally:
        lock.release()


def _run_scheduler(app: Flask, lock: WorkerLock) -> None:
    global _APP
    _APP = app
    STOPPING.clear()
    # One line per job run every few seconds drowns what matters; failures still log as errors.
    logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
    scheduler = build_scheduler(app)
    signals: list[int] = []

    def stop(signum: int, _frame: FrameType | None) -> None:
        # Only set flags: a handler interrupts the main thread anywhere, and shutting the scheduler
        # down from inside one could wait for a lock that interrupted code holds (a hang on SIGTERM).
        signals.append(signum)
        STOPPING.set()

    previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGTERM, signal.SIGINT)}
    scheduler.start()
    log.info("worker started with jobs: %s", ", ".join(job.id for job in JOBS))
    lost = False
    next_check = time.monotonic() + LOCK_CHECK_SECONDS
    try:
        while not STOPPING.is_set():
            time.sleep(min(_TICK_SECONDS, LOCK_CHECK_SECONDS))
            if time.monotonic() >= next_check:
                if not lock.check():
                    lost = True
                    break
                next_check = time.monotonic() + LOCK_CHECK_SECONDS
    finally:
        STOPPING.set()
        log.info("%s: stopping after the attempts in flight", f"signal {signals[0]}" if signals else "stop")
        # Wait for the jobs running (they stop between attempts): the lock is released after them,
        # so a worker started next never overlaps the attempts in flight.
        scheduler.shutdown(wait=True)
        # Stopped: a job run later in this process (a CLI command, a test) must not find the flag
        # still set and stop at once, and signals go back to whoever handled them before.
        STOPPING.clear()
        for signum, handler in previous.items():
            if handler is not None:  # None: not set from Python, nothing to give back
                signal.signal(signum, handler)
    if lost:
        raise WorkerError(
            "the worker lost its database lock (its database session ended, or the lock file was "
            "removed) and could not take it again, so it stopped rather than run beside another "
            "worker: check that only one worker runs, then start it again"
        )
    log.info("worker stopped")
