"""retaliation reports

Issue 20, point 4: a reporter who suffers retaliation (moved to another section, a lowered SKP)
reports it as a case of its own, linked to the original. `case_link` holds the link (one row, both
ways; no time, WITHOUT ROWID on SQLite like every table a reporter's action writes). The category
"Pembalasan terhadap pelapor" (code `retaliation`, cases.platform.seed.RETALIATION) is added to a
database that has categories already (a fresh one gets it from the seed), last, with a fresh
reference token so every process reads the lists again.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 05:30:00
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# cases.platform.seed.RETALIATION_CATEGORY, as of this revision
CODE, NAME_ID, NAME_EN = "retaliation", "Pembalasan terhadap pelapor", "Retaliation against a reporter"

category = sa.table(
    "category",
    sa.column("id", sa.Integer),
    sa.column("code", sa.String),
    sa.column("name_id", sa.String),
    sa.column("name_en", sa.String),
    sa.column("position", sa.Integer),
    sa.column("active", sa.Boolean),
)
reference_version = sa.table("reference_version", sa.column("id", sa.Integer), sa.column("token", sa.String))


def upgrade() -> None:
    op.create_table(
        "case_link",
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("linked_case_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_case_link_case_id_case"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["linked_case_id"], ["case.id"], name=op.f("fk_case_link_linked_case_id_case"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("case_id", "linked_case_id", name=op.f("pk_case_link")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_case_link_linked_case_id", "case_link", ["linked_case_id"], unique=False)
    bind = op.get_bind()
    if bind.execute(sa.select(category.c.id).where(category.c.code == CODE)).first() is not None:
        # retired by an earlier downgrade (its cases kept it): in use again
        bind.execute(sa.update(category).where(category.c.code == CODE).values(active=True))
    elif bind.execute(sa.select(sa.func.count()).select_from(category)).scalar():
        last = bind.execute(sa.select(sa.func.max(category.c.position))).scalar() or 0
        op.bulk_insert(
            category, [{"code": CODE, "name_id": NAME_ID, "name_en": NAME_EN, "position": last + 1, "active": True}]
        )
    else:
        return  # a fresh database: the seed adds it
    bind.execute(sa.update(reference_version).values(token=secrets.token_hex(16)))


def downgrade() -> None:
    op.drop_index("ix_case_link_linked_case_id", table_name="case_link")
    op.drop_table("case_link")
    bind = op.get_bind()
    used = bind.execute(
        sa.text('SELECT count(*) FROM "case" JOIN category ON category.id = "case".category_id WHERE code = :code'),
        {"code": CODE},
    ).scalar()
    if used:  # its cases stay; older code would offer it on the report form, so it is retired
        bind.execute(sa.update(category).where(category.c.code == CODE).values(active=False))
    else:
        bind.execute(sa.delete(category).where(category.c.code == CODE))
    bind.execute(sa.update(reference_version).values(token=secrets.token_hex(16)))
