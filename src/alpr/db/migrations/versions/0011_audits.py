"""Audits, their samples and findings, and annual reports (REQ L3–L6, P1).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), autoincrement=True, nullable=False)


def _audit_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["audit_id"], ["audits.id"], ondelete="CASCADE",
                                   name=op.f(f"fk_{table}_audit_id_audits"))


def upgrade() -> None:
    op.create_table(
        "audits",
        _id(),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("period_start", TIMESTAMP, nullable=False),
        sa.Column("period_end", TIMESTAMP, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("sample_size", sa.Integer(), nullable=False),
        sa.Column("confidence", sa.Float()),
        sa.Column("margin", sa.Float()),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("summary", JSON, nullable=False),
        sa.Column("approved_by", sa.String(128)),
        sa.Column("approved_at", TIMESTAMP),
        sa.Column("approval_note", sa.Text()),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("published_by", sa.String(128)),
        sa.Column("published_at", TIMESTAMP),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audits")),
    )
    op.create_index(op.f("ix_audits_status"), "audits", ["status"])
    op.create_index(op.f("ix_audits_created_at"), "audits", ["created_at"])
    op.create_table(
        "audit_samples",
        _id(),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("subject_at", TIMESTAMP, nullable=False),
        sa.Column("details", JSON, nullable=False),
        sa.Column("verdict", JSON),
        sa.Column("passed", sa.Boolean()),
        sa.Column("reviewed_by", sa.String(128)),
        sa.Column("reviewed_at", TIMESTAMP),
        _audit_fk("audit_samples"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_samples")),
    )
    op.create_index(op.f("ix_audit_samples_audit_id"), "audit_samples", ["audit_id"])
    op.create_table(
        "audit_findings",
        _id(),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("check", sa.String(40), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("details", JSON, nullable=False),
        _audit_fk("audit_findings"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_findings")),
    )
    op.create_index(op.f("ix_audit_findings_audit_id"), "audit_findings", ["audit_id"])
    op.create_table(
        "annual_reports",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("generated_at", TIMESTAMP, nullable=False),
        sa.Column("generated_by", sa.String(128), nullable=False),
        sa.Column("data", JSON, nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_annual_reports")),
    )


def downgrade() -> None:
    op.drop_table("annual_reports")
    op.drop_table("audit_findings")
    op.drop_table("audit_samples")
    op.drop_table("audits")
