"""Cameras: registry extensions, privacy masks, health, trouble tickets, inspections.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


_CAMERA_COLUMNS = (
    ("field_of_view", sa.Float()),
    ("vehicle", sa.String(64)),
    ("administrators", sa.Text()),
    ("silent_after_s", sa.Integer()),
    ("last_heartbeat_at", TIMESTAMP),
    ("last_heartbeat", sa.Text()),
    ("last_read_at", TIMESTAMP),
)


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), autoincrement=True, nullable=False)


def _fk(table: str, column: str, referred: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{referred}.id"],
                                   name=op.f(f"fk_{table}_{column}_{referred}"))


def upgrade() -> None:
    with op.batch_alter_table("cameras") as batch:
        for name, type_ in _CAMERA_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
        batch.create_check_constraint(
            op.f("ck_cameras_field_of_view"),
            "field_of_view IS NULL OR (field_of_view > 0 AND field_of_view <= 360)",
        )
    op.create_table(
        "camera_masks",
        _id(),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("camera_id", sa.String(64)),
        sa.Column("agency", sa.String(200), nullable=False),
        sa.Column("polygon", sa.Text()),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("superseded_at", TIMESTAMP),
        sa.CheckConstraint("kind IN ('image', 'geo')", name=op.f("ck_camera_masks_kind")),
        _fk("camera_masks", "camera_id", "cameras"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_camera_masks")),
        sa.UniqueConstraint("name", "version", name=op.f("uq_camera_masks_name_version")),
    )
    op.create_index("ix_camera_masks_current", "camera_masks", ["camera_id", "superseded_at"])
    op.create_table(
        "camera_masked_counts",
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        _fk("camera_masked_counts", "camera_id", "cameras"),
        sa.PrimaryKeyConstraint("camera_id", "day", name=op.f("pk_camera_masked_counts")),
    )
    op.create_table(
        "camera_tickets",
        _id(),
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("opened_by", sa.String(128), nullable=False),
        sa.Column("opened_at", TIMESTAMP, nullable=False),
        sa.Column("closed_by", sa.String(128)),
        sa.Column("closed_at", TIMESTAMP),
        sa.Column("resolution", sa.Text()),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_camera_tickets_status")),
        _fk("camera_tickets", "camera_id", "cameras"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_camera_tickets")),
    )
    op.create_index("ix_camera_tickets_camera_status", "camera_tickets", ["camera_id", "status"])
    op.create_table(
        "camera_inspections",
        _id(),
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("inspected_by", sa.String(128), nullable=False),
        sa.Column("inspected_at", TIMESTAMP, nullable=False),
        sa.Column("checklist", sa.Text(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text()),
        sa.Column("ticket_id", sa.Integer()),
        _fk("camera_inspections", "camera_id", "cameras"),
        _fk("camera_inspections", "ticket_id", "camera_tickets"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_camera_inspections")),
    )
    op.create_index("ix_camera_inspections_camera_time", "camera_inspections",
                    ["camera_id", "inspected_at"])


def downgrade() -> None:
    op.drop_index("ix_camera_inspections_camera_time", table_name="camera_inspections")
    op.drop_table("camera_inspections")
    op.drop_index("ix_camera_tickets_camera_status", table_name="camera_tickets")
    op.drop_table("camera_tickets")
    op.drop_table("camera_masked_counts")
    op.drop_index("ix_camera_masks_current", table_name="camera_masks")
    op.drop_table("camera_masks")
    with op.batch_alter_table("cameras") as batch:
        batch.drop_constraint("ck_cameras_field_of_view", type_="check")
        for name, _ in reversed(_CAMERA_COLUMNS):
            batch.drop_column(name)
