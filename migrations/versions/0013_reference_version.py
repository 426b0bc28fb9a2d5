"""reference version

Issue 21, point 1: `reference_version` holds one random token that changes whenever the category
or OPD lists change through the ORM, so the portal can keep the lists per process and check them
with one small query (cases.platform.seed.choice_lists). A fresh token is written here, so every
process reads the lists once after the upgrade.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 03:30:00
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "reference_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reference_version")),
    )
    if op.get_bind().execute(sa.text("SELECT count(*) FROM category")).scalar():
        op.bulk_insert(table, [{"id": 1, "token": secrets.token_hex(16)}])


def downgrade() -> None:
    op.drop_table("reference_version")
