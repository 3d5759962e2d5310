"""What an operator needs to verify an alert (REQ A2): the read behind it and its images.

Searching needs a stated purpose; an alert does not: it was pushed to the operator, who
must compare the plate, state and vehicle before acting. So whoever receives alerts may
see the read *of that alert* (vehicle description, plate crop, vehicle image) and nothing
else; each access is audited like a read or image view, naming the alert.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from alpr.audit.events import AuditEvent
from alpr.audit.service import record
from alpr.cameras.models import Camera
from alpr.hotlists.models import Alert, HotListEntry
from alpr.hotlists.responses import AlertError, get_alert
from alpr.reads.images import ImageError, ImageStore
from alpr.reads.models import Read

PURPOSE = "hot-list alert verification"
IMAGE_KINDS = ("plate", "vehicle")


class AlertRead(BaseModel):
    """The read's vehicle as seen, beside the vehicle the list describes (also the API's
    answer)."""

    region: str | None
    vehicle_color: str | None
    vehicle_make: str | None
    vehicle_model: str | None
    has_plate_image: bool
    has_vehicle_image: bool
    listed_vehicle: str | None  # year make model colour of the entry, if it still exists
    # Where and which way, for the officer (issue 21): the read's own place and heading
    # (a mobile unit's GPS), else the camera's.
    read_id: uuid.UUID
    captured_at: datetime
    camera_name: str | None
    lat: float | None
    lon: float | None
    heading: float | None


def _read_of(session: Session, alert: Alert) -> Read:
    read = session.scalar(select(Read).where(Read.id == alert.read_id,
                                             Read.captured_at == alert.read_captured_at))
    if read is None or read.logically_deleted_at is not None:
        raise AlertError(f"the read of alert {alert.id} is no longer available")
    return read


def _listed_vehicle(session: Session, alert: Alert) -> str | None:
    entry = session.get(HotListEntry, alert.entry_id)
    if entry is None:
        return None
    parts = [entry.vehicle_year, entry.vehicle_make, entry.vehicle_model, entry.vehicle_color]
    return " ".join(p for p in parts if p) or None


def alert_read(session: Session, *, alert_id: uuid.UUID, actor: str,
               organization: str | None) -> AlertRead:
    alert = get_alert(session, alert_id)
    read = _read_of(session, alert)
    record(session, event=AuditEvent.READ_VIEW, actor=actor, organization=organization,
           purpose=PURPOSE, details={"read_id": str(read.id), "plate": read.plate_normalized,
                                     "alert_id": str(alert_id), "image": None})
    camera = session.get(Camera, read.camera_id)
    return AlertRead(region=read.region, vehicle_color=read.vehicle_color,
                     vehicle_make=read.vehicle_make, vehicle_model=read.vehicle_model,
                     has_plate_image=read.plate_image is not None,
                     has_vehicle_image=read.vehicle_image is not None,
                     listed_vehicle=_listed_vehicle(session, alert),
                     read_id=read.id, captured_at=read.captured_at,
                     camera_name=camera.name if camera else None,
                     lat=read.lat if read.lat is not None else camera.lat if camera else None,
                     lon=read.lon if read.lon is not None else camera.lon if camera else None,
                     heading=read.heading if read.heading is not None
                     else camera.heading if camera else None)


def alert_image(session: Session, *, alert_id: uuid.UUID, kind: str, images: ImageStore,
                actor: str, organization: str | None) -> bytes:
    """The plate crop or vehicle image of the alert's own read."""
    if kind not in IMAGE_KINDS:
        raise AlertError("image kind is plate or vehicle")
    alert = get_alert(session, alert_id)
    read = _read_of(session, alert)
    digest = read.plate_image if kind == "plate" else read.vehicle_image
    if digest is None:
        raise AlertError(f"the read of alert {alert_id} has no {kind} image")
    try:
        data = images.get(digest, read.captured_at.date())
    except ImageError as error:  # purged or shredded with its day
        raise AlertError(str(error)) from error
    record(session, event=AuditEvent.READ_IMAGE, actor=actor, organization=organization,
           purpose=PURPOSE, details={"read_id": str(read.id), "plate": read.plate_normalized,
                                     "alert_id": str(alert_id), "image": kind})
    return data
