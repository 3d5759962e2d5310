"""Foundation: cameras, reads (partitioned by day on PostgreSQL), append-only audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    _cameras()
    _reads(postgres)
    _audit_log(postgres)


def _cameras() -> None:
    op.create_table(
        "cameras",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("agency", sa.String(200), nullable=False),
        sa.Column("lat", sa.Float()),
        sa.Column("lon", sa.Float()),
        sa.Column("heading", sa.Float()),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("api_key_hash", sa.String(64), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("disabled_at", TIMESTAMP),
        sa.CheckConstraint("kind IN ('fixed', 'mobile')", name="kind"),
        sa.CheckConstraint("lat IS NULL OR (lat >= -90 AND lat <= 90)", name="lat"),
        sa.CheckConstraint("lon IS NULL OR (lon >= -180 AND lon <= 180)", name="lon"),
        sa.UniqueConstraint("api_key_hash"),
    )


def _reads(postgres: bool) -> None:
    op.create_table(
        "reads",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("captured_at", TIMESTAMP, nullable=False),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.Column("plate", sa.String(32), nullable=False),
        sa.Column("plate_normalized", sa.String(16), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("region", sa.String(8)),
        sa.Column("camera_id", sa.String(64), sa.ForeignKey("cameras.id"), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("heading", sa.Float()),
        sa.Column("plate_image", sa.String(64)),
        sa.Column("vehicle_image", sa.String(64)),
        sa.Column("vehicle_color", sa.String(40)),
        sa.Column("vehicle_make", sa.String(40)),
        sa.Column("vehicle_model", sa.String(40)),
        sa.Column("logically_deleted_at", TIMESTAMP),
        sa.PrimaryKeyConstraint("id", "captured_at"),
        sa.CheckConstraint("confidence >= 0 AND confidence <= 1", name="confidence"),
        sa.CheckConstraint("lat >= -90 AND lat <= 90", name="lat"),
        sa.CheckConstraint("lon >= -180 AND lon <= 180", name="lon"),
        # Daily range partitions are created on demand by alpr.reads.partitions.
        postgresql_partition_by="RANGE (captured_at)",
    )
    op.create_index("ix_reads_plate_time", "reads", ["plate_normalized", "captured_at"])
    op.create_index("ix_reads_captured_at", "reads", ["captured_at"])
    op.create_index("ix_reads_location", "reads", ["lat", "lon"])
    op.create_index("ix_reads_camera_time", "reads", ["camera_id", "captured_at"])
    if postgres:
        # Partial and wildcard plate searches ('7AB*', '*C12*') use trigrams.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "CREATE INDEX ix_reads_plate_trgm ON reads USING gin (plate_normalized gin_trgm_ops)"
        )


def _audit_log(postgres: bool) -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", BIGINT_ID, primary_key=True, autoincrement=True),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("organization", sa.String(200)),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("source", sa.String(200)),
        sa.Column("purpose", sa.Text()),
        sa.Column("details", JSON, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("hash"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_event", "audit_log", ["event"])
    op.create_index("ix_audit_log_actor", "audit_log", ["actor"])
    # The database itself refuses to change or remove audit entries.
    if postgres:
        op.execute(
            "CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$"
            " BEGIN RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log"
            " FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()"
        )
        op.execute(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log"
            " FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{action.lower()} BEFORE {action} ON audit_log"
                f" BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: {action} refused'); END"
            )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.drop_table("audit_log")
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS audit_log_refuse_change()")
    op.drop_table("reads")
    op.drop_table("cameras")
