"""Field units: GPS tracks, heartbeat history, shift inspections, ticket notices (REQ C2, C6).

Reads get `location_source` (camera, device, gps, none) and may lack lat/lon: a mobile
unit's read with no GPS fix is stored and marked "none" rather than placed somewhere wrong.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), autoincrement=True, nullable=False)


def _fk(table: str, column: str, referred: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{referred}.id"],
                                   name=op.f(f"fk_{table}_{column}_{referred}"))


def upgrade() -> None:
    # On PostgreSQL both changes reach every day partition of `reads`.
    with op.batch_alter_table("reads") as batch:
        batch.add_column(sa.Column("location_source", sa.String(8), nullable=True))
        batch.alter_column("lat", existing_type=sa.Float(), nullable=True)
        batch.alter_column("lon", existing_type=sa.Float(), nullable=True)
    op.create_table(
        "camera_gps_points",
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("time", TIMESTAMP, nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint("lat >= -90 AND lat <= 90", name=op.f("ck_camera_gps_points_lat")),
        sa.CheckConstraint("lon >= -180 AND lon <= 180",
                           name=op.f("ck_camera_gps_points_lon")),
        _fk("camera_gps_points", "camera_id", "cameras"),
        sa.PrimaryKeyConstraint("camera_id", "time", name=op.f("pk_camera_gps_points")),
    )
    op.create_table(
        "camera_heartbeats",
        _id(),
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.Column("reported_at", TIMESTAMP),
        sa.Column("frames_per_second", sa.Float()),
        sa.Column("reads_per_hour", sa.Float()),
        sa.Column("temperature_c", sa.Float()),
        sa.Column("disk_free_percent", sa.Float()),
        sa.Column("hotlist_version", sa.String(64)),
        sa.Column("hotlist_current", sa.Boolean()),
        _fk("camera_heartbeats", "camera_id", "cameras"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_camera_heartbeats")),
    )
    op.create_index("ix_camera_heartbeats_camera_time", "camera_heartbeats",
                    ["camera_id", "received_at"])
    op.create_table(
        "camera_held_hits",
        _id(),
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("read_id", sa.Uuid(), nullable=False),
        sa.Column("read_captured_at", TIMESTAMP, nullable=False),
        sa.Column("plate", sa.String(16), nullable=False),
        sa.Column("alternatives", sa.Text()),
        sa.Column("entry_ids", sa.Text(), nullable=False),
        sa.Column("held_at", TIMESTAMP, nullable=False),
        sa.Column("released_at", TIMESTAMP),
        sa.Column("inspection_id", sa.Integer()),
        _fk("camera_held_hits", "camera_id", "cameras"),
        _fk("camera_held_hits", "inspection_id", "camera_inspections"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_camera_held_hits")),
    )
    op.create_index("ix_camera_held_hits_camera", "camera_held_hits",
                    ["camera_id", "released_at"])
    op.create_table(
        "camera_ticket_notices",
        _id(),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("target", sa.String(500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TIMESTAMP),
        sa.Column("delivered_at", TIMESTAMP),
        sa.Column("failed_at", TIMESTAMP),
        sa.Column("last_error", sa.Text()),
        sa.CheckConstraint("channel IN ('webhook', 'email')",
                           name=op.f("ck_camera_ticket_notices_channel")),
        _fk("camera_ticket_notices", "ticket_id", "camera_tickets"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_camera_ticket_notices")),
    )
    op.create_index("ix_camera_ticket_notices_due", "camera_ticket_notices",
                    ["delivered_at", "next_attempt_at"])


def downgrade() -> None:
    op.drop_table("camera_ticket_notices")
    op.drop_table("camera_held_hits")
    op.drop_table("camera_heartbeats")
    op.drop_table("camera_gps_points")
    # Reads without a fix cannot go back under NOT NULL; never delete evidence to downgrade.
    if op.get_bind().execute(sa.text("SELECT 1 FROM reads WHERE lat IS NULL LIMIT 1")).first():
        raise RuntimeError("reads without a GPS fix exist: cannot downgrade below 0013")
    with op.batch_alter_table("reads") as batch:
        batch.alter_column("lon", existing_type=sa.Float(), nullable=False)
        batch.alter_column("lat", existing_type=sa.Float(), nullable=False)
        batch.drop_column("location_source")
