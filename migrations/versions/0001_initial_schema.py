"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-28 15:51:27.681234
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor_id", sa.String(length=32), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=True),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.Column("prev_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_case_id"), ["case_id"], unique=False)

    op.create_table(
        "category",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name_id", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_category")),
        sa.UniqueConstraint("code", name=op.f("uq_category_code")),
    )
    op.create_table(
        "opd",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opd")),
        sa.UniqueConstraint("name", name=op.f("uq_opd_name")),
    )
    op.create_table(
        "recovery_key",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_key")),
    )
    op.create_table(
        "reviewer",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("is_reviewer", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("activation_hash", sa.LargeBinary(length=32), nullable=True),
        sa.Column("kdf_params", sa.String(length=80), nullable=True),
        sa.Column("kdf_salt", sa.LargeBinary(length=16), nullable=True),
        sa.Column("login_verifier", sa.LargeBinary(length=32), nullable=True),
        sa.Column("public_key", sa.LargeBinary(), nullable=True),
        sa.Column("wrapped_private_key", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.String(length=32), nullable=True),
        sa.Column("activated_at", sa.DateTime(), nullable=True),
        sa.Column("approved_at", sa.DateTime(), nullable=True),
        sa.Column("approved_by_id", sa.String(length=32), nullable=True),
        sa.Column("needs_grants", sa.Boolean(), nullable=False),
        sa.Column("disabled_at", sa.DateTime(), nullable=True),
        sa.Column("totp_secret", sa.LargeBinary(), nullable=True),
        sa.Column("totp_enabled", sa.Boolean(), nullable=False),
        sa.Column("totp_last_step", sa.Integer(), nullable=True),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["approved_by_id"], ["reviewer.id"], name=op.f("fk_reviewer_approved_by_id_reviewer")),
        sa.ForeignKeyConstraint(["created_by_id"], ["reviewer.id"], name=op.f("fk_reviewer_created_by_id_reviewer")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviewer")),
        sa.UniqueConstraint("username", name=op.f("uq_reviewer_username")),
    )
    op.create_table(
        "affiliation",
        sa.Column("reviewer_id", sa.String(length=32), nullable=False),
        sa.Column("opd_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["reviewer.id"], name=op.f("fk_affiliation_created_by_id_reviewer")),
        sa.ForeignKeyConstraint(["opd_id"], ["opd.id"], name=op.f("fk_affiliation_opd_id_opd")),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["reviewer.id"], name=op.f("fk_affiliation_reviewer_id_reviewer"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("reviewer_id", "opd_id", name=op.f("pk_affiliation")),
    )
    op.create_table(
        "backup_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.String(length=32), nullable=False),
        sa.Column("code_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["reviewer.id"], name=op.f("fk_backup_code_reviewer_id_reviewer"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backup_code")),
    )
    with op.batch_alter_table("backup_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_backup_code_reviewer_id"), ["reviewer_id"], unique=False)

    op.create_table(
        "case",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("opd_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("priority", sa.String(length=20), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("first_response_due", sa.DateTime(), nullable=False),
        sa.Column("receipt_lookup", sa.LargeBinary(length=32), nullable=False),
        sa.Column("reporter_salt", sa.LargeBinary(length=32), nullable=False),
        sa.Column("item_seq", sa.Integer(), nullable=False),
        sa.Column("reporter_seq", sa.Integer(), nullable=False),
        sa.Column("assigned_to_id", sa.String(length=32), nullable=True),
        sa.Column("first_response_at", sa.DateTime(), nullable=True),
        sa.Column("assessment_due", sa.DateTime(), nullable=True),
        sa.Column("feedback_due", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("next_due", sa.DateTime(), nullable=True),
        sa.Column("duplicate_of_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["assigned_to_id"], ["reviewer.id"], name=op.f("fk_case_assigned_to_id_reviewer")),
        sa.ForeignKeyConstraint(["category_id"], ["category.id"], name=op.f("fk_case_category_id_category")),
        sa.ForeignKeyConstraint(["duplicate_of_id"], ["case.id"], name=op.f("fk_case_duplicate_of_id_case")),
        sa.ForeignKeyConstraint(["opd_id"], ["opd.id"], name=op.f("fk_case_opd_id_opd")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case")),
        sa.UniqueConstraint("receipt_lookup", name=op.f("uq_case_receipt_lookup")),
    )
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.create_index("ix_case_assigned_to_id", ["assigned_to_id"], unique=False)
        batch_op.create_index("ix_case_category_id", ["category_id"], unique=False)
        batch_op.create_index("ix_case_next_due", ["next_due"], unique=False)
        batch_op.create_index("ix_case_opd_id", ["opd_id"], unique=False)
        batch_op.create_index("ix_case_received_at", ["received_at"], unique=False)
        batch_op.create_index("ix_case_status_received_at", ["status", "received_at"], unique=False)

    op.create_table(
        "reviewer_session",
        sa.Column("id", sa.LargeBinary(length=32), nullable=False),
        sa.Column("reviewer_id", sa.String(length=32), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("wrapped_private_key", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("stepped_up_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["reviewer.id"], name=op.f("fk_reviewer_session_reviewer_id_reviewer"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviewer_session")),
    )
    with op.batch_alter_table("reviewer_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reviewer_session_reviewer_id"), ["reviewer_id"], unique=False)

    op.create_table(
        "case_item",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("author", sa.String(length=20), nullable=False),
        sa.Column("reviewer_id", sa.String(length=32), nullable=True),
        sa.Column("key_kind", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_case_item_case_id_case"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["reviewer_id"], ["reviewer.id"], name=op.f("fk_case_item_reviewer_id_reviewer")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_item")),
        sa.UniqueConstraint("case_id", "seq", name="uq_case_item_case_seq"),
    )
    with op.batch_alter_table("case_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_item_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_label",
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_case_label_case_id_case"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("case_id", "label", name=op.f("pk_case_label")),
    )
    with op.batch_alter_table("case_label", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_label_label"), ["label"], unique=False)

    op.create_table(
        "case_read",
        sa.Column("reviewer_id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("seen_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_case_read_case_id_case"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["reviewer.id"], name=op.f("fk_case_read_reviewer_id_reviewer"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("reviewer_id", "case_id", name=op.f("pk_case_read")),
    )
    op.create_table(
        "key_grant",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("key_kind", sa.String(length=10), nullable=False),
        sa.Column("recipient_kind", sa.String(length=10), nullable=False),
        sa.Column("recipient_id", sa.String(length=80), nullable=False),
        sa.Column("reviewer_id", sa.String(length=32), nullable=True),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_key_grant_case_id_case"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["reviewer_id"], ["reviewer.id"], name=op.f("fk_key_grant_reviewer_id_reviewer")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_grant")),
        sa.UniqueConstraint("case_id", "key_kind", "recipient_id", name="uq_key_grant_recipient"),
    )
    with op.batch_alter_table("key_grant", schema=None) as batch_op:
        batch_op.create_index("ix_key_grant_recipient_id_case_id", ["recipient_id", "case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_key_grant_reviewer_id"), ["reviewer_id"], unique=False)

    op.create_table(
        "reporter_session",
        sa.Column("id", sa.LargeBinary(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("wrapped_private_key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_reporter_session_case_id_case"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reporter_session")),
    )
    with op.batch_alter_table("reporter_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reporter_session_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reporter_session_created_at"), ["created_at"], unique=False)

    op.create_table(
        "attachment",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("item_id", sa.String(length=32), nullable=False),
        sa.Column("header", sa.LargeBinary(length=33), nullable=False),
        sa.Column("chunk_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_attachment_case_id_case"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["item_id"], ["case_item.id"], name=op.f("fk_attachment_item_id_case_item"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachment")),
        sa.UniqueConstraint("item_id", name=op.f("uq_attachment_item_id")),
    )
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attachment_case_id"), ["case_id"], unique=False)

    op.create_table(
        "attachment_chunk",
        sa.Column("attachment_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attachment_id"],
            ["attachment.id"],
            name=op.f("fk_attachment_chunk_attachment_id_attachment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("attachment_id", "seq", name=op.f("pk_attachment_chunk")),
    )


def downgrade() -> None:

    op.drop_table("attachment_chunk")
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachment_case_id"))

    op.drop_table("attachment")
    with op.batch_alter_table("reporter_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reporter_session_created_at"))
        batch_op.drop_index(batch_op.f("ix_reporter_session_case_id"))

    op.drop_table("reporter_session")
    with op.batch_alter_table("key_grant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_key_grant_reviewer_id"))
        batch_op.drop_index("ix_key_grant_recipient_id_case_id")

    op.drop_table("key_grant")
    op.drop_table("case_read")
    with op.batch_alter_table("case_label", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_label_label"))

    op.drop_table("case_label")
    with op.batch_alter_table("case_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_item_case_id"))

    op.drop_table("case_item")
    with op.batch_alter_table("reviewer_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reviewer_session_reviewer_id"))

    op.drop_table("reviewer_session")
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.drop_index("ix_case_status_received_at")
        batch_op.drop_index("ix_case_received_at")
        batch_op.drop_index("ix_case_opd_id")
        batch_op.drop_index("ix_case_next_due")
        batch_op.drop_index("ix_case_category_id")
        batch_op.drop_index("ix_case_assigned_to_id")

    op.drop_table("case")
    with op.batch_alter_table("backup_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_backup_code_reviewer_id"))

    op.drop_table("backup_code")
    op.drop_table("affiliation")
    op.drop_table("reviewer")
    op.drop_table("recovery_key")
    op.drop_table("opd")
    op.drop_table("category")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_case_id"))

    op.drop_table("audit_event")
