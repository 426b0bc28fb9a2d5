"""login throttle for unknown names

`login_throttle`: failed logins for user names that are no account, keyed by
a keyed hash of the name, so an unknown name locks exactly like a real one
(issue 16, point 5). A new table only.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 22:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("name_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("last_attempt_hour", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name_hash", name=op.f("pk_login_throttle")),
    )


def downgrade() -> None:
    op.drop_table("login_throttle")
