"""reviewer notification email

Three nullable columns on `reviewer` for content-free notifications
(cases/notifications.py). Adding nullable columns needs no table copy on
SQLite and no rewrite on PostgreSQL, so existing rows are untouched.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 17:59:41
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reviewer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("notify_after", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("notified_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite has it since 3.35): a batch copy of `reviewer` would recreate the table,
    # and with foreign keys on SQLite would cascade that to sessions, backup codes and affiliations.
    op.drop_column("reviewer", "notified_at")
    op.drop_column("reviewer", "notify_after")
    op.drop_column("reviewer", "email")
