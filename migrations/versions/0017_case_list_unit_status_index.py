"""case list: an index for "unit + status", in deadline order

Issue 21, point 6: the team's most common filter ("this unit, open statuses") walked every case of
the unit and checked each; with (opd_id, status, next_due, id) the matching cases are index ranges,
already in the order of "most urgent first". One more index written by each submission and status
change (docs/PERFORMANCE.md).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 06:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_case_opd_id_status_next_due_id", "case", ["opd_id", "status", "next_due", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_case_opd_id_status_next_due_id", table_name="case")
