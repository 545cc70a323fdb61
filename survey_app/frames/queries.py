"""Reads: frames, their contacts and import reports, the do-not-contact list and contact rules."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence

from sqlalchemy import func
from sqlmodel import Session, col, select
from werkzeug.exceptions import NotFound

from survey_app.fieldwork.models import OptOut
from survey_app.frames.models import Contact, ContactRules, Frame, FrameImportIssue, FrameStatus

ISSUES_PAGE = 200
OPT_OUTS_PAGE = 200
DNC_SOURCE = "staff"
ISSUE_CSV_COLUMNS = ("row", "column", "value", "action", "reason", "message", "related_row")


class FrameNotFound(NotFound, LookupError):
    """No frame with that id: a 404 in a request, a LookupError elsewhere."""


def get_frame(session: Session, frame_id: int) -> Frame:
    """The frame with ``frame_id``; raises FrameNotFound."""
    frame = session.get(Frame, frame_id)
    if frame is None:
        raise FrameNotFound()
    return frame


def query_frames(session: Session) -> Sequence[Frame]:
    """Every frame, newest first."""
    return session.exec(select(Frame).order_by(col(Frame.created_at).desc(), col(Frame.id).desc())).all()


def query_ready_frames(session: Session) -> Sequence[Frame]:
    """The frames a sample may be drawn from (fully imported), newest first."""
    statement = select(Frame).where(Frame.status == FrameStatus.ready)
    return session.exec(statement.order_by(col(Frame.created_at).desc(), col(Frame.id).desc())).all()


def query_contacts(session: Session, frame: Frame, limit: int = 20) -> Sequence[Contact]:
    """The first ``limit`` contacts of a frame in file order (a preview)."""
    statement = select(Contact).where(Contact.frame_id == frame.id).order_by(col(Contact.row_number))
    return session.exec(statement.limit(limit)).all()


def query_issues(session: Session, frame: Frame, page: int = 1) -> Sequence[FrameImportIssue]:
    """One page of a frame's import report, in row order."""
    statement = (
        select(FrameImportIssue)
        .where(FrameImportIssue.frame_id == frame.id)
        .order_by(col(FrameImportIssue.row_number), col(FrameImportIssue.id))
    )
    return session.exec(statement.offset((max(page, 1) - 1) * ISSUES_PAGE).limit(ISSUES_PAGE)).all()


def count_issues(session: Session, frame: Frame) -> int:
    """How many issues the import report of ``frame`` holds."""
    statement = (
        select(func.count()).select_from(FrameImportIssue).where(FrameImportIssue.frame_id == frame.id)
    )
    return session.exec(statement).one()


def write_issues_csv(session: Session, frame: Frame) -> Iterator[str]:
    """The whole import report as CSV text chunks (streamed: a million issues stay bounded)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(ISSUE_CSV_COLUMNS)
    statement = (
        select(FrameImportIssue)
        .where(FrameImportIssue.frame_id == frame.id)
        .order_by(col(FrameImportIssue.row_number), col(FrameImportIssue.id))
        .execution_options(yield_per=2000)
    )
    for number, issue in enumerate(session.exec(statement), start=1):
        writer.writerow(
            [
                issue.row_number,
                issue.column or "",
                _csv_safe(issue.value or ""),
                issue.action.value,
                issue.reason,
                issue.message,
                issue.related_row or "",
            ]
        )
        if number % 2000 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _csv_safe(value: str) -> str:
    """Keep a spreadsheet from running a value of the file as a formula (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") and not value[1:2].isdigit() else value


def query_do_not_contact(session: Session, search: str = "", page: int = 1) -> Sequence[OptOut]:
    """Opt-outs of every source (newest first), optionally those whose address contains ``search``."""
    statement = select(OptOut)
    if search:
        statement = statement.where(col(OptOut.address).contains(search.strip().lower(), autoescape=True))
    statement = statement.order_by(col(OptOut.created_at).desc(), col(OptOut.id).desc())
    return session.exec(statement.offset((max(page, 1) - 1) * OPT_OUTS_PAGE).limit(OPT_OUTS_PAGE)).all()


def count_do_not_contact(session: Session) -> int:
    """How many addresses may not be contacted (opt-outs of every source)."""
    return session.exec(select(func.count()).select_from(OptOut)).one()


def get_contact_rules(session: Session) -> ContactRules:
    """The contact governance settings (defaults when never saved: the rule is off)."""
    return session.get(ContactRules, 1) or ContactRules(id=1)


def contact_frequency_days(session: Session) -> int:
    """N of "exclude anyone invited by any survey in the last N days"; 0: no such rule."""
    return get_contact_rules(session).frequency_days
