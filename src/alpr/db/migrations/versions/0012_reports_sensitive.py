"""Reports: sensitive locations and published audit-chain heads (REQ P2, L3).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

# Sensitive locations live in the policy file; only the published chain heads need a table.


def upgrade() -> None:
    op.create_table(
        "published_chain_heads",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("last_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("figures", JSON, nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_published_chain_heads")),
    )


def downgrade() -> None:
    op.drop_table("published_chain_heads")
