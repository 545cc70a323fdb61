"""Importing a contact file into a frame: stream, clean, insert in batches, resolve duplicates.

A frame is created in status ``importing`` and stays a staging area (never drawable) until every
row is in and duplicates are resolved; then it becomes ``ready`` in the same commit as the final
counts. Any failure deletes the frame's contacts and issues again and marks it ``failed`` with
the reason, so no half-imported frame can be sampled. Batches are committed so that memory stays
bounded and the web page can show progress while the file is read.

Every commit also moves the frame's heartbeat (``updated_at``), conditionally on the frame still
being the import this process started (status ``importing`` and the heartbeat it last wrote): an
import declared dead meanwhile (``queue.fail_stale_imports``) or taken over after a re-queue then
stops with ``ImportAbandoned``, and nothing it staged since is ever committed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from survey_app.db import utcnow
from survey_app.frames.columns import ColumnMap
from survey_app.frames.models import (
    Contact,
    DuplicatePolicy,
    Frame,
    FrameImportIssue,
    FrameStatus,
    IssueAction,
)
from survey_app.frames.reader import Table, open_table
from survey_app.frames.rows import RowCleaner

BATCH_SIZE = 5000

#: Called after each batch with the frame (its counters updated) and the share of the file read.
Progress = Callable[[Frame, float | None], None]


@dataclass(frozen=True)
class ImportRequest:
    """Everything an import needs besides the file."""

    name: str
    column_map: ColumnMap
    region: str | None = None
    duplicates: DuplicatePolicy = DuplicatePolicy.keep_first
    encoding: str = "auto"
    filename: str | None = None
    user_id: int | None = None


class ImportFailed(Exception):
    """The import stopped; the frame is marked failed and holds no contacts."""

    def __init__(self, frame: Frame, message: str) -> None:
        super().__init__(message)
        self.frame = frame


class ImportAbandoned(ImportFailed):
    """The frame is no longer this process's import (declared dead, deleted or re-queued)."""


def create_frame(session: Session, request: ImportRequest) -> Frame:
    """A new frame in status ``importing`` (committed, so its progress can be watched)."""
    frame = Frame(
        name=request.name.strip(),
        default_region=request.region.upper() if request.region else None,
        duplicate_policy=request.duplicates,
        source_filename=request.filename,
        column_map=request.column_map.to_dict(),
        created_by_id=request.user_id,
    )
    session.add(frame)
    session.commit()
    return frame


def run_import(
    session: Session, frame: Frame, path: Path, encoding: str = "auto", progress: Progress | None = None
) -> Frame:
    """Read ``path`` into ``frame`` (status ``importing``); ``ready`` on success.

    :raises ImportFailed: the file could not be read to its end or the database refused a row; the
        frame is then ``failed``, with the reason in ``frame.error`` and no contacts or issues.
    """
    try:
        with open_table(path, encoding, frame.source_filename) as table:
            ColumnMap.from_dict(frame.column_map).check(table.header)
            frame.encoding = table.encoding
            frame.rows_expected = table.rows_expected
            _load_rows(session, frame, table, progress)
        _resolve_duplicates(session, frame)
        _finish(session, frame)
    except ImportAbandoned:
        session.rollback()  # what it staged since its last heartbeat; the rest was cleaned already
        raise
    except Exception as exc:
        session.rollback()
        message = str(exc) or type(exc).__name__
        _discard(session, frame, message)
        raise ImportFailed(frame, message) from exc
    return frame


def import_file(
    session: Session, path: Path, request: ImportRequest, progress: Progress | None = None
) -> Frame:
    """Create a frame and import ``path`` into it (the CLI's one call)."""
    frame = create_frame(session, request)
    return run_import(session, frame, path, request.encoding, progress)


@dataclass
class _Batch:
    """Rows cleaned since the last commit, and the frame's counters once they are stored."""

    contacts: list[dict[str, Any]] = field(default_factory=list)
    issues: list[dict[str, Any]] = field(default_factory=list)
    read: int = 0
    rejected: int = 0
    changed: int = 0


