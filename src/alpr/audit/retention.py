"""Removing audit entries past the policy's retention without breaking verifiability.

Entries older than `retention.audit_records_keep` are deleted from the start of the chain
only (never a gap in the middle), and a signed checkpoint records the hash the remaining
chain continues from. The database refuses deletes except inside this function's
transaction: on PostgreSQL only the role `alpr_audit_retention` may delete (the purge
switches to it for the one statement; the application's login role should not be a member
of it — run the retention job under a login that is, see docs/audit.md); on SQLite, which
has no roles, a permit row inserted and removed inside the purge's own transaction.
Everything else still meets the append-only triggers.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent
from alpr.audit.models import AuditCheckpoint, AuditEntry
from alpr.audit.service import record
from alpr.policy import Policy

RETENTION_ROLE = "alpr_audit_retention"  # created by migration 0017


def audit_key(data_dir: Path) -> bytes:
    """The agency's key for signing checkpoints, created once beside the data."""
    path = data_dir / "audit.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return bytes.fromhex(path.read_text().strip())


def sign(key: bytes, checkpoint: AuditCheckpoint) -> str:
    message = (f"{checkpoint.up_to_id}|{checkpoint.up_to_hash}|{checkpoint.removed}|"
               f"{checkpoint.older_than.isoformat()}|{checkpoint.created_at.isoformat()}")
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def latest_checkpoint(session: Session) -> AuditCheckpoint | None:
    return session.scalar(select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1))


def purge_expired_audit(session: Session, *, policy: Policy, key: bytes, now: datetime) -> int:
    cutoff = policy.retention.audit_records_keep.before(now)
    # The newest entry past retention, and everything before it (a prefix of the chain).
    last = session.scalar(select(func.max(AuditEntry.id)).where(AuditEntry.at < cutoff))
    if last is None:
        return 0
    boundary = session.get(AuditEntry, last)
    assert boundary is not None
    count = session.scalar(select(func.count()).where(AuditEntry.id <= last)) or 0
    checkpoint = AuditCheckpoint(created_at=now, up_to_id=last, up_to_hash=boundary.hash,
                                 removed=count, older_than=cutoff, signature="")
    checkpoint.signature = sign(key, checkpoint)
    session.add(checkpoint)
    _permit_delete(session)
    session.execute(delete(AuditEntry).where(AuditEntry.id <= last))
    _end_permit(session)
    record(session, event=AuditEvent.AUDIT_RETENTION, actor="system:retention", now=now,
           details={"removed": count, "up_to_id": last, "older_than": cutoff.isoformat()})
    return count


def _permit_delete(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL ROLE {RETENTION_ROLE}"))
    else:
        session.execute(text("INSERT INTO audit_purge_permit (id) VALUES (1)"))


def _end_permit(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("RESET ROLE"))
    else:
        session.execute(text("DELETE FROM audit_purge_permit"))
