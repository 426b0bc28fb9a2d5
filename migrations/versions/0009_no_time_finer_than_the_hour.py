"""no time finer than the hour

Issue 16, point 1 (DESIGN.md §3, the time rule): a copy of the database dates a
report no finer than its hour, not through its own times and not through its
neighbours.

- SQLite: the tables that hold rows a reporter's action writes (`case`,
  `case_item`, `attachment`, `attachment_chunk`, `key_grant`; `reporter_session`
  since 0008) are rebuilt WITHOUT ROWID, so a row is stored in the order of its
  random primary key, not after the row written before it. Each is copied into a
  new table and swapped in (SQLite's procedure for altering a table, with foreign
  keys off: cases.platform.migrations). PostgreSQL has no rowid; what its heap
  order still shows is in docs/SECURITY.md.
- `audit_event.sealed_at`: events recorded from now on (version 3) keep their
  hour in `at` and the exact time sealed under a key derived from the audit key.
  Older events keep their exact `at`: the chain's HMAC covers it.
- Exact times that a function needs are kept only sealed: a reviewer session's
  times (`reviewer_session.times`; the table is emptied, so everyone signs in
  again), the end of a login lock (`locked_until_sealed` on `reviewer` and
  `login_throttle`; current locks are lifted, the failure counts stay, so the
  next wrong attempt locks again), the TOTP step of the last code
  (`reviewer.totp_last_step_sealed`; starts empty, so the code of the step
  before the upgrade could be used once more).
- Every other plaintext time is rounded down to its hour in place (the team's
  times on cases, accounts, affiliations, proposals, recovery keys, backup codes);
  a case's first response and `notified_at` up (on time exactly when the exact
  time was; no second mail sooner). Reporter times already were hours.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 00:40:00
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Spelled out, not imported: a migration keeps describing the schema of its day.
STATUSES = ("new", "verifying", "investigating", "referred", "closed", "rejected")

# (table, column) rounded down to the hour; ROUND_UP are rounded up (cases.triage.deadlines: a first
# response is on time exactly when the hour it was made by is; no second notification sooner).
ROUND_DOWN = (
    ("case", "updated_at"),
    ("case", "closed_at"),
    ("case", "feedback_due"),
    ("case", "next_due"),
    ("case", "received_at"),
    ("case_item", "created_at"),
    ("attachment", "created_at"),
    ("key_grant", "created_at"),
    ("reviewer", "created_at"),
    ("reviewer", "activated_at"),
    ("reviewer", "approved_at"),
    ("reviewer", "disabled_at"),
    ("backup_code", "used_at"),
    ("affiliation", "created_at"),
    ("recovery_key", "created_at"),
    ("roster_proposal", "created_at"),
)
ROUND_UP = (("case", "first_response_at"), ("reviewer", "notified_at"))


def _case() -> list[sa.schema.SchemaItem]:
    return [
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
        sa.Column("seal_tag", sa.LargeBinary(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case")),
        sa.UniqueConstraint("receipt_lookup", name=op.f("uq_case_receipt_lookup")),
        sa.ForeignKeyConstraint(["opd_id"], ["opd.id"], name=op.f("fk_case_opd_id_opd")),
        sa.ForeignKeyConstraint(["category_id"], ["category.id"], name=op.f("fk_case_category_id_category")),
        sa.ForeignKeyConstraint(["assigned_to_id"], ["reviewer.id"], name=op.f("fk_case_assigned_to_id_reviewer")),
        sa.ForeignKeyConstraint(["duplicate_of_id"], ["case.id"], name=op.f("fk_case_duplicate_of_id_case")),
        sa.CheckConstraint("status IN (" + ", ".join(f"'{s}'" for s in STATUSES) + ")", name=op.f("ck_case_status")),
    ]


def _case_item() -> list[sa.schema.SchemaItem]:
    return [
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("author", sa.String(length=20), nullable=False),
        sa.Column("reviewer_id", sa.String(length=32), nullable=True),
        sa.Column("key_kind", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_item")),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_case_item_case_id_case"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["reviewer_id"], ["reviewer.id"], name=op.f("fk_case_item_reviewer_id_reviewer")),
        sa.UniqueConstraint("case_id", "seq", name=op.f("uq_case_item_case_seq")),
    ]


def _attachment() -> list[sa.schema.SchemaItem]:
    return [
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("item_id", sa.String(length=32), nullable=False),
        sa.Column("header", sa.LargeBinary(length=33), nullable=False),
        sa.Column("chunk_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachment")),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_attachment_case_id_case"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["item_id"], ["case_item.id"], name=op.f("fk_attachment_item_id_case_item"), ondelete="CASCADE"
        ),
        sa.UniqueConstraint("item_id", name=op.f("uq_attachment_item_id")),
    ]


def _attachment_chunk() -> list[sa.schema.SchemaItem]:
    return [
        sa.Column("attachment_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("attachment_id", "seq", name=op.f("pk_attachment_chunk")),
        sa.ForeignKeyConstraint(
            ["attachment_id"],
            ["attachment.id"],
            name=op.f("fk_attachment_chunk_attachment_id_attachment"),
            ondelete="CASCADE",
        ),
    ]


def _key_grant() -> list[sa.schema.SchemaItem]:
    return [
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("key_kind", sa.String(length=10), nullable=False),
        sa.Column("recipient_kind", sa.String(length=10), nullable=False),
        sa.Column("recipient_id", sa.String(length=80), nullable=False),
        sa.Column("reviewer_id", sa.String(length=32), nullable=True),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_grant")),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_key_grant_case_id_case"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["reviewer_id"], ["reviewer.id"], name=op.f("fk_key_grant_reviewer_id_reviewer")),
        sa.UniqueConstraint("case_id", "key_kind", "recipient_id", name=op.f("uq_key_grant_recipient")),
    ]


# table: (its definition, its indexes)
REPORTER_TABLES: dict[str, tuple[Callable[[], list[sa.schema.SchemaItem]], tuple[tuple[str, tuple[str, ...]], ...]]] = {
    "case": (
        _case,
        (
            ("ix_case_received_at", ("received_at",)),
            ("ix_case_status_received_at", ("status", "received_at")),
            ("ix_case_next_due", ("next_due",)),
            ("ix_case_opd_id", ("opd_id",)),
            ("ix_case_category_id", ("category_id",)),
            ("ix_case_assigned_to_id", ("assigned_to_id",)),
        ),
    ),
    "case_item": (_case_item, (("ix_case_item_case_id", ("case_id",)),)),
    "attachment": (_attachment, (("ix_attachment_case_id", ("case_id",)),)),
    "attachment_chunk": (_attachment_chunk, ()),
    "key_grant": (
        _key_grant,
        (
            ("ix_key_grant_recipient_id_case_id", ("recipient_id", "case_id")),
            ("ix_key_grant_reviewer_id", ("reviewer_id",)),
        ),
    ),
}


def _rebuild_sqlite_tables(*, with_rowid: bool) -> None:
    """Copy each reporter table into a new one with (or without) rowid and swap it in. Foreign keys
    are off (cases.platform.migrations), so dropping the old table cascades to nothing, and the
    children's references, which name the table, find the new one."""
    for name, (define, indexes) in REPORTER_TABLES.items():
        items = define()
        op.create_table(f"_new_{name}", *items, sqlite_with_rowid=with_rowid)
        columns = ", ".join(f'"{item.name}"' for item in items if isinstance(item, sa.Column))
        op.execute(f'INSERT INTO "_new_{name}" ({columns}) SELECT {columns} FROM "{name}"')  # noqa: S608
        op.execute(f'DROP TABLE "{name}"')
        op.execute(f'ALTER TABLE "_new_{name}" RENAME TO "{name}"')
        for index, columns_of in indexes:
            op.create_index(op.f(index), name, list(columns_of), unique=False)


