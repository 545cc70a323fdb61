"""contact attempts: partial provider and send-time indexes, no duplicate survey index

Revision ID: f5bbecf14ff0
Revises: c53fed914dab
Create Date: 2026-12-02 12:54:32.151408+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f5bbecf14ff0"
down_revision: str | Sequence[str] | None = "c53fed914dab"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A wave writes hundreds of thousands of planned attempts at once: every index costs each row.
    # survey_id leads the unique step_attempt index already; provider ids and send times exist
    # only once an attempt is sent, and lookups by them are for such rows (strict comparisons
    # imply IS NOT NULL, so both PostgreSQL and SQLite use the partial indexes).
    op.drop_index("ix_contact_attempts_survey_id", table_name="contact_attempts")
    for column in ("provider_id", "sent_at"):
        name = f"ix_contact_attempts_{column}"
        op.drop_index(name, table_name="contact_attempts")
        predicate = sa.text(f"{column} IS NOT NULL")
        op.create_index(
            name, "contact_attempts", [column], postgresql_where=predicate, sqlite_where=predicate
        )


def downgrade() -> None:
    for column in ("provider_id", "sent_at"):
        name = f"ix_contact_attempts_{column}"
        op.drop_index(name, table_name="contact_attempts")
        op.create_index(name, "contact_attempts", [column])
    op.create_index("ix_contact_attempts_survey_id", "contact_attempts", ["survey_id"])
