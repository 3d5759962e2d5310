"""Sharing: agencies, agreements, share requests, shares, public records, breach incidents.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), autoincrement=True, nullable=False)


def _fk(table: str, column: str, referred: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{referred}.id"],
                                   name=op.f(f"fk_{table}_{column}_{referred}"))


def upgrade() -> None:
    op.create_table(
        "sharing_agencies",
        _id(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("jurisdiction", sa.String(200), nullable=False),
        sa.Column("contacts", sa.Text()),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_agencies")),
        sa.UniqueConstraint("name", name=op.f("uq_sharing_agencies_name")),
    )
    op.create_table(
        "sharing_agreements",
        _id(),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", TIMESTAMP, nullable=False),
        sa.Column("ends_at", TIMESTAMP, nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("standing_access", sa.Boolean(), nullable=False),
        sa.Column("recorded_by", sa.String(128), nullable=False),
        sa.Column("recorded_at", TIMESTAMP, nullable=False),
        _fk("sharing_agreements", "agency_id", "sharing_agencies"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_agreements")),
    )
    op.create_index(op.f("ix_sharing_agreements_agency_id"), "sharing_agreements",
                    ["agency_id"])
    op.create_table(
        "share_requests",
        _id(),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("requester_name", sa.String(200), nullable=False),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.Column("received_via", sa.String(16), nullable=False),
        sa.Column("right_to_know", sa.Text(), nullable=False),
        sa.Column("case_number", sa.String(40), nullable=False),
        sa.Column("involvement", sa.Text(), nullable=False),
        sa.Column("purpose_category", sa.String(60), nullable=False),
        sa.Column("purpose_text", sa.Text(), nullable=False),
        sa.Column("legal_process", sa.String(16), nullable=False),
        sa.Column("legal_process_ref", sa.String(100)),
        sa.Column("on_behalf_of_name", sa.String(200)),
        sa.Column("on_behalf_of_kind", sa.String(24)),
        sa.Column("standing_access", sa.Boolean(), nullable=False),
        sa.Column("attests_no_immigration", sa.Boolean(), nullable=False),
        sa.Column("attests_no_reproductive_health", sa.Boolean(), nullable=False),
        sa.Column("attests_no_resharing", sa.Boolean(), nullable=False),
        sa.Column("agreement_id", sa.Integer()),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("rule", sa.String(40)),
        sa.Column("reason", sa.Text()),
        sa.Column("recorded_by", sa.String(128), nullable=False),
        sa.Column("decided_by", sa.String(128)),
        sa.Column("decided_at", TIMESTAMP),
        _fk("share_requests", "agency_id", "sharing_agencies"),
        _fk("share_requests", "agreement_id", "sharing_agreements"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_requests")),
    )
    op.create_index(op.f("ix_share_requests_agency_id"), "share_requests", ["agency_id"])
    op.create_index(op.f("ix_share_requests_status"), "share_requests", ["status"])
    op.create_table(
        "shares",
        _id(),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("shared_at", TIMESTAMP, nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("reads", sa.Integer(), nullable=False),
        sa.Column("case_number", sa.String(40), nullable=False),
        sa.Column("officer", sa.String(128), nullable=False),
        sa.Column("download_id", sa.Integer()),
        sa.Column("sha256", sa.String(64)),
        sa.Column("message", sa.Text()),
        _fk("shares", "request_id", "share_requests"),
        _fk("shares", "agency_id", "sharing_agencies"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shares")),
    )
    op.create_index(op.f("ix_shares_request_id"), "shares", ["request_id"])
    op.create_index(op.f("ix_shares_agency_id"), "shares", ["agency_id"])
    op.create_index(op.f("ix_shares_shared_at"), "shares", ["shared_at"])
    op.create_table(
        "public_records_requests",
        _id(),
        sa.Column("requester", sa.String(200), nullable=False),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("recorded_by", sa.String(128), nullable=False),
        sa.Column("fulfilled_at", TIMESTAMP),
        sa.Column("fulfilled_by", sa.String(128)),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_records_requests")),
    )
    op.create_table(
        "breach_incidents",
        _id(),
        sa.Column("discovered_at", TIMESTAMP, nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("data_involved", sa.Text(), nullable=False),
        sa.Column("persons_affected", sa.Integer(), nullable=False),
        sa.Column("recorded_by", sa.String(128), nullable=False),
        sa.Column("recorded_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_breach_incidents")),
    )
    op.create_table(
        "incident_tasks",
        _id(),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("due_at", TIMESTAMP, nullable=False),
        sa.Column("completed_at", TIMESTAMP),
        sa.Column("completed_by", sa.String(128)),
        sa.Column("note", sa.Text()),
        _fk("incident_tasks", "incident_id", "breach_incidents"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_tasks")),
    )
    op.create_index(op.f("ix_incident_tasks_incident_id"), "incident_tasks", ["incident_id"])


def downgrade() -> None:
    for table in ("incident_tasks", "breach_incidents", "public_records_requests", "shares",
                  "share_requests", "sharing_agreements", "sharing_agencies"):
        op.drop_table(table)
