"""Deleting audit entries is tied to the audit retention job's own database role (18.5)."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from alpr.audit.events import AuditEvent
from alpr.audit.keys import chain_key
from alpr.audit.models import AuditEntry
from alpr.audit.retention import RETENTION_ROLE, purge_expired_audit
from alpr.audit.service import record, verify_chain
from alpr.db.base import utcnow
from alpr.db.session import Database
from alpr.policy import load_preset


def _entries(database: Database) -> None:
    with database.unit_of_work() as session:
        record(session, event=AuditEvent.CAMERA_REGISTER, actor="u",
               now=datetime(2001, 1, 1, tzinfo=UTC))
        record(session, event=AuditEvent.CAMERA_REGISTER, actor="u")


def _delete_all_after(database: Database, *statements: str) -> None:
    with database.unit_of_work() as session:
        for statement in statements:
            session.execute(text(statement))
        session.execute(text("DELETE FROM audit_log"))


@pytest.mark.postgres_only
def test_the_old_session_setting_no_longer_opens_the_guard(database: Database) -> None:
    # REQ L1 — `SET alpr.audit_purge = 'on'` was enough for any role with DELETE
    _entries(database)
    with pytest.raises(DBAPIError, match="append-only"):
        _delete_all_after(database, "SET LOCAL alpr.audit_purge = 'on'")


@pytest.mark.postgres_only
def test_a_role_granted_delete_is_still_refused(database: Database) -> None:
    # REQ L1 — only the dedicated retention role passes the trigger, not a DELETE grant
    _entries(database)
    intruder = f"alpr_test_intruder_{os.getpid()}"
    with database.unit_of_work() as session:
        schema = session.scalar(text("SELECT current_schema()"))
    with pytest.raises(DBAPIError, match="append-only"):
        _delete_all_after(database, f"CREATE ROLE {intruder} NOLOGIN",
                          f"GRANT USAGE ON SCHEMA {schema} TO {intruder}",
                          f"GRANT SELECT, DELETE ON audit_log TO {intruder}",
                          f"SET LOCAL ROLE {intruder}")


@pytest.mark.postgres_only
def test_the_retention_role_deletes_and_only_for_the_statement(database: Database) -> None:
    # REQ L2 — the retention job removes the expired prefix as alpr_audit_retention
    _entries(database)
    with database.unit_of_work() as session:
        removed = purge_expired_audit(session, policy=load_preset("lapd"), key=chain_key(),
                                      now=utcnow())
        assert removed == 1
        assert session.scalar(text("SELECT current_user")) != RETENTION_ROLE
        assert verify_chain(session).ok
    with pytest.raises(DBAPIError, match="append-only"), database.unit_of_work() as session:
        session.execute(text("DELETE FROM audit_log"))


def test_the_sqlite_guard_is_the_purges_own_permit(database: Database) -> None:
    # REQ L2 — SQLite has no roles: outside the purge's transaction deletes are refused
    _entries(database)
    with pytest.raises(DBAPIError, match="append-only"), database.unit_of_work() as session:
        session.execute(text("DELETE FROM audit_log"))
    with database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 2
