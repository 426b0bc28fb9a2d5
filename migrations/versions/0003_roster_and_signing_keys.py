"""roster, signing keys, audit anchors

The signed team roster (issue 14): signing-key columns on `reviewer` and
`reviewer_session`, the append-only `roster_entry` chain, `roster_proposal`
for changes that wait for a second key holder, and `audit_anchor` for the
heads key holders saw. New nullable columns and new tables only: existing
rows are untouched. Existing accounts get a signing key at their next login
and need a roster approval (docs/INSTALL.md, "Upgrading an installation").

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reviewer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signing_public_key", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("wrapped_signing_key", sa.LargeBinary(), nullable=True))
    with op.batch_alter_table("reviewer_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wrapped_signing_key", sa.LargeBinary(), nullable=True))
    op.create_table(
        "roster_entry",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.String(length=32), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("signatures", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_roster_entry")),
    )
    with op.batch_alter_table("roster_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_roster_entry_subject_id"), ["subject_id"], unique=False)
    op.create_table(
        "roster_proposal",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.String(length=32), nullable=False),
        sa.Column("opd_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("proposed_by_id", sa.String(length=32), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_proposal")),
    )
    op.create_table(
        "audit_anchor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("event_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("roster_seq", sa.Integer(), nullable=False),
        sa.Column("roster_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("signer_id", sa.String(length=32), nullable=True),
        sa.Column("signature", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_anchor")),
    )


def downgrade() -> None:
    op.drop_table("audit_anchor")
    op.drop_table("roster_proposal")
    with op.batch_alter_table("roster_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roster_entry_subject_id"))
    op.drop_table("roster_entry")
    # Plain DROP COLUMN (SQLite has it since 3.35): a batch copy of `reviewer` would recreate the
    # table, and with foreign keys on SQLite would cascade that to sessions, codes and affiliations.
    op.drop_column("reviewer_session", "wrapped_signing_key")
    op.drop_column("reviewer", "wrapped_signing_key")
    op.drop_column("reviewer", "signing_public_key")
