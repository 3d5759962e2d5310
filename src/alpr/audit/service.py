"""Append to and verify the audit log: a keyed hash chain and a Merkle tree.

Each entry stores the previous entry's hash and an HMAC-SHA256 (under a key kept outside
the database) over its own content, so editing, deleting or inserting a row anywhere
breaks the chain at that row, and rewriting the chain needs the key. Each entry is also a
leaf of an RFC 6962 Merkle tree (audit_leaves) whose signed heads are published (see
`audit.heads`): an outsider holding a published head can prove any entry is in the log and
that the log only ever grew.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import event as orm_event
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from alpr import __version__
from alpr.audit import context as audit_context
from alpr.audit import merkle
from alpr.audit.events import AuditEvent, Outcome, default_purpose
from alpr.audit.keys import chain_key
from alpr.audit.models import GENESIS_HASH, AuditEntry, AuditLeaf
from alpr.db.base import utcnow

_HOST = socket.gethostname()
# Any constant works: it names the one advisory lock that serializes appends on PostgreSQL.
_CHAIN_LOCK_KEY = 0x41_4C_50_52  # "ALPR"
CHAIN_VERSION = 2
log = logging.getLogger(__name__)


class AuditUnavailableError(RuntimeError):
    """An audit entry could not be written: the audited action must not happen (503)."""


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
    user_agent: str | None = None,
    device: str | None = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction (it commits with the audited action).

    Source address, user agent, device and the actor's organization default to the bound
    request context and the actor's own agency, so no call site can leave them out.
    """
    context = audit_context.current()
    if context is None:  # a worker or a direct call: the process itself is the source
        source = source or f"local@{_HOST}"
        user_agent = user_agent or f"alpr/{__version__}"
        device = device or _HOST
    else:
        source = source or context.source
        user_agent = user_agent or context.user_agent
        device = device or (context.device if context.actor in (None, actor) else None) or (
            "unregistered" if context.channel == "http" else None)
        purpose = purpose or context.purpose
        if context.channel == "cli" and outcome != Outcome.SUCCESS and details is not None \
                and "params" not in details:
            # A refused command names what was asked (plate, purpose, ...), wherever the
            # refusal is written.
            details = {**details, "command": context.action, "params": context.query}
    purpose = purpose or default_purpose(str(event))
    try:
        organization = organization or _organization_of(session, actor, context)
        _lock_chain(session)
        prev_hash, next_index, next_id = _tail(session)
        entry = AuditEntry(
            id=next_id, at=now or utcnow(), event=str(event), actor=actor,
            organization=organization, outcome=str(outcome), source=_clip(source, 200),
            purpose=purpose, details=_json_safe(details or {}), prev_hash=prev_hash,
            user_agent=_clip(user_agent, 300), device=_clip(device, 128),
            chain_version=CHAIN_VERSION,
        )
        entry.hash = entry_hash(entry, key=chain_key())
        leaf = AuditLeaf(idx=next_index, entry_id=next_id,
                         leaf_hash=merkle.leaf_hash(leaf_bytes(entry)).hex())
        session.add_all([entry, leaf])
        session.flush()
    except SQLAlchemyError as error:
        _alarm(str(error).splitlines()[0])
        raise AuditUnavailableError(f"audit entry not written: {error}") from error
    _after_commit(session, leaf, outcome, context)
    return entry


def _tail(session: Session) -> tuple[str, int, int]:
    """In one round trip: the last entry's hash, the next leaf index and the next id.

    The id is taken before the insert so the leaf (which covers it) goes in with the entry.
    On PostgreSQL it comes from the table's sequence; SQLite would reuse the highest rowid
    once it is deleted, so there the id is past every id ever given (leaves keep them).
    """
    last_hash = select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
    if session.get_bind().dialect.name == "postgresql":
        next_id: Any = text("nextval(pg_get_serial_sequence('audit_log', 'id'))")
    else:
        # SQLite's two-argument max() is NULL if either is: coalesce each.
        next_id = func.max(
            func.coalesce(select(func.max(AuditLeaf.entry_id)).scalar_subquery(), 0),
            func.coalesce(select(func.max(AuditEntry.id)).scalar_subquery(), 0)) + 1
    row = session.execute(select(
        last_hash.scalar_subquery(),
        select(func.coalesce(func.max(AuditLeaf.idx) + 1, 0)).scalar_subquery(),
        next_id)).one()
    return row[0] or GENESIS_HASH, int(row[1]), int(row[2])


def _clip(value: str | None, limit: int) -> str | None:
    return value[:limit] if value else value


def _after_commit(session: Session, leaf: AuditLeaf, outcome: Outcome,
                  context: audit_context.AuditContext | None) -> None:
    """Once the entry is really saved: count it for the request, and append its leaf to
    the tail witness outside the database (see `tail_witness_path`)."""
    index, leaf_hex = leaf.idx, leaf.leaf_hash

    def committed(_session: Session) -> None:
        if context is not None:
            context.committed += 1
            if outcome != Outcome.SUCCESS:
                context.refusals_committed += 1
        _witness(index, leaf_hex)

    orm_event.listen(session, "after_commit", committed, once=True)


def tail_witness_path() -> Path:
    from alpr.config import get_settings

    return get_settings().data_dir / "audit-tail.log"


def _witness(index: int, leaf_hex: str) -> None:
    # One short line per entry, appended (atomic for small writes): the newest tree size
    # is recorded where a database superuser cannot reach, so deleting the tail shows.
    try:
        path = tail_witness_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="ascii") as witness:
            witness.write(f"{index} {leaf_hex}\n")
    except OSError:  # the entry is committed; verify will report the gap
        log.exception("audit tail witness not written")


