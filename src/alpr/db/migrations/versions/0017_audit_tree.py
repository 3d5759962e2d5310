"""Audit log as a Merkle tree, keyed chain, request context (issues 17.3, 18.4, 18.5).

- audit_log gains the request context of CJIS AU-3 (user agent, device) and a chain
  version: entries from version 2 on are chained with HMAC-SHA256 under a key kept outside
  the database.
- audit_leaves: the RFC 6962 leaf hash of every entry, in order; never deleted (audit
  retention removes entries, not their hashes, so published tree heads stay provable).
- audit_tree_heads: signed tree heads (Ed25519), append-only.
- PostgreSQL: deleting audit entries is allowed only to the role `alpr_audit_retention`
  (the audit retention job), no longer to anyone who sets `alpr.audit_purge`.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
RETENTION_ROLE = "alpr_audit_retention"


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("user_agent", sa.String(300)))
        batch.add_column(sa.Column("device", sa.String(128)))
        batch.add_column(sa.Column("chain_version", sa.SmallInteger(), nullable=False,
                                   server_default="1"))
    op.create_table(
        "audit_leaves",
        sa.Column("idx", BIGINT_ID, autoincrement=False, nullable=False),
        sa.Column("entry_id", BIGINT_ID, nullable=False),
        sa.Column("leaf_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("idx", name=op.f("pk_audit_leaves")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_audit_leaves_entry_id")),
    )
    op.create_table(
        "audit_tree_heads",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tree_size", BIGINT_ID, nullable=False),
        sa.Column("root_hash", sa.String(64), nullable=False),
        sa.Column("timestamp", TIMESTAMP, nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_tree_heads")),
    )
    op.create_index(op.f("ix_audit_tree_heads_tree_size"), "audit_tree_heads", ["tree_size"])
    _leaves_for_existing_entries()
    if postgres:
        _postgresql_guards()
    else:
        for table in ("audit_leaves", "audit_tree_heads"):
            for action in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table}"
                    f" BEGIN SELECT RAISE(ABORT, '{table} is append-only: {action} refused');"
                    " END"
                )


def _leaves_for_existing_entries() -> None:
    """Entries written before this revision become the first leaves, in id order."""
    from sqlalchemy.orm import Session

    from alpr.audit import merkle
    from alpr.audit.models import AuditEntry, AuditLeaf
    from alpr.audit.service import leaf_bytes

    session = Session(bind=op.get_bind())
    entries = session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id))
    for index, entry in enumerate(entries):
        session.add(AuditLeaf(idx=index, entry_id=entry.id,
                              leaf_hash=merkle.leaf_hash(leaf_bytes(entry)).hex()))
    session.flush()


def _postgresql_guards() -> None:
    # Roles are per cluster: create it once, tolerate a parallel migration creating it too.
    op.execute(
        "DO $$ BEGIN"
        " IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'alpr_audit_retention') THEN"
        " CREATE ROLE alpr_audit_retention NOLOGIN; END IF;"
        " EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
    )
    op.execute(
        "DO $$ BEGIN"
        f" EXECUTE format('GRANT USAGE ON SCHEMA %I TO {RETENTION_ROLE}', current_schema());"
        " END $$"
    )
    op.execute(f"GRANT SELECT, DELETE ON audit_log TO {RETENTION_ROLE}")
    # The delete guard: a DELETE passes only when run as the retention role, which the
    # application's own role must not be granted (see docs/audit.md).
    op.execute(
        "CREATE OR REPLACE FUNCTION audit_log_refuse_change() RETURNS trigger"
        " LANGUAGE plpgsql AS $$ BEGIN"
        f" IF TG_OP = 'DELETE' AND current_user = '{RETENTION_ROLE}' THEN RETURN OLD; END IF;"
        " RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP; END $$"
    )
    op.execute(
        "CREATE FUNCTION audit_tree_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$"
        " BEGIN RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP; END $$"
    )
    for table in ("audit_leaves", "audit_tree_heads"):
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION audit_tree_refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}"
            " FOR EACH STATEMENT EXECUTE FUNCTION audit_tree_refuse_change()"
        )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.drop_table("audit_tree_heads")
    op.drop_table("audit_leaves")
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS audit_tree_refuse_change()")
        op.execute(
            "CREATE OR REPLACE FUNCTION audit_log_refuse_change() RETURNS trigger"
            " LANGUAGE plpgsql AS $$ BEGIN"
            " IF TG_OP = 'DELETE' AND current_setting('alpr.audit_purge', true) = 'on' THEN"
            " RETURN OLD; END IF;"
            " RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP; END $$"
        )
        op.execute(f"REVOKE ALL ON audit_log FROM {RETENTION_ROLE}")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("chain_version")
        batch.drop_column("device")
        batch.drop_column("user_agent")
