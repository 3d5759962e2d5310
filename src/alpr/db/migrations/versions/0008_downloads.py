"""Downloads (evidence packages, exports) and their destruction deadlines.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "downloads",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("case_number", sa.String(40), nullable=False),
        sa.Column("reads", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("exported_by", sa.String(128), nullable=False),
        sa.Column("exported_at", TIMESTAMP, nullable=False),
        sa.Column("destroy_by", TIMESTAMP),
        sa.Column("destroyed_at", TIMESTAMP),
        sa.Column("destroyed_by", sa.String(128)),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_downloads")),
    )
    op.create_index(op.f("ix_downloads_destroy_by"), "downloads", ["destroy_by"])


def downgrade() -> None:
    op.drop_index(op.f("ix_downloads_destroy_by"), table_name="downloads")
    op.drop_table("downloads")
