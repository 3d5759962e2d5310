"""Search: the confusion-class plate key on reads, and approvals to see logically deleted reads.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
# Same mapping as alpr.reads.plates.confusion_key (after writing the letter O as 0).
_FOLD = ("OIILTBSZGDQ", "01111852600")


def upgrade() -> None:
    with op.batch_alter_table("reads") as batch:
        batch.add_column(sa.Column("plate_confusion", sa.String(16), nullable=True))
    # The expression is built from constants only (no outside input).
    op.execute(f"UPDATE reads SET plate_confusion = {_translate('plate_normalized')}")  # noqa: S608
    with op.batch_alter_table("reads") as batch:
        batch.alter_column("plate_confusion", nullable=False)
    op.create_index("ix_reads_confusion_time", "reads", ["plate_confusion", "captured_at"])
    op.create_table(
        "deleted_read_approvals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("requested_by", sa.String(128), nullable=False),
        sa.Column("approved_by", sa.String(128), nullable=False),
        sa.Column("offense", sa.String(200), nullable=True),
        sa.Column("court_order", sa.String(200), nullable=True),
        sa.Column("case_number", sa.String(40), nullable=False),
        sa.Column("recorded_by", sa.String(128), nullable=False),
        sa.Column("recorded_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deleted_read_approvals")),
    )


def _translate(column: str) -> str:
    # SQLite has no translate(); nested replace() works on both databases.
    expression = column
    for source, target in zip(*_FOLD, strict=True):
        expression = f"replace({expression}, '{source}', '{target}')"
    return expression


def downgrade() -> None:
    op.drop_table("deleted_read_approvals")
    op.drop_index("ix_reads_confusion_time", table_name="reads")
    with op.batch_alter_table("reads") as batch:
        batch.drop_column("plate_confusion")
