"""Hot-list error flags and cancellation notices, plate-bound command approvals for
logically deleted reads, durable yearly counts.

- `hotlist_error_flags`: "record in error" kept by list and plate across imports (REQ A4);
  `hotlist_cancellation_notices`: its outbox of webhook/e-mail notices.
- `deleted_read_approvals`: the approval is now requested by the System Administrator,
  approved by a different commander and bound to one plate; rows recorded before (free
  text, no plate) become `void` and never open anything again (REQ Q7, R2).
- `yearly_counts`: (year, metric, key) counters the annual report reads (REQ P1, H6).

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "hotlist_error_flags",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("exact_key", sa.String(16), nullable=False),
        sa.Column("plate", sa.String(16), nullable=False),
        sa.Column("state", sa.String(4)),
        sa.Column("source_record_id", sa.String(40)),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("flagged_by", sa.String(128), nullable=False),
        sa.Column("flagged_at", TIMESTAMP, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("cleared_at", TIMESTAMP),
        sa.ForeignKeyConstraint(["list_id"], ["hotlists.id"], ondelete="CASCADE",
                                name=op.f("fk_hotlist_error_flags_list_id_hotlists")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hotlist_error_flags")),
    )
    op.create_index("ix_hotlist_error_flags_key", "hotlist_error_flags",
                    ["list_id", "exact_key"])
    op.create_table(
        "hotlist_cancellation_notices",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("flag_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("target", sa.String(500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TIMESTAMP),
        sa.Column("delivered_at", TIMESTAMP),
        sa.Column("failed_at", TIMESTAMP),
        sa.Column("last_error", sa.Text()),
        sa.CheckConstraint("channel IN ('webhook', 'email')",
                           name=op.f("ck_hotlist_cancellation_notices_channel")),
        sa.ForeignKeyConstraint(
            ["flag_id"], ["hotlist_error_flags.id"], ondelete="CASCADE",
            name=op.f("fk_hotlist_cancellation_notices_flag_id_hotlist_error_flags")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hotlist_cancellation_notices")),
    )
    op.create_index("ix_hotlist_cancellation_notices_due", "hotlist_cancellation_notices",
                    ["delivered_at", "next_attempt_at"])
    with op.batch_alter_table("deleted_read_approvals") as batch:
        batch.add_column(sa.Column("plate", sa.String(16)))
        batch.add_column(sa.Column("status", sa.String(10), nullable=False,
                                   server_default="void"))
        batch.add_column(sa.Column("approved_at", TIMESTAMP))
        batch.alter_column("approved_by", existing_type=sa.String(128), nullable=True)
    op.create_table(
        "yearly_counts",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("metric", sa.String(40), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("year", "metric", "key", name=op.f("pk_yearly_counts")),
    )
    _backfill_yearly_counts()


# What the live tables still hold when this runs: the figures of the years so far (events
# already purged cannot be recovered, and from now on nothing is lost).
_BACKFILL = [
    ("reads", "''", "reads", "captured_at", ""),
    ("searches_by_purpose_category", "COALESCE({json}, 'None')", "audit_log", "at",
     "WHERE event = 'search:query'"),
    ("shares_by_agency", "a.name", "shares s JOIN sharing_agencies a ON a.id = s.agency_id",
     "s.shared_at", ""),
    ("share_requests_by_decision", "status", "share_requests", "received_at", ""),
    ("share_requests_by_agency_and_decision", "a.name || '|' || r.status",
     "share_requests r JOIN sharing_agencies a ON a.id = r.agency_id", "r.received_at", ""),
    ("hotlist_entries_by_source_and_origin", "h.source || '|' || e.origin",
     "hotlist_entries e JOIN hotlists h ON h.id = e.list_id", "e.entered_at", ""),
    ("alerts_by_match", "match", "alerts", "created_at", ""),
    ("alerts_by_status", "status", "alerts", "created_at", ""),
    ("alerts_verified", "''", "alerts", "created_at", "WHERE verified_at IS NOT NULL"),
    ("alert_dispositions", "r.disposition",
     "alert_responses r JOIN alerts a ON a.id = r.alert_id", "a.created_at", ""),
    ("audits_by_kind", "kind", "audits", "created_at", ""),
    ("audit_findings_by_check", "f.\"check\"", "audit_findings f JOIN audits a"
     " ON a.id = f.audit_id", "a.created_at", ""),
    ("trainings_by_kind", "kind", "training_records", "completed_at", ""),
    ("breaches", "''", "breach_incidents", "discovered_at", ""),
]


def _backfill_yearly_counts() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    for metric, key, source, moment, where in _BACKFILL:
        year = (f"CAST(EXTRACT(YEAR FROM {moment} AT TIME ZONE 'UTC') AS INTEGER)" if postgres
                else f"CAST(strftime('%Y', {moment}) AS INTEGER)")
        json = ("details->>'purpose_category'" if postgres
                else "json_extract(details, '$.purpose_category')")
        key_sql = key.format(json=json)
        bind.execute(sa.text(
            f"INSERT INTO yearly_counts (year, metric, key, count)"  # noqa: S608 (constants)
            f" SELECT {year}, '{metric}', COALESCE({key_sql}, ''), COUNT(*) FROM {source}"
            f" {where} GROUP BY {year}, COALESCE({key_sql}, '')"))


def downgrade() -> None:
    op.drop_table("yearly_counts")
    with op.batch_alter_table("deleted_read_approvals") as batch:
        batch.drop_column("approved_at")
        batch.drop_column("status")
        batch.drop_column("plate")
    op.drop_index("ix_hotlist_cancellation_notices_due", "hotlist_cancellation_notices")
    op.drop_table("hotlist_cancellation_notices")
    op.drop_index("ix_hotlist_error_flags_key", "hotlist_error_flags")
    op.drop_table("hotlist_error_flags")
