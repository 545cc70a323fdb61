"""Contact frames: imported contact lists, their contacts, the import report and contact rules.

Field names are relied on by the sampling (draw and assignment) code: keep them stable.
A frame is drawable only when ``status == FrameStatus.ready``; while ``importing`` its contacts
are a staging area that a failed import deletes again. A frame uploaded on the web is ``queued``
until the worker (``survey worker``) claims it; the CLI imports in its own process at once.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Enum, Index, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from survey_app.db import UTCDateTime, utcnow


class FrameStatus(enum.StrEnum):
    """``queued`` (web upload waiting for the worker) → ``importing`` (staging, not drawable) →
    ``ready``, or ``failed`` (no contacts kept; a web upload may be queued again)."""

    queued = "queued"
    importing = "importing"
    ready = "ready"
    failed = "failed"


class DuplicatePolicy(enum.StrEnum):
    """What happens to rows sharing a phone or an e-mail with another row of the same file."""

    keep_first = "keep-first"
    reject = "reject"
    keep_last = "keep-last"


class IssueAction(enum.StrEnum):
    """What the import did with a row it reports: dropped it, changed a value, or dropped a duplicate."""

    rejected = "rejected"
    changed = "changed"
    duplicate = "duplicate"


def _enum(kind: type[enum.Enum]) -> Enum:
    return Enum(kind, native_enum=False, length=16, values_callable=lambda k: [m.value for m in k])


#: JSONB on PostgreSQL (stored parsed: a draw reads attributes without re-parsing text per row).
JSON_DOCUMENT = JSON().with_variant(JSONB(), "postgresql")


class Frame(SQLModel, table=True):
    """One imported contact list (the sampling frame of one or more surveys)."""

    __tablename__ = "frames"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    #: ISO region in which numbers without ``+`` are read (``CN``); None: every number needs ``+``.
    default_region: str | None = Field(default=None, max_length=2)
    duplicate_policy: DuplicatePolicy = Field(
        default=DuplicatePolicy.keep_first, sa_type=_enum(DuplicatePolicy)
    )
    status: FrameStatus = Field(default=FrameStatus.importing, sa_type=_enum(FrameStatus), index=True)
    source_filename: str | None = Field(default=None, max_length=255)
    #: Encoding actually used to read a CSV file (detected or chosen); None for XLSX.
    encoding: str | None = Field(default=None, max_length=32)
    #: The confirmed column map (``survey_app.frames.columns.ColumnMap.to_dict``).
    column_map: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    #: Data rows read so far (blank rows excluded); updated per batch for the progress view.
    rows_read: int = Field(default=0)
    #: Data rows in the file when known beforehand (XLSX dimension, or None): the progress total.
    rows_expected: int | None = Field(default=None)
    contact_count: int = Field(default=0)
    rejected_count: int = Field(default=0)
    changed_count: int = Field(default=0)
    duplicate_count: int = Field(default=0)
    #: Why the import failed (English; shown to staff).
    error: str | None = Field(default=None, sa_type=Text)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: Heartbeat: set when queued, claimed, and at every committed batch. An ``importing`` frame
    #: not updated for a while was left by a process that died (``operations.fail_stale_imports``).
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    #: File name of the kept web upload under ``<instance>/frame_uploads`` (None: CLI import, or
    #: deleted once imported); a failed frame keeps it so that it can be queued again.
    upload_name: str | None = Field(default=None, max_length=64)
    #: Encoding chosen on the upload form (``auto`` or a name), used when the worker reads the file.
    upload_encoding: str | None = Field(default=None, max_length=32)


class Contact(SQLModel, table=True):
    """One person of a frame, as imported (phone in E.164, e-mail lower-cased domain)."""

    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("frame_id", "row_number", name="frame_row"),
        Index("ix_contacts_phone_e164", "phone_e164"),
        Index("ix_contacts_email", "email"),
    )

    id: int | None = Field(default=None, primary_key=True)
    frame_id: int = Field(foreign_key="frames.id", index=True)
    #: Line of the record in the file (header = 1; a record with a quoted newline counts once).
    row_number: int
    external_id: str | None = Field(default=None, max_length=200)
    name: str | None = Field(default=None, max_length=200)
    phone_e164: str | None = Field(default=None, max_length=16)
    email: str | None = Field(default=None, max_length=320)
    language: str | None = Field(default=None, max_length=16)
    #: IANA zone from the file, else from the phone number when it has exactly one.
    timezone: str | None = Field(default=None, max_length=64)
    stakeholder_group: str | None = Field(default=None, max_length=100)
    #: Every other mapped column (attribute name -> text): strata and piping.
    attributes: dict[str, Any] = Field(default_factory=dict, sa_type=JSON_DOCUMENT)


class FrameImportIssue(SQLModel, table=True):
    """A row the import rejected, changed or dropped as a duplicate, with the reason."""

    __tablename__ = "frame_import_issues"

    id: int | None = Field(default=None, primary_key=True)
    frame_id: int = Field(foreign_key="frames.id", index=True)
    row_number: int
    #: The file column concerned (None: the whole row).
    column: str | None = Field(default=None, max_length=200)
    #: The raw value as read (truncated to 500 characters).
    value: str | None = Field(default=None, max_length=500)
    #: Reason code (``phone_invalid``, ``email_invalid``, ``duplicate_phone``...).
    reason: str = Field(max_length=32)
    #: English explanation with the specifics (also the CSV download's text).
    message: str = Field(default="", sa_type=Text)
    action: IssueAction = Field(sa_type=_enum(IssueAction))
    #: For duplicates: the row kept (or, under ``reject``, another row with the same value).
    related_row: int | None = Field(default=None)


class ContactRules(SQLModel, table=True):
    """Organisation-wide contact governance settings (a single row, id 1).

    ``frequency_days``: exclude at draw time anyone invited by any survey in the last N days
    (0 turns the rule off). Do-not-contact entries are ``fieldwork.models.OptOut`` rows.
    """

    __tablename__ = "contact_rules"

    id: int | None = Field(default=None, primary_key=True)
    frequency_days: int = Field(default=0)
    updated_by_id: int | None = Field(default=None, foreign_key="users.id")
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
