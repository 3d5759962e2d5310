"""Hot-list snapshots for patrol units that match offline (REQ C5).

A snapshot is every entry that can alert now: id, exact key, list, source, reason, state.
Its version is the hot-list revision token, so a unit knows whether it is current. The
body is signed with HMAC-SHA256 keyed by the SHA-256 of the unit's own API key: the server
keeps only that hash, the unit can compute it, and nobody else can forge a snapshot.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alpr.hotlists.matching import MatchIndex, current_revision
from alpr.hotlists.models import EntryStatus, HotList, HotListEntry


def snapshot_body(session: Session, *, now: datetime) -> bytes:
    rows = session.execute(
        select(HotListEntry.id, HotListEntry.exact_key, HotList.name, HotList.source,
               HotListEntry.reason, HotListEntry.state)
        .join(HotList, HotList.id == HotListEntry.list_id)
        .where(HotListEntry.status == EntryStatus.ACTIVE,
               HotListEntry.generation == HotList.generation,
               HotListEntry.expires_at > now)
        .order_by(HotListEntry.id)
    )
    document = {
        "version": current_revision(session),
        "generated_at": now.isoformat(),
        "fields": ["entry_id", "key", "list", "source", "reason", "state"],
        "entries": [list(row) for row in rows],
    }
    return json.dumps(document, separators=(",", ":")).encode()


def signature(key_hash: str, body: bytes) -> str:
    return "sha256=" + hmac.new(key_hash.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class ListedEntry:
    entry_id: int
    key: str
    list_name: str
    source: str
    reason: str
    state: str | None


@dataclass
class Snapshot:
    version: str
    generated_at: str
    entries: dict[int, ListedEntry]
    index: MatchIndex

    @classmethod
    def load(cls, body: bytes, *, key_hash: str, signed: str) -> Snapshot:
        """Parse a snapshot, refusing one whose signature does not match."""
        if not hmac.compare_digest(signature(key_hash, body), signed):
            raise ValueError("hot-list snapshot signature does not match: refused")
        document: dict[str, Any] = json.loads(body)
        entries = {row[0]: ListedEntry(*row) for row in document["entries"]}
        index = MatchIndex(document["version"])
        for entry in entries.values():
            index.add(entry.entry_id, entry.key)
        return cls(document["version"], document["generated_at"], entries, index)
