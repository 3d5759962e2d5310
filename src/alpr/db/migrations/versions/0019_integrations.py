"""Integrations: raw source records, camera key rotation, foreign camera links, MQTT cursor.

- `reads.source_extra`: what a foreign source sent that alpr has no column for (JSON,
  size-limited), so a read is never rejected only for an unknown field, and nothing is lost.
- `camera_keys`: every key a camera was issued since this revision; a rotated key stays
  valid until `valid_until` (grace period), a revoked one never again. The current key's
  hash stays in `cameras.api_key_hash` as before.
- `camera_links`: a foreign source's camera (OpenALPR agent + camera number, Plate
  Recognizer camera_id, Frigate camera name) mapped to an alpr camera.
- `integration_cursors`: how far the MQTT publisher got through the alerts.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("reads") as batch:
        batch.add_column(sa.Column("source_extra", sa.Text(), nullable=True))
    op.create_table(
        "camera_keys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("issued_at", TIMESTAMP, nullable=False),
        sa.Column("issued_by", sa.String(128), nullable=False),
        sa.Column("valid_until", TIMESTAMP, nullable=True),
        sa.Column("revoked_at", TIMESTAMP, nullable=True),
        sa.Column("last_used_at", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(["camera_id"], ["cameras.id"],
                                name=op.f("fk_camera_keys_camera_id_cameras")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_camera_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_camera_keys_key_hash")),
    )
    op.create_index("ix_camera_keys_camera", "camera_keys", ["camera_id"])
    # Every existing camera's current key gets its row (its issue time: the registration).
    op.execute(
        "INSERT INTO camera_keys (camera_id, key_hash, issued_at, issued_by)"
        " SELECT id, api_key_hash, created_at, 'migration:0019' FROM cameras"
    )
    op.create_table(
        "camera_links",
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("external_id", sa.String(200), nullable=False),
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.ForeignKeyConstraint(["camera_id"], ["cameras.id"],
                                name=op.f("fk_camera_links_camera_id_cameras")),
        sa.PrimaryKeyConstraint("source", "external_id", name=op.f("pk_camera_links")),
    )
    op.create_table(
        "integration_cursors",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=True),
        sa.Column("ref", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_integration_cursors")),
    )


def downgrade() -> None:
    op.drop_table("integration_cursors")
    op.drop_table("camera_links")
    op.drop_index("ix_camera_keys_camera", table_name="camera_keys")
    op.drop_table("camera_keys")
    with op.batch_alter_table("reads") as batch:
        batch.drop_column("source_extra")
