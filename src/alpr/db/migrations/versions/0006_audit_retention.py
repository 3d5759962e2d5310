"""Audit retention: signed checkpoints, and deletes allowed only to the retention purge.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("up_to_id", BIGINT_ID, nullable=False),
        sa.Column("up_to_hash", sa.String(64), nullable=False),
        sa.Column("removed", sa.Integer(), nullable=False),
        sa.Column("older_than", TIMESTAMP, nullable=False),
        sa.Column("signature", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoints")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION audit_log_refuse_change() RETURNS trigger"
            " LANGUAGE plpgsql AS $$ BEGIN"
            " IF TG_OP = 'DELETE' AND current_setting('alpr.audit_purge', true) = 'on' THEN"
            " RETURN OLD; END IF;"
            " RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP; END $$"
        )
    else:
        # SQLite triggers cannot read session state: the purge inserts a permit row in its
        # own transaction and removes it before commit.
        op.create_table("audit_purge_permit", sa.Column("id", sa.Integer(), primary_key=True))
        op.execute("DROP TRIGGER audit_log_no_delete")
        op.execute(
            "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
            " WHEN NOT EXISTS (SELECT 1 FROM audit_purge_permit)"
            " BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused'); END"
        )


def downgrade() -> None:
    op.drop_table("audit_checkpoints")
