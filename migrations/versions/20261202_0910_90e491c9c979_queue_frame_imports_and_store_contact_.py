"""queue frame imports and store contact attributes as jsonb

Web uploads are now imported by the worker: ``frames`` gets the kept upload (``upload_name``,
``upload_encoding``) and a heartbeat (``updated_at``) by which an import left by a dead process
is found. ``contacts.attributes`` becomes ``jsonb`` on PostgreSQL (stored parsed; SQLite keeps
its JSON text). The new ``queued`` status needs no change: statuses are a non-native enum.

Revision ID: 90e491c9c979
Revises: db28145de66f
Create Date: 2026-12-02 09:10:44.077063+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "90e491c9c979"
down_revision: str | Sequence[str] | None = "db28145de66f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("frames", schema=None) as batch_op:
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("upload_name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.add_column(
            sa.Column("upload_encoding", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )
    # Existing frames: their last change was the end of their import (or its start).
    op.execute("UPDATE frames SET updated_at = COALESCE(finished_at, created_at)")
    with op.batch_alter_table("frames", schema=None) as batch_op:
        batch_op.alter_column("updated_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.create_index(batch_op.f("ix_frames_updated_at"), ["updated_at"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(
            "contacts",
            "attributes",
            type_=postgresql.JSONB(),
            existing_type=sa.JSON(),
            existing_nullable=False,
            postgresql_using="attributes::jsonb",
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(
            "contacts",
            "attributes",
            type_=sa.JSON(),
            existing_type=postgresql.JSONB(),
            existing_nullable=False,
            postgresql_using="attributes::json",
        )
    # A queued frame cannot exist before this revision: it was imported in the web process.
    op.execute(
        "UPDATE frames SET status = 'failed', error = 'import queued when the database was downgraded'"
        " WHERE status = 'queued'"
    )
    with op.batch_alter_table("frames", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_frames_updated_at"))
        batch_op.drop_column("upload_encoding")
        batch_op.drop_column("upload_name")
        batch_op.drop_column("updated_at")
