"""confidential identity, disclosure requests, protection steps

Issue 20: a reporter may give an identity in its own section; it is sealed under an identity key
held by custodians (a role of the signed roster), disclosed to one reviewer for one case at a
custodian's grant, and withdrawable while undisclosed. A case whose reporter asked for protection
gets a checklist. New tables only: no column is added to `case` or `reviewer`.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_identity",
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("protection_requested", sa.Boolean(), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("key_tag", sa.LargeBinary(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_case_identity_case_id_case"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_identity")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "identity_grant",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("recipient_kind", sa.String(length=10), nullable=False),
        sa.Column("recipient_id", sa.String(length=80), nullable=False),
        sa.Column("reviewer_id", sa.String(length=32), nullable=True),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_identity_grant_case_id_case"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["reviewer.id"], name=op.f("fk_identity_grant_reviewer_id_reviewer"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_grant")),
        sa.UniqueConstraint("case_id", "recipient_kind", "recipient_id", name="uq_identity_grant_recipient"),
        sqlite_with_rowid=False,
    )
    op.create_index(op.f("ix_identity_grant_case_id"), "identity_grant", ["case_id"], unique=False)
    op.create_index(op.f("ix_identity_grant_reviewer_id"), "identity_grant", ["reviewer_id"], unique=False)
    op.create_table(
        "identity_request",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("requester_id", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by_id", sa.String(length=32), nullable=True),
        sa.Column("reason_team", sa.LargeBinary(), nullable=False),
        sa.Column("reason_custodian", sa.LargeBinary(), nullable=False),
        sa.Column("decision_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("decision_custodian", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_identity_request_case_id_case"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["requester_id"],
            ["reviewer.id"],
            name=op.f("fk_identity_request_requester_id_reviewer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["reviewer.id"], name=op.f("fk_identity_request_decided_by_id_reviewer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_request")),
        sqlite_with_rowid=False,
    )
    op.create_index(op.f("ix_identity_request_case_id"), "identity_request", ["case_id"], unique=False)
    op.create_index(op.f("ix_identity_request_requester_id"), "identity_request", ["requester_id"], unique=False)
    op.create_table(
        "protection_step",
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("step", sa.String(length=30), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=False),
        sa.Column("done_by_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_protection_step_case_id_case"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["done_by_id"], ["reviewer.id"], name=op.f("fk_protection_step_done_by_id_reviewer")),
        sa.PrimaryKeyConstraint("case_id", "step", name=op.f("pk_protection_step")),
    )


def downgrade() -> None:
    op.drop_table("protection_step")
    op.drop_index(op.f("ix_identity_request_requester_id"), table_name="identity_request")
    op.drop_index(op.f("ix_identity_request_case_id"), table_name="identity_request")
    op.drop_table("identity_request")
    op.drop_index(op.f("ix_identity_grant_reviewer_id"), table_name="identity_grant")
    op.drop_index(op.f("ix_identity_grant_case_id"), table_name="identity_grant")
    op.drop_table("identity_grant")
    op.drop_table("case_identity")
