"""Raise an alert for every hot-list hit of newly stored reads, in the ingest transaction."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent
from alpr.audit.service import record
from alpr.cameras.shifts import hold_uninspected
from alpr.hotlists.matching import Hit, match_index
from alpr.hotlists.models import Alert, HotList, HotListEntry
from alpr.hotlists.webhooks import enqueue

SYSTEM_ACTOR = "system:matcher"


def raise_alerts(
    session: Session,
    reads: Sequence[Mapping[str, Any]],
    *,
    now: datetime,
    alternatives: Mapping[uuid.UUID, Sequence[str]] | None = None,
) -> list[Alert]:
    """Compare each read with the active entries; store and audit one alert per hit."""
    index = match_index(session)
    if not index.exact:
        return []
    alternatives = alternatives or {}
    found: list[tuple[Mapping[str, Any], Hit]] = []
    for read in reads:
        hits = index.match(read["plate_normalized"], alternatives=alternatives.get(read["id"], ()))
        found.extend((read, hit) for hit in hits)
    if not found:
        return []
    details = {
        entry.id: (entry, hotlist)
        for entry, hotlist in session.execute(
            select(HotListEntry, HotList)
            .join(HotList, HotList.id == HotListEntry.list_id)
            .where(HotListEntry.id.in_({hit.entry_id for _, hit in found}))
        )
    }
    alerts = []
    for read, hit in found:
        if hit.entry_id not in details:
            continue  # deleted since the index was built
        entry, hotlist = details[hit.entry_id]
        if entry.expires_at <= now:
            continue  # past its lifetime: no alert, even before the purge job deletes it
        alerts.append(Alert(
            id=uuid.uuid4(), created_at=now, read_id=read["id"],
            read_captured_at=read["captured_at"], camera_id=read["camera_id"],
            plate_read=read["plate_normalized"], entry_id=entry.id, list_id=hotlist.id,
            list_name=hotlist.name, source=hotlist.source, plate_listed=entry.plate,
            state_listed=entry.state, reason=entry.reason, match=hit.match.value,
            status="unverified",
        ))
    # A mobile unit not inspected this shift alerts nobody yet: its hits are held (REQ C6).
    alerts = hold_uninspected(session, alerts, alternatives, now)
    session.add_all(alerts)
    session.flush()
    enqueue(session, alerts, now)
    for alert in alerts:
        record(session, event=AuditEvent.ALERT_RAISE, actor=SYSTEM_ACTOR, now=now, details={
            "alert_id": str(alert.id), "read_id": str(alert.read_id), "plate": alert.plate_read,
            "list": alert.list_name, "entry_id": alert.entry_id, "match": alert.match})
    return alerts
