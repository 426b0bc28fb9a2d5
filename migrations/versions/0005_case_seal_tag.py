"""case seal tag

`case.seal_tag`: HMAC tags of a case's two keys bound to the case and its
unit (cases.grants). A nullable column: existing cases get theirs from
`flask --app wsgi:review items upgrade` (the recovery ceremony that opens
every case); until then reviewers cannot open them (docs/OPERATIONS.md).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 21:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE on both databases (SQLite has ADD and DROP COLUMN since 3.35): a batch copy of
# `case` would drop and recreate it, and with foreign keys on, SQLite would cascade that drop to
# every item, grant and attachment of every case.


def upgrade() -> None:
    op.add_column("case", sa.Column("seal_tag", sa.LargeBinary(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column("case", "seal_tag")
