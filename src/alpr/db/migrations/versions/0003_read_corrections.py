"""Corrections of misreads: the original plate is kept, each change recorded.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "read_corrections",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("read_id", sa.Uuid(), nullable=False),
        sa.Column("read_captured_at", TIMESTAMP, nullable=False),
        sa.Column("original_plate", sa.String(length=16), nullable=False),
        sa.Column("corrected_plate", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("corrected_by", sa.String(length=128), nullable=False),
        sa.Column("corrected_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_read_corrections")),
    )
    op.create_index(
        "ix_read_corrections_read", "read_corrections", ["read_id", "read_captured_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_read_corrections_read", table_name="read_corrections")
    op.drop_table("read_corrections")
