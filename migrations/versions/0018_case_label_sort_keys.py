"""case list: labels carry their case's sort keys

Issue 21, point 6: "overdue + label" gathered every case of the label and sorted them. `case_label`
now carries the case's `next_due` and `received_at` (kept equal by cases.triage.label_order), with
an index on (label, key, case_id) for each order, so a label filter is one index range in the list's
order, at any size (docs/PERFORMANCE.md).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 08:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("case_label", sa.Column("next_due", sa.DateTime(), nullable=True))
    op.add_column("case_label", sa.Column("received_at", sa.DateTime(), nullable=True))
    op.execute(
        'UPDATE case_label SET next_due = (SELECT "case".next_due FROM "case" WHERE "case".id = case_label.case_id), '
        'received_at = (SELECT "case".received_at FROM "case" WHERE "case".id = case_label.case_id)'
    )
    op.create_index(
        "ix_case_label_label_next_due_case_id", "case_label", ["label", "next_due", "case_id"], unique=False
    )
    op.create_index(
        "ix_case_label_label_received_at_case_id", "case_label", ["label", "received_at", "case_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_case_label_label_received_at_case_id", table_name="case_label")
    op.drop_index("ix_case_label_label_next_due_case_id", table_name="case_label")
    with op.batch_alter_table("case_label") as batch:
        batch.drop_column("received_at")
        batch.drop_column("next_due")
