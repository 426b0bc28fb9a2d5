"""visits forget their case

`reporter_session` no longer keeps the case id in a plaintext column: the case
id is sealed with the visit's key under the reporter's cookie token (issue 16,
point 4), and on SQLite the table has no rowid, so its physical order does not
follow arrival. Visits last 30 minutes and hold nothing else, so the table is
dropped and created anew: a reporter in the middle of a visit during the
upgrade enters the receipt again.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 23:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index(op.f("ix_reporter_session_case_id"), table_name="reporter_session")
    op.drop_index(op.f("ix_reporter_session_created_at"), table_name="reporter_session")
    op.drop_table("reporter_session")
    op.create_table(
        "reporter_session",
        sa.Column("id", sa.LargeBinary(length=32), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reporter_session")),
        sqlite_with_rowid=False,
    )
    op.create_index(op.f("ix_reporter_session_created_at"), "reporter_session", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_reporter_session_created_at"), table_name="reporter_session")
    op.drop_table("reporter_session")
    op.create_table(
        "reporter_session",
        sa.Column("id", sa.LargeBinary(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("wrapped_private_key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_reporter_session_case_id_case"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reporter_session")),
    )
    op.create_index(op.f("ix_reporter_session_case_id"), "reporter_session", ["case_id"], unique=False)
    op.create_index(op.f("ix_reporter_session_created_at"), "reporter_session", ["created_at"], unique=False)
