"""case status check

`ck_case_status`: the case status column takes only the six statuses of
`cases.models.CaseStatus` (issue 15, point 4). The values stored do not
change. An existing row with any other status makes the upgrade fail (it
should never have been written; nothing writes one).

PostgreSQL adds the constraint with ALTER TABLE. SQLite cannot add a
constraint to a table, so Alembic's batch mode copies `case` into a new table
with the constraint and drops the old one. Dropping a parent table with
foreign keys on would cascade to every item, grant and attachment of every
case: `cases.platform.migrations` therefore runs migrations on SQLite with
foreign keys off (SQLite's own procedure for altering a table) and checks them
all before it commits. `tests/cases/platform/test_migrations.py` upgrades a
database holding a case with items, a grant, a label and a duplicate link.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Spelled out, not imported: a migration keeps describing the schema of its day.
STATUSES = ("new", "verifying", "investigating", "referred", "closed", "rejected")


def upgrade() -> None:
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f("ck_case_status"), "status IN (" + ", ".join(f"'{status}'" for status in STATUSES) + ")"
        )


def downgrade() -> None:
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_case_status"), type_="check")
