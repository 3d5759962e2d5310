"""Recognition: stable source ids for captured reads (issue 19, point 6).

`capture_ids` holds the id of every read made from a file or stream (uuid5 of the file's
content hash or the stream, the frame and the track), so capturing the same source again
stores nothing new and raises no second alert, even with another capture time.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "capture_ids",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("captured_at", TIMESTAMP, nullable=False),
        sa.Column("claimed_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capture_ids")),
    )
    op.create_index("ix_capture_ids_captured_at", "capture_ids", ["captured_at"])


def downgrade() -> None:
    op.drop_index("ix_capture_ids_captured_at", table_name="capture_ids")
    op.drop_table("capture_ids")
