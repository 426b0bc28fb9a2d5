"""sent forms and kept files

Issue 18, points 1 and 2: `sent_form` remembers a sent report form by the hash of
its one-time token (a second POST of the same form shows the same receipt, never a
second case); `kept_file` and `kept_file_chunk` keep, encrypted under a key derived
from the form's token, the files of a form sent back for a correction. All three
are WITHOUT ROWID on SQLite and keep only the hour. The unit "Tidak tahu / lainnya"
(for a reporter who does not know the unit) is added when missing. `reporter_read`
(point 4): the seq of the newest team message the reporter has been shown.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 02:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNKNOWN_OPD = "Tidak tahu / lainnya"  # cases.platform.seed.UNKNOWN_OPD, as of this revision


def upgrade() -> None:
    op.create_table(
        "sent_form",
        sa.Column("id", sa.LargeBinary(length=32), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sent_form")),
        sqlite_with_rowid=False,
    )
    op.create_index(op.f("ix_sent_form_created_at"), "sent_form", ["created_at"], unique=False)
    op.create_table(
        "kept_file",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("form_id", sa.LargeBinary(length=32), nullable=False),
        sa.Column("header", sa.LargeBinary(length=33), nullable=False),
        sa.Column("sealed_info", sa.LargeBinary(), nullable=False),
        sa.Column("chunk_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kept_file")),
        sqlite_with_rowid=False,
    )
    op.create_index(op.f("ix_kept_file_form_id"), "kept_file", ["form_id"], unique=False)
    op.create_index(op.f("ix_kept_file_created_at"), "kept_file", ["created_at"], unique=False)
    op.create_table(
        "kept_file_chunk",
        sa.Column("kept_file_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["kept_file_id"],
            ["kept_file.id"],
            name=op.f("fk_kept_file_chunk_kept_file_id_kept_file"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("kept_file_id", "seq", name=op.f("pk_kept_file_chunk")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "reporter_read",
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("seen_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_reporter_read_case_id_case"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_reporter_read")),
        sqlite_with_rowid=False,
    )
    opd = sa.table("opd", sa.column("name", sa.String), sa.column("active", sa.Boolean))
    known = op.get_bind().execute(sa.select(opd.c.name).where(opd.c.name == UNKNOWN_OPD)).first()
    if known is None:
        op.bulk_insert(opd, [{"name": UNKNOWN_OPD, "active": True}])


def downgrade() -> None:
    op.drop_table("reporter_read")
    op.drop_table("kept_file_chunk")
    op.drop_index(op.f("ix_kept_file_created_at"), table_name="kept_file")
    op.drop_index(op.f("ix_kept_file_form_id"), table_name="kept_file")
    op.drop_table("kept_file")
    op.drop_index(op.f("ix_sent_form_created_at"), table_name="sent_form")
    op.drop_table("sent_form")
