"""The worker's import queue: claiming, stale imports, re-queueing, the job table entry."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from survey_app.auth.models import Role
from survey_app.db import get_engine, open_session, utcnow
from survey_app.frames import importer, queue
from survey_app.frames.importer import ImportAbandoned
from survey_app.frames.models import Contact, Frame, FrameImportIssue, FrameStatus, IssueAction
from survey_app.frames.uploads import upload_dir
from survey_app.scheduling.jobs import JOBS
from tests.survey_app.frames.helpers import queue_file


def age(session: Session, frame: Frame, minutes: int) -> None:
    """Pretend the frame's last heartbeat was ``minutes`` ago."""
    frame.updated_at = utcnow() - dt.timedelta(minutes=minutes)
    session.add(frame)
    session.commit()


def test_a_queued_frame_is_claimed_by_one_worker_only(app: Flask, db_session: Session) -> None:
    frame = queue_file(app, db_session)
    with open_session(app) as first, open_session(app) as second:
        claimed = queue.claim_next(first)
        assert claimed is not None
        assert claimed.id == frame.id
        assert claimed.status is FrameStatus.importing
        assert queue.claim_next(second) is None
    db_session.refresh(frame)
    assert frame.status is FrameStatus.importing


def test_claims_take_the_oldest_queued_frame_and_skip_others(app: Flask, db_session: Session) -> None:
    first, later = queue_file(app, db_session, name="A"), queue_file(app, db_session, name="B")
    ready = Frame(name="done", status=FrameStatus.ready)
    db_session.add(ready)
    db_session.commit()
    with open_session(app) as session:
        assert [queue.claim_next(session), queue.claim_next(session), queue.claim_next(session)] == [
            session.get(Frame, first.id),
            session.get(Frame, later.id),
            None,
        ]


def test_the_job_imports_every_queued_frame(
    app: Flask, db_session: Session, run_worker_job: Callable[[], None]
) -> None:
    frames = [queue_file(app, db_session, name=n) for n in ("A", "B")]
    run_worker_job()
    for frame in frames:
        db_session.refresh(frame)
        assert (frame.status, frame.contact_count, frame.rejected_count, frame.upload_name) == (
            FrameStatus.ready,
            2,
            1,
            None,
        )
        assert frame.finished_at is not None
    assert list(upload_dir(app).iterdir()) == []
    # Idempotent: a second run finds nothing to do and changes nothing.
    run_worker_job()
    assert len(db_session.exec(select(Contact)).all()) == 4


def test_a_failed_import_keeps_its_upload_and_can_be_queued_again(
    app: Flask, client: FlaskClient, login: Callable, db_session: Session, run_worker_job: Callable[[], None]
) -> None:
    frame = queue_file(app, db_session, text="name\nonly a name\n")  # no phone or e-mail column
    run_worker_job()
    db_session.refresh(frame)
    assert frame.status is FrameStatus.failed
    assert "phone" in (frame.error or "")
    assert frame.upload_name is not None
    assert (upload_dir(app) / frame.upload_name).is_file()

    login(Role.researcher)
    page = client.get(f"/frames/{frame.id}").get_data(as_text=True)
    assert "Import the same file again" in page
    # The researcher fixes nothing here: re-queueing is for imports stopped by a dead worker.
    response = client.post(f"/frames/{frame.id}/requeue", follow_redirects=True)
    assert "The import is queued again." in response.get_data(as_text=True)
    db_session.refresh(frame)
    assert (frame.status, frame.error, frame.finished_at) == (FrameStatus.queued, None, None)
    again = client.post(f"/frames/{frame.id}/requeue", follow_redirects=True)
    assert "Only a failed import can be queued again." in again.get_data(as_text=True)


def test_requeue_refused_without_a_kept_upload(
    client: FlaskClient, login: Callable, db_session: Session
) -> None:
    frame = Frame(name="From the CLI", status=FrameStatus.failed, error="row 3 is not valid utf-8")
    db_session.add(frame)
    db_session.commit()
    login(Role.admin)
    page = client.get(f"/frames/{frame.id}").get_data(as_text=True)
    assert "Import the same file again" not in page
    response = client.post(f"/frames/{frame.id}/requeue", follow_redirects=True)
    assert "The uploaded file is no longer kept: upload it again." in response.get_data(as_text=True)
    db_session.refresh(frame)
    assert frame.status is FrameStatus.failed


def test_a_missing_upload_fails_the_frame_with_a_reason(
    app: Flask, db_session: Session, run_worker_job: Callable[[], None]
) -> None:
    frame = queue_file(app, db_session)
    assert frame.upload_name is not None
    (upload_dir(app) / frame.upload_name).unlink()
    run_worker_job()
    db_session.refresh(frame)
    assert frame.status is FrameStatus.failed
    assert frame.error == "the uploaded file is no longer kept: upload it again"


