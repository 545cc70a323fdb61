"""Writes of the import queue: web uploads wait as ``queued`` frames until the worker runs them.

The web process never imports: it keeps the upload under the instance folder and queues the
frame. The worker's job (``frames.tasks.run_imports``) first fails imports left by a process that
died (no heartbeat for ``STALE_AFTER``), then claims queued frames one at a time with a
conditional ``UPDATE ... WHERE status = 'queued'`` so that two workers never run the same one.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, col, select

from survey_app.db import utcnow
from survey_app.frames.importer import ImportFailed, ImportRequest, run_import
from survey_app.frames.models import Contact, Frame, FrameImportIssue, FrameStatus

log = logging.getLogger(__name__)

#: An ``importing`` frame whose heartbeat is older than this was left by a process that died. A
#: batch commits every few seconds; duplicate resolution of a very large frame takes well under this.
STALE_AFTER = dt.timedelta(minutes=10)
STALE_MESSAGE = (
    "the import stopped: no progress was recorded for {minutes} minutes (the process running it"
    " ended); nothing was kept"
)


class QueueError(ValueError):
    """A refused queue action; ``code`` names it for the UI."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.params: dict[str, object] = {}


def queue_import(session: Session, request: ImportRequest, upload: Path) -> Frame:
    """A new ``queued`` frame for the kept upload ``upload`` (in ``uploads.upload_dir``), committed."""
    frame = Frame(
        name=request.name.strip(),
        default_region=request.region.upper() if request.region else None,
        duplicate_policy=request.duplicates,
        source_filename=request.filename,
        column_map=request.column_map.to_dict(),
        created_by_id=request.user_id,
        status=FrameStatus.queued,
        upload_name=upload.name,
        upload_encoding=request.encoding,
    )
    session.add(frame)
    session.commit()
    return frame


def requeue(session: Session, frame_id: int, upload_dir: Path) -> Frame:
    """Queue a failed web import again (its upload is still kept), counters and reason cleared.

    :raises QueueError: ``not_failed`` (only a failed import can be queued again) or
        ``upload_gone`` (imported from the command line, or its file no longer exists).
    """
    frame = session.get(Frame, frame_id)
    if frame is None or frame.status is not FrameStatus.failed:
        raise QueueError("not_failed", "only a failed import can be queued again")
    if not frame.upload_name or not (upload_dir / frame.upload_name).is_file():
        raise QueueError("upload_gone", "the uploaded file is no longer kept: upload it again")
    frames = Frame.__table__  # type: ignore[attr-defined]
    queued = session.execute(
        sa.update(frames)
        .where(frames.c.id == frame_id, frames.c.status == FrameStatus.failed)
        .values(
            status=FrameStatus.queued,
            error=None,
            finished_at=None,
            rows_read=0,
            rows_expected=None,
            updated_at=utcnow(),
        )
    )
    if queued.rowcount != 1:  # type: ignore[attr-defined]  # queued by another click meanwhile
        session.rollback()
        raise QueueError("not_failed", "only a failed import can be queued again")
    session.commit()
    session.refresh(frame)
    return frame


def claim_next(session: Session) -> Frame | None:
    """Take the oldest queued frame for this process (now ``importing``), or None when none waits."""
    frames = Frame.__table__  # type: ignore[attr-defined]
    while True:
        candidate = session.exec(
            select(Frame.id).where(Frame.status == FrameStatus.queued).order_by(col(Frame.id)).limit(1)
        ).first()
        if candidate is None:
            session.rollback()
            return None
        claimed = session.execute(
            sa.update(frames)
            .where(frames.c.id == candidate, frames.c.status == FrameStatus.queued)
            .values(status=FrameStatus.importing, updated_at=utcnow())
        )
        session.commit()
        if claimed.rowcount == 1:  # type: ignore[attr-defined]
            return session.get(Frame, candidate, populate_existing=True)
        # Another worker claimed it between the SELECT and the UPDATE: try the next one.


class WorkerStopping(Exception):
    """The worker is shutting down (SIGTERM): the import is dropped and queued again."""


def import_claimed(
    session: Session, frame: Frame, upload_dir: Path, stop: threading.Event | None = None
) -> Frame:
    """Run the import of a claimed frame; its upload is deleted once the frame is ready.

    A failed import keeps the upload, so the researcher can queue it again (or delete the frame).
    When ``stop`` is set (the worker is stopping) the import stops after the current batch, what
    it staged is deleted and the frame is ``queued`` again for the next worker to start.

    :raises ImportFailed: as ``importer.run_import`` (the frame is then ``failed``).
    """
    path = upload_dir / (frame.upload_name or "missing")
    if not frame.upload_name or not path.is_file():
        raise _fail(session, frame, "the uploaded file is no longer kept: upload it again")

    def check_stop(_frame: Frame, _fraction: float | None) -> None:
        if stop is not None and stop.is_set():
            raise WorkerStopping("the worker is stopping")

    try:
        run_import(session, frame, path, frame.upload_encoding or "auto", progress=check_stop)
    except ImportFailed as exc:
        if not isinstance(exc.__cause__, WorkerStopping):
            raise
        assert frame.id is not None
        return requeue(session, frame.id, upload_dir)
    path.unlink(missing_ok=True)
    frame.upload_name = None
    session.add(frame)
    session.commit()
    return frame


def _fail(session: Session, frame: Frame, message: str) -> ImportFailed:
    frame.status, frame.error, frame.finished_at = FrameStatus.failed, message, utcnow()
    session.add(frame)
    session.commit()
    return ImportFailed(frame, message)


def run_queued_imports(session: Session, upload_dir: Path, stop: threading.Event | None = None) -> int:
    """Import queued frames one after another until none waits (or ``stop`` is set); returns how many
    were attempted. A failed import is logged and the next one runs."""
    attempted = 0
    while not (stop is not None and stop.is_set()):
        frame = claim_next(session)
        if frame is None:
            break
        attempted += 1
        try:
            import_claimed(session, frame, upload_dir, stop)
        except ImportFailed as exc:
            log.warning("frame %s import failed: %s", frame.id, exc)
    return attempted


def fail_stale_imports(
    session: Session, now: dt.datetime, stale_after: dt.timedelta = STALE_AFTER
) -> list[int]:
    """Fail every ``importing`` frame without a heartbeat since ``now - stale_after`` and delete
    what it staged; returns their ids. Conditional on the heartbeat, so a live import is never hit."""
    cutoff = now - stale_after
    frames = Frame.__table__  # type: ignore[attr-defined]
    stale = session.exec(
        select(Frame.id).where(Frame.status == FrameStatus.importing, col(Frame.updated_at) < cutoff)
    ).all()
    message = STALE_MESSAGE.format(minutes=int(stale_after.total_seconds() // 60))
    failed: list[int] = []
    for frame_id in stale:
        result = session.execute(
            sa.update(frames)
            .where(
                frames.c.id == frame_id,
                frames.c.status == FrameStatus.importing,
                frames.c.updated_at < cutoff,
            )
            .values(
                status=FrameStatus.failed,
                error=message,
                finished_at=now,
                updated_at=now,
                contact_count=0,
                rejected_count=0,
                changed_count=0,
                duplicate_count=0,
            )
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]  # it moved meanwhile: alive after all
            session.rollback()
            continue
        for table in (Contact.__table__, FrameImportIssue.__table__):  # type: ignore[attr-defined]
            session.execute(table.delete().where(table.c.frame_id == frame_id))
        session.commit()
        failed.append(int(frame_id))  # type: ignore[arg-type]  # ids of stored rows are never None
    return failed
