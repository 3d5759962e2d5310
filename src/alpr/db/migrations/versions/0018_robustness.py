"""Idempotency by read id alone: the unpartitioned `read_ids` table (issue 18.8).

`reads` is range-partitioned by day on PostgreSQL, so its primary key must contain
captured_at; the same read id resent with another capture time was stored again. Ingest
now claims each id in `read_ids` (id primary key) before storing the read. Existing reads
are copied in (one id per read id: the earliest capture time wins).

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "read_ids",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_read_ids")),
    )
    op.create_index("ix_read_ids_captured_at", "read_ids", ["captured_at"])
    op.execute("INSERT INTO read_ids (id, captured_at)"
               " SELECT id, min(captured_at) FROM reads GROUP BY id")


def downgrade() -> None:
    op.drop_index("ix_read_ids_captured_at", table_name="read_ids")
    op.drop_table("read_ids")
