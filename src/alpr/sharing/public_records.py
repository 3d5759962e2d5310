"""Public records requests (REQ S9): a log, and an export of aggregate counts only.

ALPR reads are investigatory records; what the public may get is how much the system
collects: reads per camera per day and hot-list hits per day. The export is built from
counts alone, so no plate, read id, location or image can reach it.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent
from alpr.audit.service import record
from alpr.hotlists.models import Alert
from alpr.reads.models import Read
from alpr.sharing.agencies import SharingError
from alpr.sharing.models import PublicRecordsRequest

MAX_DAYS = 400  # a year and a bit: one count query per day


def record_request(session: Session, *, requester: str, description: str, actor: str,
                   now: datetime, received_at: datetime | None = None) -> PublicRecordsRequest:
    request = PublicRecordsRequest(requester=requester, description=description,
                                   received_at=received_at or now, status="open",
                                   recorded_by=actor)
    session.add(request)
    session.flush()
    record(session, event=AuditEvent.PUBLIC_RECORDS_REQUEST, actor=actor, now=now, details={
        "request_id": request.id, "requester": requester, "description": description})
    return request


def all_requests(session: Session) -> list[PublicRecordsRequest]:
    return list(session.scalars(select(PublicRecordsRequest).order_by(PublicRecordsRequest.id)))


def aggregates(session: Session, *, start: datetime, end: datetime) -> dict[str, Any]:
    """Counts per UTC day in [start, end): reads per camera, and hot-list hits."""
    first = start.replace(hour=0, minute=0, second=0, microsecond=0)
    days = -((first - end) // timedelta(days=1))  # whole days, rounded up
    if end <= start or days > MAX_DAYS:
        raise SharingError(f"the period must be positive and at most {MAX_DAYS} days")
    reads: list[dict[str, Any]] = []
    alerts: list[dict[str, Any]] = []
    # One range query per day keeps day boundaries in UTC on every backend.
    for offset in range(days):
        low = max(first + timedelta(days=offset), start)
        high = min(first + timedelta(days=offset + 1), end)
        day = low.date().isoformat()
        for camera_id, count in session.execute(
                select(Read.camera_id, func.count()).where(
                    Read.captured_at >= low, Read.captured_at < high)
                .group_by(Read.camera_id).order_by(Read.camera_id)):
            reads.append({"day": day, "camera_id": camera_id, "reads": count})
        hits = session.scalar(select(func.count()).select_from(Alert).where(
            Alert.created_at >= low, Alert.created_at < high)) or 0
        alerts.append({"day": day, "hotlist_hits": hits})
    return {"period": {"start": start.isoformat(), "end": end.isoformat()},
            "note": "Aggregate counts only; ALPR reads are investigatory records (REQ S9).",
            "reads_per_camera_per_day": reads, "hotlist_hits_per_day": alerts}


def export(session: Session, *, request_id: int, start: datetime, end: datetime, actor: str,
           now: datetime) -> bytes:
    request = session.get(PublicRecordsRequest, request_id)
    if request is None:
        raise SharingError(f"no public records request {request_id}")
    data = aggregates(session, start=start, end=end) | {
        "request": {"id": request.id, "requester": request.requester,
                    "received_at": request.received_at.isoformat()}}
    request.status, request.fulfilled_at, request.fulfilled_by = "fulfilled", now, actor
    record(session, event=AuditEvent.PUBLIC_RECORDS_EXPORT, actor=actor, now=now, details={
        "request_id": request.id, "start": start.isoformat(), "end": end.isoformat(),
        "rows": len(data["reads_per_camera_per_day"])})
    return json.dumps(data, indent=2).encode()
