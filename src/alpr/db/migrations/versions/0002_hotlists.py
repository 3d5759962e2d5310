"""Hot lists and entries, the revision token matchers watch, alerts, responses, webhooks,
and the job runner's state.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 16:39:05.588136
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("read_id", sa.Uuid(), nullable=False),
        sa.Column("read_captured_at", TIMESTAMP, nullable=False),
        sa.Column("camera_id", sa.String(length=64), nullable=False),
        sa.Column("plate_read", sa.String(length=16), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("list_name", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("plate_listed", sa.String(length=16), nullable=False),
        sa.Column("state_listed", sa.String(length=4), nullable=True),
        sa.Column("reason", sa.String(length=60), nullable=False),
        sa.Column("match", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("verified_by", sa.String(length=128), nullable=True),
        sa.Column("verified_at", TIMESTAMP, nullable=True),
        sa.Column("plate_matches", sa.Boolean(), nullable=True),
        sa.Column("state_matches", sa.Boolean(), nullable=True),
        sa.Column("vehicle_matches", sa.Boolean(), nullable=True),
        sa.Column("clets_confirmed", sa.Boolean(), nullable=True),
        sa.Column("clets_checked_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    op.create_index(op.f("ix_alerts_created_at"), "alerts", ["created_at"])
    op.create_index("ix_alerts_read", "alerts", ["read_id", "read_captured_at"])

    op.create_table(
        "hotlist_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hotlist_revision")),
    )
    op.create_table(
        "hotlists",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("imported_at", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hotlists")),
        sa.UniqueConstraint("name", name=op.f("uq_hotlists_name")),
    )
    op.create_table(
        "job_state",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("last_started_at", TIMESTAMP, nullable=True),
        sa.Column("last_finished_at", TIMESTAMP, nullable=True),
        sa.Column("last_outcome", sa.String(length=16), nullable=True),
        sa.Column("last_detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_state")),
    )
    op.create_table(
        "webhooks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhooks")),
    )
    op.create_table(
        "alert_responses",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("alert_id", sa.Uuid(), nullable=False),
        sa.Column("member", sa.String(length=128), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("case_number", sa.String(length=40), nullable=True),
        sa.Column("disposition", sa.String(length=60), nullable=False),
        sa.Column("responded_at", TIMESTAMP, nullable=False),
        sa.Column("next_steps", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=128), nullable=False),
        sa.Column("recorded_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name=op.f("fk_alert_responses_alert_id_alerts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_responses")),
    )
    op.create_index(op.f("ix_alert_responses_alert_id"), "alert_responses", ["alert_id"])

    op.create_table(
        "hotlist_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("plate", sa.String(length=16), nullable=False),
        sa.Column("exact_key", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=4), nullable=True),
        sa.Column("reason", sa.String(length=60), nullable=False),
        sa.Column("source_record_id", sa.String(length=40), nullable=True),
        sa.Column("vehicle_year", sa.String(length=4), nullable=True),
        sa.Column("vehicle_make", sa.String(length=20), nullable=True),
        sa.Column("vehicle_model", sa.String(length=20), nullable=True),
        sa.Column("vehicle_color", sa.String(length=20), nullable=True),
        sa.Column("entered_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("entered_by", sa.String(length=128), nullable=True),
        sa.Column("case_number", sa.String(length=40), nullable=True),
        sa.Column("justification", sa.Text(), nullable=True),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.Column("decided_at", TIMESTAMP, nullable=True),
        sa.Column("flagged_by", sa.String(length=128), nullable=True),
        sa.Column("flagged_at", TIMESTAMP, nullable=True),
        sa.Column("flag_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'active', 'rejected', 'in_error')",
            name=op.f("ck_hotlist_entries_status"),
        ),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["hotlists.id"],
            name=op.f("fk_hotlist_entries_list_id_hotlists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hotlist_entries")),
    )
    op.create_index("ix_hotlist_entries_exact_key", "hotlist_entries", ["exact_key"])
    op.create_index(op.f("ix_hotlist_entries_expires_at"), "hotlist_entries", ["expires_at"])
    op.create_index(
        "ix_hotlist_entries_list_generation", "hotlist_entries", ["list_id", "generation"]
    )

    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("webhook_id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Uuid(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TIMESTAMP, nullable=True),
        sa.Column("delivered_at", TIMESTAMP, nullable=True),
        sa.Column("failed_at", TIMESTAMP, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["webhook_id"],
            ["webhooks.id"],
            name=op.f("fk_webhook_deliveries_webhook_id_webhooks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
    )
    op.create_index(
        "ix_webhook_deliveries_due", "webhook_deliveries", ["delivered_at", "next_attempt_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_webhook_deliveries_due", table_name="webhook_deliveries")

    op.drop_table("webhook_deliveries")
    op.drop_index("ix_hotlist_entries_list_generation", table_name="hotlist_entries")
    op.drop_index(op.f("ix_hotlist_entries_expires_at"), table_name="hotlist_entries")
    op.drop_index("ix_hotlist_entries_exact_key", table_name="hotlist_entries")

    op.drop_table("hotlist_entries")
    op.drop_index(op.f("ix_alert_responses_alert_id"), table_name="alert_responses")

    op.drop_table("alert_responses")
    op.drop_table("webhooks")
    op.drop_table("job_state")
    op.drop_table("hotlists")
    op.drop_table("hotlist_revision")
    op.drop_index("ix_alerts_read", table_name="alerts")
    op.drop_index(op.f("ix_alerts_created_at"), table_name="alerts")

    op.drop_table("alerts")