def _load_rows(session: Session, frame: Frame, table: Table, progress: Progress | None) -> None:
    """Clean rows in this thread while a second one stores the previous batch (the database's
    work and ours overlap; at most two batches are in memory). Only the writer touches the session."""
    assert frame.id is not None
    cleaner = RowCleaner(table.header, ColumnMap.from_dict(frame.column_map), frame.default_region)
    batch = _Batch()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="frame-writer") as writer:
        pending: Future[None] | None = None
        for row_number, cells in table.rows():
            batch.read += 1
            contact, found = cleaner.clean(row_number, cells)
            if contact is not None:
                contact["frame_id"] = frame.id
                batch.contacts.append(contact)
            else:
                batch.rejected += 1
            if found:
                batch.issues.extend(issue.as_row(frame.id) for issue in found)
                if contact is not None and any(i.action is IssueAction.changed for i in found):
                    batch.changed += 1
            if len(batch.contacts) >= BATCH_SIZE or len(batch.issues) >= BATCH_SIZE:
                if pending is not None:
                    pending.result()  # the writer's error, if any, stops the reading here
                pending = writer.submit(_flush, session, frame, batch, table, progress)
                batch = _Batch(read=batch.read, rejected=batch.rejected, changed=batch.changed)
        if pending is not None:
            pending.result()
    _flush(session, frame, batch, table, progress)


def _flush(session: Session, frame: Frame, batch: _Batch, table: Table, progress: Progress | None) -> None:
    """Store one batch and the frame's counters, and commit (the progress the web page shows)."""
    if batch.contacts:
        _insert(session, Contact.__table__, batch.contacts)  # type: ignore[attr-defined]
    if batch.issues:
        _insert(session, FrameImportIssue.__table__, batch.issues)  # type: ignore[attr-defined]
    # Counters live in the batch, not on the frame, while reading: a SQLModel attribute write
    # costs ~25 µs, and only this function may touch the frame while the writer runs.
    frame.rows_read, frame.rejected_count, frame.changed_count = batch.read, batch.rejected, batch.changed
    fraction = table.fraction_read
    if fraction and frame.rows_read:
        frame.rows_expected = round(frame.rows_read / fraction)
    _beat(session, frame)
    session.add(frame)
    session.commit()
    if progress is not None:
        progress(frame, fraction)


