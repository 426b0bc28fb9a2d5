"""case list keyset indexes

Issue 21, point 6: the case list pages by cursor (the last row's sort key and id) instead of
OFFSET, so each sort walks one index range on (key, id). The indexes on `next_due` and
`received_at` alone become (next_due, id) and (received_at, id): the id breaks ties in the index
itself, so PostgreSQL needs no sort for the rows that share a deadline or a receipt hour (SQLite's
WITHOUT ROWID table already carried the id in every index; the new names say it for both).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 04:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_case_next_due_id", "case", ["next_due", "id"], unique=False)
    op.create_index("ix_case_received_at_id", "case", ["received_at", "id"], unique=False)
    op.drop_index("ix_case_next_due", table_name="case")
    op.drop_index("ix_case_received_at", table_name="case")


def downgrade() -> None:
    op.create_index("ix_case_received_at", "case", ["received_at"], unique=False)
    op.create_index("ix_case_next_due", "case", ["next_due"], unique=False)
    op.drop_index("ix_case_received_at_id", table_name="case")
    op.drop_index("ix_case_next_due_id", table_name="case")