def _hour(column: str, dialect: str) -> str:
    if dialect == "sqlite":  # SQLAlchemy keeps SQLite times as text with microseconds
        return f"strftime('%Y-%m-%d %H:00:00.000000', {column})"
    return f"date_trunc('hour', {column})"


def _next_hour(column: str, dialect: str) -> str:
    if dialect == "sqlite":
        return (
            f"CASE WHEN {column} = {_hour(column, dialect)} THEN {column} "
            f"ELSE strftime('%Y-%m-%d %H:00:00.000000', {column}, '+1 hour') END"
        )
    return f"CASE WHEN {column} = date_trunc('hour', {column}) THEN {column} ELSE date_trunc('hour', {column}) + interval '1 hour' END"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _rebuild_sqlite_tables(with_rowid=False)

    op.add_column("audit_event", sa.Column("sealed_at", sa.LargeBinary(), nullable=True))

    op.drop_index(op.f("ix_reviewer_session_reviewer_id"), table_name="reviewer_session")
    op.drop_table("reviewer_session")
    op.create_table(
        "reviewer_session",
        sa.Column("id", sa.LargeBinary(length=32), nullable=False),
        sa.Column("reviewer_id", sa.String(length=32), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("wrapped_private_key", sa.LargeBinary(), nullable=True),
        sa.Column("wrapped_signing_key", sa.LargeBinary(), nullable=True),
        sa.Column("times", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["reviewer.id"],
            name=op.f("fk_reviewer_session_reviewer_id_reviewer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviewer_session")),
    )
    op.create_index(op.f("ix_reviewer_session_reviewer_id"), "reviewer_session", ["reviewer_id"], unique=False)

    with op.batch_alter_table("reviewer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("totp_last_step_sealed", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("locked_until_sealed", sa.LargeBinary(), nullable=True))
        batch_op.drop_column("totp_last_step")
        batch_op.drop_column("locked_until")
    with op.batch_alter_table("login_throttle", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locked_until_sealed", sa.LargeBinary(), nullable=True))
        batch_op.drop_column("locked_until")

    for table, column in ROUND_DOWN:
        op.execute(f'UPDATE "{table}" SET {column} = {_hour(column, dialect)} WHERE {column} IS NOT NULL')  # noqa: S608
    for table, column in ROUND_UP:
        op.execute(f'UPDATE "{table}" SET {column} = {_next_hour(column, dialect)} WHERE {column} IS NOT NULL')  # noqa: S608


def downgrade() -> None:
    """The schema of 0008 again. Rounded times stay rounded; sealed times are dropped (sessions
    end, locks lift, the last TOTP step is forgotten); events recorded as version 3 keep their
    hour in `at` and no longer verify without their sealed time."""
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table("login_throttle", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(), nullable=True))
        batch_op.drop_column("locked_until_sealed")
    with op.batch_alter_table("reviewer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
        batch_op.drop_column("locked_until_sealed")
        batch_op.drop_column("totp_last_step_sealed")

    op.drop_index(op.f("ix_reviewer_session_reviewer_id"), table_name="reviewer_session")
    op.drop_table("reviewer_session")
    op.create_table(
        "reviewer_session",
        sa.Column("id", sa.LargeBinary(length=32), nullable=False),
        sa.Column("reviewer_id", sa.String(length=32), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("wrapped_private_key", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("stepped_up_at", sa.DateTime(), nullable=True),
        sa.Column("wrapped_signing_key", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["reviewer.id"],
            name=op.f("fk_reviewer_session_reviewer_id_reviewer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviewer_session")),
    )
    op.create_index(op.f("ix_reviewer_session_reviewer_id"), "reviewer_session", ["reviewer_id"], unique=False)

    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_column("sealed_at")

    if dialect == "sqlite":
        _rebuild_sqlite_tables(with_rowid=True)
