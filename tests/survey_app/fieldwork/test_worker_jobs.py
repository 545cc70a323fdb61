"""The worker's declarative job table and its persistent job store in the application database."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import insert, select

from survey_app.db import get_engine
from survey_app.scheduling.jobs import JOBS, JobSpec
from survey_app.scheduling.models import apscheduler_jobs
from survey_app.scheduling.runner import WorkerError, build_scheduler, install_jobs, run_worker
from tests.conftest import build_test_app


def test_every_job_names_an_importable_function_and_an_interval(app) -> None:
    settings = app.config["SURVEY_SETTINGS"]
    assert len({job.id for job in JOBS}) == len(JOBS)
    for job in JOBS:
        module, _, name = job.func.partition(":")
        assert callable(getattr(importlib.import_module(module), name)), job.func
        assert job.interval(settings) >= 1
        assert job.description


def test_an_interval_comes_from_seconds_or_a_setting(app) -> None:
    settings = app.config["SURVEY_SETTINGS"]
    assert JobSpec("a", "m:f", seconds=60).interval(settings) == 60
    assert (
        JobSpec("b", "m:f", setting="worker_poll_seconds").interval(settings) == settings.worker_poll_seconds
    )
    with pytest.raises(ValueError, match="job c has neither seconds nor setting"):
        JobSpec("c", "m:f").interval(settings)


def stored_ids(app) -> list[str]:
    with get_engine(app).connect() as connection:
        return sorted(connection.execute(select(apscheduler_jobs.c.id)).scalars())


def test_jobs_are_stored_in_the_app_database_and_stale_ones_removed(app) -> None:
    with get_engine(app).begin() as connection:
        connection.execute(
            insert(apscheduler_jobs).values(id="removed.job", next_run_time=0.0, job_state=b"x")
        )
    scheduler = build_scheduler(app, BackgroundScheduler)
    scheduler.start(paused=True)
    try:
        assert stored_ids(app) == sorted(job.id for job in JOBS)
        # Installing again (a restart) replaces, never duplicates.
        install_jobs(app, scheduler, JOBS)
        assert stored_ids(app) == sorted(job.id for job in JOBS)
        send_email = scheduler.get_job("fieldwork.send_email")
        assert send_email is not None
        assert (
            send_email.trigger.interval.total_seconds() == app.config["SURVEY_SETTINGS"].worker_poll_seconds
        )
    finally:
        scheduler.shutdown(wait=False)


def test_the_worker_refuses_a_database_that_is_not_migrated(empty_database_url: str, tmp_path: Path) -> None:
    app = build_test_app(empty_database_url, tmp_path / "instance")
    with pytest.raises(
        WorkerError, match="the database is not at the current schema: run `survey db upgrade"
    ):
        run_worker(app)
    get_engine(app).dispose()


def test_the_web_app_never_loads_the_scheduler(tmp_path: Path) -> None:
    """Only ``survey worker`` runs jobs: building the web app does not even import APScheduler."""
    import subprocess
    import sys

    settings = {"SECRET_KEY": "x" * 32, "DATABASE_URL": "sqlite://", "SURVEY_INSTANCE_PATH": str(tmp_path)}
    code = (
        f"import sys; from survey_app import create_app; create_app({settings!r}); "
        "print(sorted(m for m in sys.modules"
        " if m.startswith(('apscheduler', 'survey_app.scheduling.runner'))))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
