"""Camera health (REQ C6): heartbeats, silent cameras, trouble tickets, shift inspections.

A camera is *silent* when neither a heartbeat nor a read arrived for its `silent_after_s`
(default 15 minutes). The check opens one trouble ticket per silent camera (never a second
while one is open) and closes it itself when the camera is heard from again. The rate and
hot-list checks (`flags`) work the same way, each with its own ticket kind. Tickets opened
by a person (a failed inspection) need a person's resolution.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent, Outcome
from alpr.audit.service import record
from alpr.cameras.models import Camera, Heartbeat, Inspection, TicketStatus, TroubleTicket
from alpr.cameras.notify import enqueue_ticket
from alpr.cameras.service import CameraError, get_camera
from alpr.cameras.shifts import held_hits, shift_start
from alpr.db.base import utcnow
from alpr.hotlists.alerts import raise_alerts
from alpr.hotlists.matching import current_revision
from alpr.hotlists.models import Alert

DEFAULT_SILENT_AFTER = timedelta(minutes=15)
SILENT = "silent"
INSPECTION_FAILED = "inspection"
CHECK_ACTOR = "system:heartbeat-check"
# The start-of-shift checklist (001 §2.455.25); every item must be true for an ok inspection.
CHECKLIST = ("camera_clean_and_aimed", "hot_list_current", "test_read_ok")


def _number(metrics: Mapping[str, Any], name: str) -> float | None:
    value = metrics.get(name)
    return float(value) if isinstance(value, int | float) else None


def heartbeat(
    session: Session, *, camera: Camera, metrics: Mapping[str, Any], now: datetime | None = None
) -> Camera:
    """Record that a camera is alive, with what it reports (frames/s, disk, ...). Not audited:
    one a minute per camera would drown the log. The last one is kept on the camera, and
    each one in the (bounded) history the rate and hot-list checks read."""
    now = now or utcnow()
    camera.last_heartbeat_at = now
    camera.last_heartbeat = json.dumps(dict(metrics), default=str)
    version = metrics.get("hotlist_version")
    reported = metrics.get("time")
    session.add(Heartbeat(
        camera_id=camera.id, received_at=now,
        reported_at=datetime.fromisoformat(reported) if isinstance(reported, str) else None,
        frames_per_second=_number(metrics, "frames_per_second"),
        reads_per_hour=_number(metrics, "reads_per_hour"),
        temperature_c=_number(metrics, "temperature_c"),
        disk_free_percent=_number(metrics, "disk_free_percent"),
        hotlist_version=str(version) if version else None,
        hotlist_current=(str(version) == current_revision(session)) if version else None,
    ))
    session.flush()
    return camera


def heartbeats(session: Session, camera_id: str, limit: int = 50) -> list[Heartbeat]:
    """A camera's newest heartbeats, newest first."""
    return list(session.scalars(select(Heartbeat).where(Heartbeat.camera_id == camera_id)
                                .order_by(Heartbeat.received_at.desc()).limit(limit)))


def prune_heartbeats(session: Session, before: datetime) -> int:
    result = session.execute(delete(Heartbeat).where(Heartbeat.received_at < before))
    return max(getattr(result, "rowcount", 0) or 0, 0)


def last_seen(camera: Camera) -> datetime | None:
    seen = [t for t in (camera.last_heartbeat_at, camera.last_read_at) if t is not None]
    return max(seen) if seen else None


def silent_after(camera: Camera) -> timedelta:
    if camera.silent_after_s:
        return timedelta(seconds=camera.silent_after_s)
    return DEFAULT_SILENT_AFTER


def is_silent(camera: Camera, now: datetime) -> bool:
    # A camera never heard from counts from its registration.
    since = last_seen(camera) or camera.created_at
    return now - since > silent_after(camera)


def open_ticket(
    session: Session, *, camera: Camera, kind: str, description: str, actor: str,
    now: datetime | None = None,
) -> TroubleTicket:
    now = now or utcnow()
    ticket = TroubleTicket(camera_id=camera.id, kind=kind, description=description,
                           status=TicketStatus.OPEN.value, opened_by=actor, opened_at=now)
    session.add(ticket)
    session.flush()
    enqueue_ticket(session, ticket, "opened", now)
    record(session, event=AuditEvent.CAMERA_TICKET_OPEN, actor=actor, now=now,
           organization=camera.agency,
           details={"ticket": ticket.id, "camera_id": camera.id, "kind": kind,
                    "description": description})
    return ticket


def open_tickets(session: Session, camera_id: str | None = None,
                 kind: str | None = None) -> list[TroubleTicket]:
    query = select(TroubleTicket).where(TroubleTicket.status == TicketStatus.OPEN.value)
    if camera_id is not None:
        query = query.where(TroubleTicket.camera_id == camera_id)
    if kind is not None:
        query = query.where(TroubleTicket.kind == kind)
    return list(session.scalars(query.order_by(TroubleTicket.id)))


def list_tickets(session: Session, *, include_closed: bool = False) -> list[TroubleTicket]:
    query = select(TroubleTicket).order_by(TroubleTicket.id)
    if not include_closed:
        query = query.where(TroubleTicket.status == TicketStatus.OPEN.value)
    return list(session.scalars(query))


