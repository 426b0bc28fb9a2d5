"""case list: the concluded cases and the one-column filters in the list's order

Issue 21, point 6. "Most urgent first" ends with the concluded cases (no deadline), newest first.
With only (next_due, id) to walk them, SQLite took every concluded case and sorted it for each page
past the open ones: at 10,000 cases such a page cost 14 ms against 2 ms for page 1, growing with the
table. (next_due, received_at, id) makes them one index range in the list's order. The single-column
indexes of the unit, category and assignee filters become (column, next_due, received_at, id) and
(column, received_at, id): the same lookups (a prefix), and the filter's cases already in the order
of each sort, so a filtered page no longer sorts every case of the unit, category or assignee.
A status filter walks each status on its own and merges them (`status IN (...)` made SQLite sort
every case of the statuses: 48 ms a page at 50,000 cases): (status, next_due, received_at, id), and
"unit + status" gets received_at in its index (migration 0017's becomes (opd_id, status, next_due,
received_at, id)). Five index entries more per case row; an update writes only the indexes of the
columns it changes.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 12:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REPLACED = ("opd_id", "category_id", "assigned_to_id")


def upgrade() -> None:
    op.create_index("ix_case_next_due_received_at_id", "case", ["next_due", "received_at", "id"], unique=False)
    op.create_index(
        "ix_case_status_next_due_received_at_id", "case", ["status", "next_due", "received_at", "id"], unique=False
    )
    op.create_index(
        "ix_case_opd_id_status_next_due_received_at_id",
        "case",
        ["opd_id", "status", "next_due", "received_at", "id"],
        unique=False,
    )
    op.drop_index("ix_case_opd_id_status_next_due_id", table_name="case")
    for column in _REPLACED:
        op.create_index(
            f"ix_case_{column}_next_due_received_at_id", "case", [column, "next_due", "received_at", "id"], unique=False
        )
        op.create_index(f"ix_case_{column}_received_at_id", "case", [column, "received_at", "id"], unique=False)
        op.drop_index(f"ix_case_{column}", table_name="case")


def downgrade() -> None:
    for column in _REPLACED:
        op.create_index(f"ix_case_{column}", "case", [column], unique=False)
        op.drop_index(f"ix_case_{column}_next_due_received_at_id", table_name="case")
        op.drop_index(f"ix_case_{column}_received_at_id", table_name="case")
    op.create_index("ix_case_opd_id_status_next_due_id", "case", ["opd_id", "status", "next_due", "id"], unique=False)
    op.drop_index("ix_case_opd_id_status_next_due_received_at_id", table_name="case")
    op.drop_index("ix_case_status_next_due_received_at_id", table_name="case")
    op.drop_index("ix_case_next_due_received_at_id", table_name="case")
