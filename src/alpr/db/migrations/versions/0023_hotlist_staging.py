"""Staged hot-list imports: the claim of the import that is writing a list's next generation.

- `hotlists.staging_generation`: the generation an import is writing, in short committed
  batches that no reader sees (readers keep to `hotlists.generation`); null when none is.
- `hotlists.staging_since`: when that import last wrote a batch; a claim older than
  `generations.STALE_CLAIM` belongs to a dead process and the next import takes it over.

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("hotlists") as batch:
        batch.add_column(sa.Column("staging_generation", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("staging_since", TIMESTAMP, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("hotlists") as batch:
        batch.drop_column("staging_since")
        batch.drop_column("staging_generation")
