"""add contact frames

Tables of ``survey_app.frames``: ``frames`` (imported contact lists), ``contacts``,
``frame_import_issues`` (every rejected, changed or duplicate row) and ``contact_rules``
(the contact-frequency setting).

Revision ID: 77845c4ab2c7
Revises: dd29b8343c07
Create Date: 2026-12-02 07:53:16.763005+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "77845c4ab2c7"
down_revision: str | Sequence[str] | None = "dd29b8343c07"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contact_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("frequency_days", sa.Integer(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_contact_rules_updated_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_rules")),
    )
    op.create_table(
        "frames",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("default_region", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True),
        sa.Column(
            "duplicate_policy",
            sa.Enum(
                "keep-first", "reject", "keep-last", name="duplicatepolicy", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum("importing", "ready", "failed", name="framestatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("source_filename", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("encoding", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("column_map", sa.JSON(), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("rows_expected", sa.Integer(), nullable=True),
        sa.Column("contact_count", sa.Integer(), nullable=False),
        sa.Column("rejected_count", sa.Integer(), nullable=False),
        sa.Column("changed_count", sa.Integer(), nullable=False),
        sa.Column("duplicate_count", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_frames_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_frames")),
    )
    with op.batch_alter_table("frames", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_frames_status"), ["status"], unique=False)

    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("frame_id", sa.Integer(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("phone_e164", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("timezone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("stakeholder_group", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["frame_id"], ["frames.id"], name=op.f("fk_contacts_frame_id_frames")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
        sa.UniqueConstraint("frame_id", "row_number", name="frame_row"),
    )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_index("ix_contacts_email", ["email"], unique=False)
        batch_op.create_index(batch_op.f("ix_contacts_frame_id"), ["frame_id"], unique=False)
        batch_op.create_index("ix_contacts_phone_e164", ["phone_e164"], unique=False)

    op.create_table(
        "frame_import_issues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("frame_id", sa.Integer(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("column", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column(
            "action",
            sa.Enum("rejected", "changed", "duplicate", name="issueaction", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("related_row", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["frame_id"], ["frames.id"], name=op.f("fk_frame_import_issues_frame_id_frames")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_frame_import_issues")),
    )
    with op.batch_alter_table("frame_import_issues", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_frame_import_issues_frame_id"), ["frame_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("frame_import_issues", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_frame_import_issues_frame_id"))

    op.drop_table("frame_import_issues")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_contacts_phone_e164")
        batch_op.drop_index(batch_op.f("ix_contacts_frame_id"))
        batch_op.drop_index("ix_contacts_email")

    op.drop_table("contacts")
    with op.batch_alter_table("frames", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_frames_status"))

    op.drop_table("frames")
    op.drop_table("contact_rules")