def _insert(session: Session, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """One batch of rows: PostgreSQL ``COPY`` in the same transaction (several times faster than
    executemany), a Core executemany elsewhere (SQLite's is fast already)."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(table.insert(), rows)
        return
    driver = connection.connection.driver_connection
    assert driver is not None
    columns = list(rows[0])
    encode = [c for c in columns if isinstance(table.c[c].type, sa.JSON)]
    quoted = ", ".join(f'"{c}"' for c in columns)  # "column" is a reserved word
    statement = f"COPY {table.name} ({quoted}) FROM STDIN"
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            for c in encode:
                row[c] = json.dumps(row[c], ensure_ascii=False)
            copy.write_row([row[c] for c in columns])


def _resolve_duplicates(session: Session, frame: Frame) -> None:
    """Drop the rows sharing a phone or an e-mail with another row, as the frame's policy says.

    ``keep-first``: a row goes when an *earlier* row has its phone or its e-mail (so the rows kept
    never share either); ``keep-last`` is the mirror image; ``reject``: every row whose phone or
    e-mail occurs more than once goes. Done in SQL (window functions), so memory stays bounded.
    """
    fields = ColumnMap.from_dict(frame.column_map).fields
    contacts = Contact.__table__  # type: ignore[attr-defined]
    issues = FrameImportIssue.__table__  # type: ignore[attr-defined]
    doomed = []
    for key, field_name in (("phone_e164", "phone"), ("email", "email")):
        if field_name not in fields:
            continue
        window = _duplicate_window(contacts, contacts.c[key], frame)
        found = window.subquery()
        reason = f"duplicate_{field_name}"
        other: sa.ColumnElement[Any]
        if frame.duplicate_policy is DuplicatePolicy.reject:
            keep = found.c.copies <= 1
            other = sa.case(
                (found.c.first_row == found.c.row_number, found.c.last_row), else_=found.c.first_row
            )
            text = sa.literal(f"same {field_name} as other rows, e.g. row ") + sa.cast(other, sa.String)
        else:
            kept = (
                found.c.first_row
                if frame.duplicate_policy is DuplicatePolicy.keep_first
                else found.c.last_row
            )
            keep = found.c.row_number == kept
            other = kept
            text = (
                sa.literal(f"same {field_name} as row ")
                + sa.cast(kept, sa.String)
                + sa.literal(", which is kept")
            )
        rows = sa.select(
            sa.literal(frame.id),
            found.c.row_number,
            sa.literal(fields[field_name]),
            found.c.value,
            sa.literal(reason),
            text,
            sa.literal(IssueAction.duplicate.value),
            other,
        ).where(~keep)
        columns = ["frame_id", "row_number", "column", "value", "reason", "message", "action", "related_row"]
        session.execute(issues.insert().from_select(columns, rows))
        doomed.append(sa.select(found.c.id).where(~keep))
    if doomed:
        ids = sa.union(*doomed).subquery()
        deleted = session.execute(contacts.delete().where(contacts.c.id.in_(sa.select(ids.c.id))))
        frame.duplicate_count = deleted.rowcount or 0  # type: ignore[attr-defined]


def _duplicate_window(contacts: sa.Table, key: sa.Column[Any], frame: Frame) -> sa.Select[Any]:
    """Each contact of the frame with a value in ``key``: the first and last row with that value."""
    return sa.select(
        contacts.c.id,
        contacts.c.row_number,
        key.label("value"),
        sa.func.min(contacts.c.row_number).over(partition_by=key).label("first_row"),
        sa.func.max(contacts.c.row_number).over(partition_by=key).label("last_row"),
        sa.func.count().over(partition_by=key).label("copies"),
    ).where(contacts.c.frame_id == frame.id, key.is_not(None))


def _finish(session: Session, frame: Frame) -> None:
    _beat(session, frame)  # first: the status written below must not satisfy or defeat the guard
    contacts = Contact.__table__  # type: ignore[attr-defined]
    count = session.execute(sa.select(sa.func.count()).where(contacts.c.frame_id == frame.id)).scalar_one()
    frame.contact_count = count
    frame.rows_expected = frame.rows_read
    frame.status = FrameStatus.ready
    frame.finished_at = utcnow()
    session.add(frame)
    session.commit()


def _beat(session: Session, frame: Frame) -> None:
    """Move the heartbeat in the current transaction, if the frame is still this import's.

    :raises ImportAbandoned: it is not (then the caller's transaction must be rolled back).
    """
    stamp = utcnow()
    frames = Frame.__table__  # type: ignore[attr-defined]
    claimed = session.execute(
        sa.update(frames)
        .where(
            frames.c.id == frame.id,
            frames.c.status == FrameStatus.importing,
            frames.c.updated_at == frame.updated_at,
        )
        .values(updated_at=stamp)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise ImportAbandoned(frame, "the import was stopped: no progress was recorded for too long")
    set_committed_value(frame, "updated_at", stamp)


def _discard(session: Session, frame: Frame, message: str) -> None:
    """Delete whatever a failed import staged, and say why it failed."""
    for table in (Contact.__table__, FrameImportIssue.__table__):  # type: ignore[attr-defined]
        session.execute(table.delete().where(table.c.frame_id == frame.id))
    frame.status = FrameStatus.failed
    frame.error = message[:2000]
    frame.contact_count = frame.changed_count = frame.rejected_count = frame.duplicate_count = 0
    frame.finished_at = utcnow()
    session.add(frame)
    session.commit()
