"""Holds on reads, and the default partition where held reads outlive their day.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "holds",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_number", sa.String(40), nullable=False),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("investigator_contact", sa.String(200), nullable=False),
        sa.Column("requested_by", sa.String(128), nullable=False),
        sa.Column("requested_at", TIMESTAMP, nullable=False),
        sa.Column("approved_by", sa.String(128)),
        sa.Column("approved_at", TIMESTAMP),
        sa.Column("last_verified_at", TIMESTAMP),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("released_at", TIMESTAMP),
        sa.Column("release_reason", sa.Text()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holds")),
    )
    op.create_table(
        "hold_reads",
        sa.Column("hold_id", sa.Integer(), nullable=False),
        sa.Column("read_id", sa.Uuid(), nullable=False),
        sa.Column("read_captured_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(["hold_id"], ["holds.id"],
                                name=op.f("fk_hold_reads_hold_id_holds")),
        sa.PrimaryKeyConstraint("hold_id", "read_id", name=op.f("pk_hold_reads")),
    )
    op.create_index("ix_hold_reads_read", "hold_reads", ["read_id", "read_captured_at"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE TABLE IF NOT EXISTS reads_default PARTITION OF reads DEFAULT")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE IF EXISTS reads_default")
    op.drop_table("hold_reads")
    op.drop_table("holds")
