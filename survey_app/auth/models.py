"""Staff accounts and their roles."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Enum
from sqlmodel import Field, SQLModel

from survey_app.db import UTCDateTime, utcnow


class Role(enum.StrEnum):
    """What a staff member may do; every route declares the roles it admits."""

    admin = "admin"
    researcher = "researcher"
    analyst = "analyst"
    qa_auditor = "qa_auditor"
    vendor_manager = "vendor_manager"
    agent = "agent"


#: Roles that work for an outsourced fieldwork vendor and therefore need a ``vendor_id``.
VENDOR_ROLES = frozenset({Role.vendor_manager, Role.agent})

ROLE_LABELS = {
    Role.admin: _l("Administrator"),
    Role.researcher: _l("Researcher"),
    Role.analyst: _l("Analyst"),
    Role.qa_auditor: _l("QA auditor"),
    Role.vendor_manager: _l("Vendor manager"),
    Role.agent: _l("Call agent"),
}


class User(SQLModel, table=True):
    """A staff member who signs in (respondents never do).

    Implements the four members Flask-Login needs instead of inheriting ``UserMixin``, whose
    ``is_active`` property would clash with the column of the same name.
    """

    __tablename__ = "users"
    __table_args__ = (CheckConstraint("email = lower(email)", name="email_lower_case"),)

    id: int | None = Field(default=None, primary_key=True)
    #: Stored lower-cased, so the unique index makes ``Li@x.org`` and ``li@x.org`` one account.
    email: str = Field(max_length=320, unique=True)
    display_name: str = Field(max_length=200)
    password_hash: str = Field(max_length=255)
    # Stored as text, not a PostgreSQL enum type: adding a role later needs no type migration.
    role: Role = Field(sa_type=Enum(Role, native_enum=False, length=32), index=True)
    #: The vendor a vendor manager or agent works for (the vendors table comes with its module).
    vendor_id: int | None = Field(default=None, index=True)
    #: A BCP 47 tag from ``survey_app.config.LANGUAGES``; None: follow the browser.
    preferred_language: str | None = Field(default=None, max_length=16)
    is_active: bool = Field(default=True)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_login_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """The identity kept in the session cookie: the id plus a fingerprint of the password hash.

        Changing or resetting the password changes the fingerprint, which signs out every other
        session of this user (cookie sessions cannot be revoked one by one on the server).
        """
        return f"{self.id}:{password_fingerprint(self.password_hash)}"

    @property
    def role_label(self) -> str:
        return str(ROLE_LABELS[self.role])


def password_fingerprint(password_hash: str) -> str:
    """A short digest of the stored hash; reveals nothing useful about the password."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]
