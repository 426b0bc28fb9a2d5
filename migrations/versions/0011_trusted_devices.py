"""trusted devices

A reviewer's browser that completed a full login with the second factor gets a
device cookie; the server keeps only a keyed hash of its token, the reviewer,
the hour it expires and its own failure count and sealed lock (issue 17): a
stranger's wrong guesses lock the account for untrusted browsers only.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "trusted_device",
        sa.Column("id", sa.LargeBinary(length=32), nullable=False),
        sa.Column("reviewer_id", sa.String(length=32), nullable=False),
        sa.Column("expires_hour", sa.DateTime(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until_sealed", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["reviewer.id"],
            name=op.f("fk_trusted_device_reviewer_id_reviewer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trusted_device")),
    )
    op.create_index(op.f("ix_trusted_device_expires_hour"), "trusted_device", ["expires_hour"], unique=False)
    op.create_index(op.f("ix_trusted_device_reviewer_id"), "trusted_device", ["reviewer_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_trusted_device_reviewer_id"), table_name="trusted_device")
    op.drop_index(op.f("ix_trusted_device_expires_hour"), table_name="trusted_device")
    op.drop_table("trusted_device")