def _organization_of(session: Session, actor: str,
                     context: audit_context.AuditContext | None) -> str:
    """§1798.90.52: every entry names the organization of whoever acted."""
    if context is not None and context.actor == actor and context.organization:
        return context.organization
    kind, _, name = actor.partition(":")
    if kind == "user" and name:
        from alpr.users.models import User

        agency = session.scalar(select(User.agency).where(User.username == name))
        if agency:
            return agency
    elif kind == "camera" and name:
        from alpr.cameras.models import Camera

        agency = session.scalar(select(Camera.agency).where(Camera.id == name))
        if agency:
            return agency
    return own_agency()


def own_agency() -> str:
    """The agency running this system: jobs, the server console and unknown callers act
    on its behalf."""
    from alpr.config import get_settings

    return _agency_name(str(get_settings().policy or ""))


@cache
def _agency_name(policy_path: str) -> str:
    from alpr.policy import PolicyError, load_checked_policy

    try:
        return load_checked_policy(Path(policy_path) if policy_path else None).agency.name
    except PolicyError:  # the entry is still written; the name says why it is generic
        return "this agency (policy file not loadable)"


def _lock_chain(session: Session) -> None:
    # SQLite transactions already start with BEGIN IMMEDIATE (one writer at a time).
    if session.get_bind().dialect.name == "postgresql":
        # Keyed by schema too: two installations (or test runs) in one database never
        # wait on, or deadlock with, each other's chain.
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(current_schema()), :key)"),
                        {"key": _CHAIN_LOCK_KEY})


def _json_safe(details: dict[str, Any]) -> dict[str, Any]:
    # Round-trip through JSON so the hash is computed over exactly what the database returns.
    loaded: dict[str, Any] = json.loads(json.dumps(details, default=str))
    return loaded


def _content(entry: AuditEntry) -> dict[str, Any]:
    content: dict[str, Any] = {
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
    if (entry.chain_version or 1) >= 2:
        content |= {"user_agent": entry.user_agent, "device": entry.device,
                    "chain_version": entry.chain_version}
    return content


def canonical(document: dict[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode()


def entry_hash(entry: AuditEntry, *, key: bytes | None = None) -> str:
    """Version 1 entries: SHA-256 of the content; version 2: HMAC-SHA256 under the key."""
    message = canonical(_content(entry))
    if (entry.chain_version or 1) >= 2:
        return hmac.new(key if key is not None else chain_key(), message,
                        hashlib.sha256).hexdigest()
    return hashlib.sha256(message).hexdigest()


def leaf_document(entry: AuditEntry) -> dict[str, Any]:
    """What a Merkle leaf covers: the entry's id, its content and its chain hash."""
    return {"id": entry.id, **_content(entry), "hash": entry.hash}


def leaf_bytes(entry: AuditEntry) -> bytes:
    return canonical(leaf_document(entry))


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
                 after: tuple[int, str] | None = None,
                 chain: bytes | None = None) -> ChainReport:
    """Walk the chain in order; name the first entry whose link, content or leaf is wrong.

    After a retention purge the chain starts at the latest checkpoint's hash; with the
    checkpoint `key`, the checkpoint's own signature is checked too. `after` (id, hash) of
    an entry already verified walks only the entries after it. `chain` is the HMAC key of
    the chain (default: the configured audit key).
    """
    from alpr.audit.retention import latest_checkpoint, sign

    chain = chain if chain is not None else chain_key()
    expected_prev, head_id = GENESIS_HASH, 0
    checkpoint = None if after else latest_checkpoint(session)
    if after is not None:
        head_id, expected_prev = after
    if checkpoint is not None:
        if key is not None and not hmac.compare_digest(sign(key, checkpoint),
                                                       checkpoint.signature):
            return ChainReport(0, checkpoint.up_to_id, "retention checkpoint signature is wrong")
        expected_prev, head_id = checkpoint.up_to_hash, checkpoint.up_to_id
    checked, keyed_seen = 0, False
    start = after[0] if after else 0  # after a checkpoint: every remaining entry is walked
    query = (select(AuditEntry, AuditLeaf.leaf_hash)
             .outerjoin(AuditLeaf, AuditLeaf.entry_id == AuditEntry.id)
             .where(AuditEntry.id > start).order_by(AuditEntry.id))
    for entry, leaf in session.execute(query.execution_options(yield_per=1000)):
        problem = None
        if entry.prev_hash != expected_prev:
            problem = "link to the previous entry is broken"
        elif keyed_seen and (entry.chain_version or 1) < 2:
            problem = "an unkeyed entry after keyed ones (a rewrite without the key)"
        elif not hmac.compare_digest(entry_hash(entry, key=chain), entry.hash):
            problem = "content does not match its hash"
        elif leaf is None or leaf != merkle.leaf_hash(leaf_bytes(entry)).hex():
            problem = "entry is not the Merkle leaf recorded for it"
        if problem:
            return ChainReport(checked, entry.id, problem, head_id, expected_prev)
        keyed_seen = keyed_seen or (entry.chain_version or 1) >= 2
        expected_prev, head_id = entry.hash, entry.id
        checked += 1
    return ChainReport(checked, head_id=head_id, head_hash=expected_prev)


def _alarm(reason: str) -> None:
    """CJIS AU-5 (alpr.audit.alarm): never in the way of the refusal itself."""
    from alpr.audit.alarm import report_failure
    from alpr.config import get_settings
    from alpr.policy import load_checked_policy

    try:
        settings = get_settings()
        window = load_checked_policy(settings.policy).security.audit_failure_alert_within
        report_failure(settings, window, reason)
    except Exception:  # the alarm failing must not hide the audit failure
        logging.getLogger("alpr.audit").exception("audit failure alarm failed")
