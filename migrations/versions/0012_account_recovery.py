"""account recovery

A reviewer who forgot their passphrase asks for a reset from the login page; the account
shows as waiting for recovery ("menunggu pemulihan") until it is approved again (issue 19,
point 4). Only the hour of the request is kept (DESIGN.md §3).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-10 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reviewer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recovery_requested_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reviewer", schema=None) as batch_op:
        batch_op.drop_column("recovery_requested_at")
