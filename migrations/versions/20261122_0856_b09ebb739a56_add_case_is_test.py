"""add case is_test: pilot links issued by hand, kept out of results by default

Revision ID: b09ebb739a56
Revises: 11d4b44e9a53
Create Date: 2026-11-22 08:56:29.066233+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b09ebb739a56"
down_revision: str | Sequence[str] | None = "11d4b44e9a53"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("is_test", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("is_test")
