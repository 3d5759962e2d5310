"""The audit log: hash-chained, append-only in the database itself, verifiable."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from alpr.audit.events import AuditEvent
from alpr.audit.models import GENESIS_HASH, AuditEntry
from alpr.audit.retention import audit_key, purge_expired_audit
from alpr.audit.service import record, verify_chain
from alpr.db.base import utcnow
from alpr.db.session import Database
from alpr.policy import load_preset


def write_entries(database: Database, count: int = 3) -> list[int]:
    with database.unit_of_work() as session:
        entries = [
            record(session, event=AuditEvent.CAMERA_REGISTER, actor=f"user{n}",
                   details={"n": n, "camera_id": f"cam-{n}"})
            for n in range(count)
        ]
        return [entry.id for entry in entries]


def test_each_entry_links_to_the_one_before(database: Database) -> None:
    # REQ L1 — every access is recorded with time, actor and details, on a tamper-evident chain
    ids = write_entries(database)
    with database.unit_of_work() as session:
        rows = [session.get(AuditEntry, i) for i in ids]
        assert rows[0] is not None and rows[0].prev_hash == GENESIS_HASH
        for before, after in itertools.pairwise(rows):
            assert before is not None and after is not None
            assert after.prev_hash == before.hash
        report = verify_chain(session)
    assert report.ok and report.checked == 3


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"],
)
def test_the_database_refuses_to_change_entries(database: Database, statement: str) -> None:
    # REQ L1 — append-only: the database itself refuses UPDATE and DELETE
    write_entries(database)
    with pytest.raises(DBAPIError, match="append-only"), database.unit_of_work() as session:
        session.execute(text(statement))


@pytest.mark.postgres_only
def test_postgresql_refuses_truncate(database: Database) -> None:
    write_entries(database)
    with pytest.raises(DBAPIError, match="append-only"), database.unit_of_work() as session:
        session.execute(text("TRUNCATE audit_log"))


def _bypass_append_only(database: Database) -> None:
    """Only a test (or an attacker with DDL rights) gets past the trigger; verify must notice."""
    with database.unit_of_work() as session:
        if database.dialect == "postgresql":
            session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        else:
            session.execute(text("DROP TRIGGER audit_log_no_update"))
            session.execute(text("DROP TRIGGER audit_log_no_delete"))


def test_verify_names_an_edited_entry(database: Database) -> None:
    # REQ L1 — tampering is detected and the first broken entry is named
    ids = write_entries(database, 4)
    _bypass_append_only(database)
    with database.unit_of_work() as session:
        session.execute(
            text("UPDATE audit_log SET actor = 'nobody' WHERE id = :id"), {"id": ids[2]}
        )
    with database.unit_of_work() as session:
        report = verify_chain(session)
    assert not report.ok
    assert report.broken_id == ids[2]
    assert report.checked == 2
    assert report.reason == "content does not match its hash"


def test_verify_names_the_entry_after_a_deleted_one(database: Database) -> None:
    ids = write_entries(database, 4)
    _bypass_append_only(database)
    with database.unit_of_work() as session:
        session.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": ids[1]})
    with database.unit_of_work() as session:
        report = verify_chain(session)
    assert report.broken_id == ids[2]
    assert report.reason == "link to the previous entry is broken"


def test_retention_removes_old_entries_and_the_chain_still_verifies(
    database: Database, tmp_path: Path
) -> None:
    # REQ L2 — kept for the policy's period, then removed with a signed checkpoint
    policy = load_preset("lapd")
    key = audit_key(tmp_path)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    with database.unit_of_work() as session:
        for n in range(5):
            record(session, event=AuditEvent.CAMERA_REGISTER, actor="u", details={"n": n},
                   now=start + timedelta(days=365 * n))
    now = start + timedelta(days=365 * 5 + 30)
    keep = policy.retention.audit_records_keep
    expected = sum(1 for n in range(5) if start + timedelta(days=365 * n) < keep.before(now))
    with database.unit_of_work() as session:
        assert purge_expired_audit(session, policy=policy, key=key, now=now) == expected
        report = verify_chain(session, key=key)
        assert report.ok, report
        assert report.checked == 5 - expected + 1  # the rest, and the retention entry itself
    with pytest.raises(DBAPIError, match="append-only"), database.unit_of_work() as session:
        session.execute(text("DELETE FROM audit_log"))  # outside the purge: still refused


def test_a_forged_checkpoint_is_detected(database: Database, tmp_path: Path) -> None:
    policy = load_preset("lapd")
    with database.unit_of_work() as session:
        record(session, event=AuditEvent.CAMERA_REGISTER, actor="u",
               now=datetime(2001, 1, 1, tzinfo=UTC))
        record(session, event=AuditEvent.CAMERA_REGISTER, actor="u")
        purge_expired_audit(session, policy=policy, key=audit_key(tmp_path), now=utcnow())
        other_key = audit_key(tmp_path / "elsewhere")
        report = verify_chain(session, key=other_key)
    assert report.reason == "retention checkpoint signature is wrong"


@pytest.mark.parametrize("with_the_key", [False, True])
def test_a_rewrite_needs_the_chain_key(database: Database, with_the_key: bool) -> None:
    # REQ L1 — the chain is HMAC-SHA256 under a key kept outside the database (18.5)
    from alpr.audit.keys import chain_key
    from alpr.audit.service import entry_hash

    ids = write_entries(database, 3)
    _bypass_append_only(database)
    key = chain_key() if with_the_key else b"k" * 32
    with database.unit_of_work() as session:
        entries = [session.get(AuditEntry, i) for i in ids]
        prev = entries[0].hash if entries[0] else GENESIS_HASH
        for entry in entries[1:]:  # rewrite entry 2 and re-link entry 3
            assert entry is not None
            actor = "nobody" if entry.id == ids[1] else entry.actor
            probe = AuditEntry(at=entry.at, event=entry.event, actor=actor,
                               organization=entry.organization, outcome=entry.outcome,
                               source=entry.source, purpose=entry.purpose,
                               details=entry.details, prev_hash=prev,
                               user_agent=entry.user_agent, device=entry.device,
                               chain_version=entry.chain_version)
            new_hash = entry_hash(probe, key=key)
            session.execute(text("UPDATE audit_log SET actor = :a, prev_hash = :p, hash = :h"
                                 " WHERE id = :id"),
                            {"a": actor, "p": prev, "h": new_hash, "id": entry.id})
            prev = new_hash
    with database.unit_of_work() as session:
        report = verify_chain(session)
    if with_the_key:
        # The chain alone cannot tell; the Merkle leaves (and published heads) still do.
        assert report.reason == "entry is not the Merkle leaf recorded for it"
    else:
        assert report.broken_id == ids[1]
        assert report.reason == "content does not match its hash"