def close_ticket(
    session: Session, *, ticket_id: int, resolution: str, actor: str,
    now: datetime | None = None,
) -> TroubleTicket:
    ticket = session.get(TroubleTicket, ticket_id)
    if ticket is None:
        raise CameraError(f"no ticket {ticket_id}")
    if ticket.status != TicketStatus.OPEN.value:
        raise CameraError(f"ticket {ticket_id} is already closed")
    if len(resolution.strip()) < 3:
        raise CameraError("say how it was resolved")
    now = now or utcnow()
    ticket.status = TicketStatus.CLOSED.value
    ticket.closed_by, ticket.closed_at, ticket.resolution = actor, now, resolution.strip()
    session.flush()
    enqueue_ticket(session, ticket, "closed", now)
    camera = get_camera(session, ticket.camera_id)
    record(session, event=AuditEvent.CAMERA_TICKET_CLOSE, actor=actor, now=now,
           organization=camera.agency,
           details={"ticket": ticket.id, "camera_id": ticket.camera_id,
                    "resolution": ticket.resolution})
    return ticket


def check_silent(session: Session, *, now: datetime | None = None,
                 actor: str = CHECK_ACTOR) -> list[TroubleTicket]:
    """Open a ticket for each active camera gone silent that has no open silent ticket yet;
    close the silent tickets of cameras heard from again (the recovery is recorded)."""
    now = now or utcnow()
    opened: list[TroubleTicket] = []
    for ticket in open_tickets(session, kind=SILENT):
        recovered = get_camera(session, ticket.camera_id)
        seen = last_seen(recovered)
        if seen is not None and seen > ticket.opened_at and not is_silent(recovered, now):
            close_ticket(session, ticket_id=ticket.id, actor=actor, now=now,
                         resolution=f"camera heard from again at {seen.isoformat()}")
    already = {t.camera_id for t in open_tickets(session, kind=SILENT)}
    for camera in session.scalars(select(Camera).where(Camera.active.is_(True))):
        if camera.id in already or not is_silent(camera, now):
            continue
        seen = last_seen(camera)
        description = (
            f"no heartbeat or read since {seen.isoformat()}" if seen else "never heard from"
        ) + f" (expected within {int(silent_after(camera).total_seconds() // 60)} min)"
        record(session, event=AuditEvent.CAMERA_SILENT, actor=actor, outcome=Outcome.FAILURE,
               organization=camera.agency, now=now,
               details={"camera_id": camera.id, "last_seen": seen.isoformat() if seen else None})
        opened.append(open_ticket(session, camera=camera, kind=SILENT, description=description,
                                  actor=actor, now=now))
    return opened


def record_inspection(
    session: Session, *, camera_id: str, checklist: Mapping[str, bool], actor: str,
    notes: str | None = None, now: datetime | None = None,
) -> Inspection:
    """A start-of-shift inspection; a failed item opens a trouble ticket."""
    missing = [item for item in CHECKLIST if item not in checklist]
    if missing:
        raise CameraError(f"checklist incomplete: {', '.join(missing)}")
    camera = get_camera(session, camera_id)
    if not camera.active:
        raise CameraError(f"camera {camera_id!r} is disabled")
    now = now or utcnow()
    failed = [item for item, ok in checklist.items() if not ok]
    ticket = None
    if failed:
        ticket = open_ticket(session, camera=camera, kind=INSPECTION_FAILED, actor=actor, now=now,
                             description=f"start-of-shift inspection failed: {', '.join(failed)}"
                             + (f" ({notes})" if notes else ""))
    inspection = Inspection(camera_id=camera_id, inspected_by=actor, inspected_at=now,
                            checklist=json.dumps(dict(checklist)), ok=not failed, notes=notes,
                            ticket_id=ticket.id if ticket else None)
    session.add(inspection)
    session.flush()
    record(session, event=AuditEvent.CAMERA_INSPECTION, actor=actor, now=now,
           organization=camera.agency,
           details={"inspection": inspection.id, "camera_id": camera_id, "ok": inspection.ok,
                    "failed": failed, "vehicle": camera.vehicle})
    if inspection.ok:
        release_held(session, inspection=inspection, now=now)
    return inspection


def release_held(session: Session, *, inspection: Inspection, now: datetime) -> list[Alert]:
    """Raise the alerts of the hits held during this shift (REQ C6); see `shifts`."""
    hits = [hit for hit in held_hits(session, inspection.camera_id)
            if hit.held_at > shift_start(now)]
    if not hits:
        return []
    reads = [{"id": hit.read_id, "captured_at": hit.read_captured_at,
              "camera_id": hit.camera_id, "plate_normalized": hit.plate} for hit in hits]
    alternatives = {hit.read_id: tuple(json.loads(hit.alternatives or "[]")) for hit in hits}
    alerts = raise_alerts(session, reads, now=now, alternatives=alternatives)
    for hit in hits:
        hit.released_at, hit.inspection_id = now, inspection.id
    record(session, event=AuditEvent.CAMERA_ALERTS_RELEASED, actor=inspection.inspected_by,
           now=now, details={"camera_id": inspection.camera_id, "inspection": inspection.id,
                             "held_hits": len(hits), "alerts": len(alerts)})
    return alerts


def inspections(session: Session, camera_id: str | None = None) -> list[Inspection]:
    query = select(Inspection).order_by(Inspection.inspected_at)
    if camera_id is not None:
        query = query.where(Inspection.camera_id == camera_id)
    return list(session.scalars(query))


def last_inspection(session: Session, camera_id: str) -> Inspection | None:
    return session.scalar(select(Inspection).where(Inspection.camera_id == camera_id)
                          .order_by(Inspection.inspected_at.desc()).limit(1))
