"""add interviewer ratings and click-to-call

Revision ID: db28145de66f
Revises: eb217ce484b0
Create Date: 2026-12-02 08:54:43.215606+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "db28145de66f"
down_revision: str | Sequence[str] | None = "eb217ce484b0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "call_rating_surveys",
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("rating_survey_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rating_survey_id"], ["surveys.id"], name=op.f("fk_call_rating_surveys_rating_survey_id_surveys")
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["surveys.id"], name=op.f("fk_call_rating_surveys_survey_id_surveys")
        ),
        sa.PrimaryKeyConstraint("survey_id", name=op.f("pk_call_rating_surveys")),
        sa.UniqueConstraint("rating_survey_id", name=op.f("uq_call_rating_surveys_rating_survey_id")),
    )
    op.create_table(
        "call_interviewer_ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rated_interview_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("mode", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("rating_case_id", sa.Integer(), nullable=False),
        sa.Column("contact_attempt_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["users.id"], name=op.f("fk_call_interviewer_ratings_agent_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_call_interviewer_ratings_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["contact_attempt_id"],
            ["contact_attempts.id"],
            name=op.f("fk_call_interviewer_ratings_contact_attempt_id_contact_attempts"),
        ),
        sa.ForeignKeyConstraint(
            ["rated_interview_id"],
            ["interviews.id"],
            name=op.f("fk_call_interviewer_ratings_rated_interview_id_interviews"),
        ),
        sa.ForeignKeyConstraint(
            ["rating_case_id"], ["cases.id"], name=op.f("fk_call_interviewer_ratings_rating_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["surveys.id"], name=op.f("fk_call_interviewer_ratings_survey_id_surveys")
        ),
        sa.ForeignKeyConstraint(
            ["vendor_id"], ["vendors.id"], name=op.f("fk_call_interviewer_ratings_vendor_id_vendors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_interviewer_ratings")),
        sa.UniqueConstraint(
            "rated_interview_id", name=op.f("uq_call_interviewer_ratings_rated_interview_id")
        ),
        sa.UniqueConstraint("rating_case_id", name=op.f("uq_call_interviewer_ratings_rating_case_id")),
    )
    with op.batch_alter_table("call_interviewer_ratings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_call_interviewer_ratings_survey_id"), ["survey_id"], unique=False
        )
        batch_op.create_index("ix_call_ratings_vendor_agent", ["vendor_id", "agent_id"], unique=False)

    op.create_table(
        "call_bridges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("interview_id", sa.Integer(), nullable=True),
        sa.Column("call_sid", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recording_sid", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("recording_url", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("recording_seconds", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["users.id"], name=op.f("fk_call_bridges_agent_id_users")),
        sa.ForeignKeyConstraint(
            ["attempt_id"], ["call_attempts.id"], name=op.f("fk_call_bridges_attempt_id_call_attempts")
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_call_bridges_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["interview_id"], ["interviews.id"], name=op.f("fk_call_bridges_interview_id_interviews")
        ),
        sa.ForeignKeyConstraint(
            ["vendor_id"], ["vendors.id"], name=op.f("fk_call_bridges_vendor_id_vendors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_bridges")),
        sa.UniqueConstraint("attempt_id", name=op.f("uq_call_bridges_attempt_id")),
        sa.UniqueConstraint("call_sid", name=op.f("uq_call_bridges_call_sid")),
    )
    with op.batch_alter_table("call_bridges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_bridges_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_call_bridges_interview_id"), ["interview_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_call_bridges_recording_sid"), ["recording_sid"], unique=False)

    with op.batch_alter_table("agent_profiles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agent_profiles", schema=None) as batch_op:
        batch_op.drop_column("phone")

    with op.batch_alter_table("call_bridges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_bridges_recording_sid"))
        batch_op.drop_index(batch_op.f("ix_call_bridges_interview_id"))
        batch_op.drop_index(batch_op.f("ix_call_bridges_case_id"))

    op.drop_table("call_bridges")
    with op.batch_alter_table("call_interviewer_ratings", schema=None) as batch_op:
        batch_op.drop_index("ix_call_ratings_vendor_agent")
        batch_op.drop_index(batch_op.f("ix_call_interviewer_ratings_survey_id"))

    op.drop_table("call_interviewer_ratings")
    op.drop_table("call_rating_surveys")
