"""keyed audit chain

Audit events get a `version`: 1 for every existing (unkeyed SHA-256) event,
which keeps verifying as it is; new events are recorded as version 2, an
HMAC under KANAL_AUDIT_KEY whose first link binds the last unkeyed hash, so
the old prefix stays covered (cases/audit.py). No row is rewritten.
A downgrade drops the column: keyed events then no longer verify under the
older code (it knows only SHA-256), so downgrade only to restore a backup.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.SmallInteger(), server_default="1", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_column("version")
