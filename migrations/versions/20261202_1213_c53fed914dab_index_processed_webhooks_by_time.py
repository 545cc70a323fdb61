"""index processed webhooks by time

The worker now deletes ``processed_webhooks`` rows older than ``SURVEY_WEBHOOK_RETENTION_DAYS``
once a day, in batches; the index on ``created_at`` lets each batch find its rows without
scanning the table.

Revision ID: c53fed914dab
Revises: 90e491c9c979
Create Date: 2026-12-02 12:13:05.624361+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c53fed914dab"
down_revision: str | Sequence[str] | None = "90e491c9c979"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("processed_webhooks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_processed_webhooks_created_at"), ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("processed_webhooks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_processed_webhooks_created_at"))
