"""Accounts: agencies of the registry, login throttling, delivered reports (issues 16, 18).

- `users.agency_id`: a user's agency is a row of the sharing registry, not free text.
  Existing accounts are linked to the registry row of the same name; a name not yet
  registered is registered as a California law enforcement agency (what every account was
  assumed to be), "assumed at upgrade". The legal floor is checked at every access on the
  name too, so a federal body that came through this way still cannot sign in, and the
  operator audit lists it.
- `login_failures`: failed logins per client address, for per-client throttling.
- `notifications`: channel, target, attempts and delivery state, so Professional Standards
  reports are delivered by the jobs runner with retries instead of waiting in an outbox.
  Reports queued before this revision are routed to the recipients configured now.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("agency_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_users_agency_id_sharing_agencies"),
                                 "sharing_agencies", ["agency_id"], ["id"])
        batch.create_index(op.f("ix_users_agency_id"), ["agency_id"])
    _link_agencies()
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("username", sa.String(200), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    op.create_index(op.f("ix_login_failures_source_at"), "login_failures", ["source", "at"])
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("event", sa.String(64), nullable=True))
        batch.add_column(sa.Column("channel", sa.String(12), nullable=False,
                                   server_default="unrouted"))
        batch.add_column(sa.Column("target", sa.String(500), nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("next_attempt_at", TIMESTAMP, nullable=True))
        batch.add_column(sa.Column("failed_at", TIMESTAMP, nullable=True))
        batch.add_column(sa.Column("last_error", sa.Text(), nullable=True))
        batch.create_index(op.f("ix_notifications_sent_at"), ["sent_at"])


def _link_agencies() -> None:
    connection = op.get_bind()
    users = sa.table("users", sa.column("id", sa.Integer()), sa.column("agency", sa.String()),
                     sa.column("agency_id", sa.Integer()))
    agencies = sa.table("sharing_agencies", sa.column("id", sa.Integer()),
                        sa.column("name", sa.String()), sa.column("kind", sa.String()),
                        sa.column("jurisdiction", sa.String()),
                        sa.column("created_by", sa.String()),
                        sa.column("created_at", sa.DateTime(timezone=True)))
    names = connection.execute(sa.select(users.c.agency).distinct()).scalars().all()
    for name in names:
        found = connection.execute(sa.select(agencies.c.id).where(
            agencies.c.name == name)).scalar()
        if found is None:
            connection.execute(agencies.insert().values(
                name=name, kind="ca_law_enforcement",
                jurisdiction="California (assumed at upgrade 0014)",
                created_by="migration:0014", created_at=datetime.now(UTC)))
            found = connection.execute(sa.select(agencies.c.id).where(
                agencies.c.name == name)).scalar()
        connection.execute(users.update().where(users.c.agency == name).values(agency_id=found))


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_index(op.f("ix_notifications_sent_at"))
        for column in ("last_error", "failed_at", "next_attempt_at", "attempts", "target",
                       "channel", "event"):
            batch.drop_column(column)
    op.drop_index(op.f("ix_login_failures_source_at"), table_name="login_failures")
    op.drop_table("login_failures")
    with op.batch_alter_table("users") as batch:
        batch.drop_index(op.f("ix_users_agency_id"))
        batch.drop_constraint(op.f("fk_users_agency_id_sharing_agencies"), type_="foreignkey")
        batch.drop_column("agency_id")