def _stage_partial_import(app: Flask, db_session: Session) -> Frame:
    """A frame claimed by a worker that wrote one batch and then died."""
    frame = queue_file(app, db_session)
    with open_session(app) as session:
        claimed = queue.claim_next(session)
        assert claimed is not None
    db_session.refresh(frame)
    db_session.add(Contact(frame_id=frame.id, row_number=2, phone_e164="+8613800138000"))
    db_session.add(
        FrameImportIssue(frame_id=frame.id, row_number=3, reason="phone_invalid", action=IssueAction.rejected)
    )
    frame.rows_read = 2
    db_session.add(frame)
    db_session.commit()
    return frame


def test_a_stale_import_is_failed_cleaned_and_can_be_queued_again(
    app: Flask, client: FlaskClient, login: Callable, db_session: Session, run_worker_job: Callable[[], None]
) -> None:
    frame = _stage_partial_import(app, db_session)
    age(db_session, frame, minutes=11)
    run_worker_job()
    db_session.refresh(frame)
    assert frame.status is FrameStatus.failed
    assert frame.error is not None
    assert "no progress was recorded for 10 minutes" in frame.error
    assert db_session.exec(select(Contact).where(Contact.frame_id == frame.id)).all() == []
    assert db_session.exec(select(FrameImportIssue).where(FrameImportIssue.frame_id == frame.id)).all() == []

    login(Role.researcher)
    assert "no progress was recorded" in client.get(f"/frames/{frame.id}").get_data(as_text=True)
    client.post(f"/frames/{frame.id}/requeue")
    run_worker_job()
    db_session.refresh(frame)
    assert (frame.status, frame.contact_count, frame.error) == (FrameStatus.ready, 2, None)


def test_a_live_import_is_left_alone(app: Flask, db_session: Session) -> None:
    frame = _stage_partial_import(app, db_session)
    age(db_session, frame, minutes=9)
    with open_session(app) as session:
        assert queue.fail_stale_imports(session, utcnow()) == []
    db_session.refresh(frame)
    assert frame.status is FrameStatus.importing
    assert len(db_session.exec(select(Contact).where(Contact.frame_id == frame.id)).all()) == 1


def test_an_import_declared_dead_commits_nothing_more(app: Flask, db_session: Session) -> None:
    frame = queue_file(app, db_session)
    with open_session(app) as worker:
        claimed = queue.claim_next(worker)
        assert claimed is not None
        # Meanwhile another worker saw no heartbeat (e.g. this one was paused) and failed it.
        with open_session(app) as other:
            assert queue.fail_stale_imports(other, utcnow() + dt.timedelta(hours=1)) == [frame.id]
        with pytest.raises(ImportAbandoned):
            queue.import_claimed(worker, claimed, upload_dir(app))
    db_session.refresh(frame)
    assert frame.status is FrameStatus.failed
    assert frame.error is not None
    assert "no progress" in frame.error
    assert db_session.exec(select(Contact).where(Contact.frame_id == frame.id)).all() == []


def test_a_stopping_worker_puts_its_import_back_in_the_queue(
    app: Flask, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "BATCH_SIZE", 1)
    frame = queue_file(app, db_session)
    stop = threading.Event()
    stop.set()  # SIGTERM arrived: the first batch is the last
    with open_session(app) as worker:
        claimed = queue.claim_next(worker)
        assert claimed is not None
        queue.import_claimed(worker, claimed, upload_dir(app), stop)
        # And the job's loop claims nothing more once the worker is stopping.
        assert queue.run_queued_imports(worker, upload_dir(app), stop) == 0
    db_session.refresh(frame)
    assert (frame.status, frame.error, frame.rows_read) == (FrameStatus.queued, None, 0)
    assert db_session.exec(select(Contact).where(Contact.frame_id == frame.id)).all() == []
    assert frame.upload_name is not None
    assert (upload_dir(app) / frame.upload_name).is_file()


def test_the_job_is_in_the_worker_job_table() -> None:
    (spec,) = [job for job in JOBS if job.id == "frames.run_imports"]
    assert spec.func == "survey_app.frames.tasks:run_imports"
    assert spec.seconds is not None
    assert spec.seconds <= 15


def test_contact_attributes_are_jsonb_on_postgresql(app: Flask, db_session: Session) -> None:
    engine = get_engine(app)
    (column,) = [c for c in sa.inspect(engine).get_columns("contacts") if c["name"] == "attributes"]
    expected = "JSONB" if engine.dialect.name == "postgresql" else "JSON"
    assert type(column["type"]).__name__ == expected
    frame = Frame(name="J", status=FrameStatus.ready)
    db_session.add(frame)
    db_session.commit()
    db_session.add(
        Contact(
            frame_id=frame.id,
            row_number=2,
            email="a@example.com",
            attributes={"region": "华北", "区域": "北"},
        )
    )
    db_session.commit()
    stored = db_session.exec(select(Contact).where(Contact.attributes["region"].as_string() == "华北")).one()
    assert stored.attributes == {"region": "华北", "区域": "北"}
