"""One audit entry per accepted batch of reads (issue 18.4): how many, from which cameras,
the id range and capture times, and a digest of the exact ids, without one entry (or one
line) per read."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent
from alpr.audit.service import record


def record_accepted_batch(session: Session, *, actor: str, rows: Iterable[Mapping[str, Any]],
                          organization: str | None = None, duplicates: int = 0,
                          rejected: int = 0, now: datetime | None = None) -> None:
    """Write `read:ingest` for the reads stored now (nothing when none was)."""
    stored = list(rows)
    if not stored:
        return
    ids = sorted(str(row["id"]) for row in stored)
    captured = sorted(row["captured_at"] for row in stored)
    record(session, event=AuditEvent.READ_INGEST, actor=actor, organization=organization,
           now=now, details={
               "accepted": len(ids), "duplicates": duplicates, "rejected": rejected,
               "cameras": sorted({str(row["camera_id"]) for row in stored}),
               "id_range": [ids[0], ids[-1]],
               "captured_range": [captured[0].isoformat(), captured[-1].isoformat()],
               # Lets an auditor confirm a given set of read ids was this batch.
               "ids_sha256": hashlib.sha256("\n".join(ids).encode()).hexdigest(),
           })
