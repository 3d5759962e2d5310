"""Alerts held until the start-of-shift inspection (REQ C6, 001 §2.455.25).

A mobile unit's hot-list hits raise no alert to patrol until an inspection of the unit
that passed has been recorded within the last `shift_hours` (ALPR_SHIFT_HOURS, default 12).
Until then each hit is *recorded as held* (`camera_held_hits`, audited
`camera:alert:held`): the read is stored as usual, nobody is alerted. The inspection
releases the hits held during its shift: they are matched again against the lists as they
are then (an entry expired or found in error meanwhile alerts no more) and raise their
alerts at that moment. Hits held before the shift stay recorded as held. Fixed cameras
have no shift and are never held; ALPR_HOLD_ALERTS_UNTIL_INSPECTION=false turns it off.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent
from alpr.audit.service import record
from alpr.cameras.models import Camera, CameraKind, HeldHit, Inspection
from alpr.config import get_settings
from alpr.hotlists.models import Alert

HOLD_ACTOR = "system:shift-hold"


def shift_start(now: datetime) -> datetime:
    return now - timedelta(hours=get_settings().shift_hours)


def inspected_this_shift(session: Session, camera_id: str, now: datetime) -> Inspection | None:
    """The passing inspection that enables the unit's alerts now, if any."""
    return session.scalar(select(Inspection).where(
        Inspection.camera_id == camera_id, Inspection.ok.is_(True),
        Inspection.inspected_at > shift_start(now), Inspection.inspected_at <= now)
        .order_by(Inspection.inspected_at.desc()).limit(1))


def _held_cameras(session: Session, camera_ids: set[str], now: datetime) -> set[str]:
    if not get_settings().hold_alerts_until_inspection or not camera_ids:
        return set()
    mobile = session.scalars(select(Camera.id).where(
        Camera.id.in_(camera_ids), Camera.kind == CameraKind.MOBILE.value))
    return {c for c in mobile if inspected_this_shift(session, c, now) is None}


def hold_uninspected(
    session: Session, alerts: Sequence[Alert],
    alternatives: Mapping[uuid.UUID, Sequence[str]], now: datetime,
) -> list[Alert]:
    """The alerts that may go out now; the others are recorded as held hits."""
    held = _held_cameras(session, {a.camera_id for a in alerts}, now)
    if not held:
        return list(alerts)
    by_read: dict[uuid.UUID, list[Alert]] = defaultdict(list)
    for alert in alerts:
        if alert.camera_id in held:
            by_read[alert.read_id].append(alert)
    for read_id, hits in by_read.items():
        first = hits[0]
        others = list(alternatives.get(read_id, ()))
        session.add(HeldHit(
            camera_id=first.camera_id, read_id=read_id, read_captured_at=first.read_captured_at,
            plate=first.plate_read, alternatives=json.dumps(others) if others else None,
            entry_ids=json.dumps(sorted(a.entry_id for a in hits)), held_at=now))
        record(session, event=AuditEvent.CAMERA_ALERT_HELD, actor=HOLD_ACTOR, now=now,
               details={"camera_id": first.camera_id, "read_id": str(read_id),
                        "plate": first.plate_read, "lists": sorted({a.list_name for a in hits}),
                        "why": "no passing start-of-shift inspection this shift"})
    session.flush()
    return [alert for alert in alerts if alert.camera_id not in held]


def held_hits(session: Session, camera_id: str | None = None, *, released: bool = False
              ) -> list[HeldHit]:
    query = select(HeldHit).order_by(HeldHit.id)
    if camera_id is not None:
        query = query.where(HeldHit.camera_id == camera_id)
    if not released:
        query = query.where(HeldHit.released_at.is_(None))
    return list(session.scalars(query))
