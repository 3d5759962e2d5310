"""Append to and verify the hash-chained audit log.

Each entry stores the hash of the entry before it and a hash over its own content, so
editing, deleting or inserting a row anywhere breaks the chain at that row.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent, Outcome
from alpr.audit.models import GENESIS_HASH, AuditEntry
from alpr.db.base import utcnow

# Any constant works: it names the one advisory lock that serializes appends on PostgreSQL.
_CHAIN_LOCK_KEY = 0x41_4C_50_52  # "ALPR"


def record(
    session: Session,
    *,
    event: AuditEvent,
    actor: str,
    outcome: Outcome = Outcome.SUCCESS,
    details: dict[str, Any] | None = None,
    organization: str | None = None,
    source: str | None = None,
    purpose: str | None = None,
    now: datetime | None = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction (it commits with the audited action)."""
    _lock_chain(session)
    prev_hash = session.scalar(
        select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
    ) or GENESIS_HASH
    entry = AuditEntry(
        at=now or utcnow(),
        event=str(event),
        actor=actor,
        organization=organization,
        outcome=str(outcome),
        source=source,
        purpose=purpose,
        details=_json_safe(details or {}),
        prev_hash=prev_hash,
    )
    entry.hash = entry_hash(entry)
    session.add(entry)
    session.flush()
    return entry


def _lock_chain(session: Session) -> None:
    # SQLite transactions already start with BEGIN IMMEDIATE (one writer at a time).
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK_KEY})


def _json_safe(details: dict[str, Any]) -> dict[str, Any]:
    # Round-trip through JSON so the hash is computed over exactly what the database returns.
    loaded: dict[str, Any] = json.loads(json.dumps(details, default=str))
    return loaded


def entry_hash(entry: AuditEntry) -> str:
    content = {
        "at": entry.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "event": entry.event,
        "actor": entry.actor,
        "organization": entry.organization,
        "outcome": entry.outcome,
        "source": entry.source,
        "purpose": entry.purpose,
        "details": entry.details,
        "prev_hash": entry.prev_hash,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_id: int | None = None
    reason: str | None = None
    # The last intact entry: what the transparency page publishes (0 and the genesis hash
    # for an empty log).
    head_id: int = 0
    head_hash: str = GENESIS_HASH

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def verify_chain(session: Session, *, key: bytes | None = None,
                 after: tuple[int, str] | None = None) -> ChainReport:
    """Walk the chain in order; name the first entry whose link or content is wrong.

    After a retention purge the chain starts at the latest checkpoint's hash; with the
    audit `key`, the checkpoint's own signature is checked too. `after` (id, hash) of an
    entry already verified walks only the entries after it.
    """
    from alpr.audit.retention import latest_checkpoint, sign

    expected_prev, head_id = GENESIS_HASH, 0
    checkpoint = None if after else latest_checkpoint(session)
    if after is not None:
        head_id, expected_prev = after
    if checkpoint is not None:
        if key is not None and not hmac.compare_digest(sign(key, checkpoint),
                                                       checkpoint.signature):
            return ChainReport(0, checkpoint.up_to_id, "retention checkpoint signature is wrong")
        expected_prev, head_id = checkpoint.up_to_hash, checkpoint.up_to_id
    checked = 0
    start = after[0] if after else 0  # after a checkpoint: every remaining entry is walked
    query = select(AuditEntry).where(AuditEntry.id > start).order_by(AuditEntry.id)
    rows = session.scalars(query.execution_options(yield_per=1000))
    for entry in rows:
        if entry.prev_hash != expected_prev:
            return ChainReport(checked, entry.id, "link to the previous entry is broken",
                               head_id, expected_prev)
        if entry_hash(entry) != entry.hash:
            return ChainReport(checked, entry.id, "content does not match its hash",
                               head_id, expected_prev)
        expected_prev, head_id = entry.hash, entry.id
        checked += 1
    return ChainReport(checked, head_id=head_id, head_hash=expected_prev)
