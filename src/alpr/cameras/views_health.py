"""Camera API beyond the registry: updates, masks, heartbeats, tickets, inspections.

Every route that changes configuration needs cameras:manage (REQ C7); a camera's own
administrators list is checked by the services. Imported by `views` (same router).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Depends, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field

from alpr.api.deps import Principal, require
from alpr.api.paging import EVERYTHING, PageDep
from alpr.cameras import admin, health, masks
from alpr.cameras.models import MaskKind, PrivacyMask
from alpr.cameras.schemas import CameraOut
from alpr.cameras.service import CameraError, get_camera
from alpr.cameras.views import Manager, router
from alpr.db.session import unit_of_work
from alpr.reads.extra import bounded_json
from alpr.users.permissions import Permission

CameraCaller = Annotated[Principal, Depends(require(Permission.CAMERAS_HEARTBEAT))]
Inspector = Annotated[Principal, Depends(require(Permission.CAMERAS_INSPECT))]


def _refuse(error: CameraError) -> HTTPException:
    if isinstance(error, admin.NotAdministratorError):
        return HTTPException(status.HTTP_403_FORBIDDEN, str(error))
    return HTTPException(status.HTTP_409_CONFLICT, str(error))


class CameraUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    heading: float | None = Field(default=None, ge=0, lt=360)
    field_of_view: float | None = Field(default=None, gt=0, le=360)
    vehicle: str | None = Field(default=None, max_length=64)
    administrators: list[str] | None = Field(default=None, max_length=20)
    silent_after_s: int | None = Field(default=None, ge=60, le=7 * 86400)


class MaskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    kind: MaskKind
    polygon: list[list[float]] | None = Field(
        description="[x, y] pixels (image) or [lat, lon] (geo); null removes the mask"
    )
    camera_id: str | None = Field(default=None, description="None: agency-wide zone (geo)")
    agency: str | None = None
    reason: str = Field(min_length=3, max_length=500)


class MaskOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    version: int
    kind: MaskKind
    camera_id: str | None
    agency: str
    polygon: Any
    reason: str
    created_by: str
    created_at: datetime
    superseded_at: datetime | None


class HeartbeatIn(BaseModel):
    """What a camera reports. Fields alpr does not know (`fps`, a vendor's counters) are
    kept with the heartbeat, bounded, never a reason to refuse it."""

    model_config = ConfigDict(extra="allow")

    def metrics(self) -> dict[str, Any]:
        known = self.model_dump(mode="json", exclude=set(self.model_extra or {}))
        extra = bounded_json(self.model_extra or {})
        return {**known, "extra": json.loads(extra)} if extra else known

    time: datetime | None = None
    frames_per_second: float | None = Field(default=None, ge=0)
    reads_per_hour: float | None = Field(default=None, ge=0)
    temperature_c: float | None = None
    disk_free_percent: float | None = Field(default=None, ge=0, le=100)
    hotlist_version: str | None = Field(default=None, max_length=64)


class TicketOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    camera_id: str
    kind: str
    description: str
    status: str
    opened_by: str
    opened_at: datetime
    closed_by: str | None
    closed_at: datetime | None
    resolution: str | None


class CloseTicket(BaseModel):
    resolution: str = Field(min_length=3, max_length=2000)


class InspectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    checklist: dict[str, bool]
    notes: str | None = Field(default=None, max_length=2000)


class InspectionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    camera_id: str
    inspected_by: str
    inspected_at: datetime
    ok: bool
    notes: str | None
    ticket_id: int | None


class MaskedCountOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    camera_id: str
    day: date
    count: int


def _mask_out(row: PrivacyMask) -> MaskOut:
    out = MaskOut.model_validate(row)
    out.polygon = json.loads(row.polygon) if row.polygon else None
    return out


@router.post("/heartbeat")
def heartbeat(body: HeartbeatIn, principal: CameraCaller) -> dict[str, str]:
    """A camera reports that it is alive (authenticated by its own API key)."""
    if principal.kind != "camera":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only a camera sends heartbeats")
    with unit_of_work() as session:
        camera = get_camera(session, principal.id)
        health.heartbeat(session, camera=camera, metrics=body.metrics())
    return {"status": "ok"}


@router.get("/tickets")
def list_tickets(_: Manager, include_closed: bool = False, page: PageDep = EVERYTHING
                 ) -> list[TicketOut]:
    with unit_of_work() as session:
        return [TicketOut.model_validate(t)
                for t in page.of(health.list_tickets(session, include_closed=include_closed))]


@router.post("/tickets/{ticket_id}/close")
def close_ticket(ticket_id: int, body: CloseTicket, principal: Manager) -> TicketOut:
    try:
        with unit_of_work() as session:
            ticket = health.close_ticket(session, ticket_id=ticket_id,
                                         resolution=body.resolution, actor=principal.actor)
            return TicketOut.model_validate(ticket)
    except CameraError as error:
        raise _refuse(error) from error


@router.get("/masks")
def list_masks(_: Manager, camera_id: str | None = None, page: PageDep = EVERYTHING
               ) -> list[MaskOut]:
    with unit_of_work() as session:
        return [_mask_out(m) for m in page.of(masks.list_masks(session, camera_id=camera_id))]


@router.put("/masks", status_code=status.HTTP_201_CREATED)
def set_mask(body: MaskIn, principal: Manager) -> MaskOut:
    """Add the next version of a mask (or remove it with `polygon: null`); old ones are kept."""
    try:
        with unit_of_work() as session:
            row = masks.set_mask(
                session, name=body.name, kind=body.kind, polygon=body.polygon,
                camera_id=body.camera_id, agency=body.agency or principal.organization,
                actor=principal.actor, reason=body.reason)
            return _mask_out(row)
    except CameraError as error:
        raise _refuse(error) from error


@router.get("/masks/{name}/history")
def mask_history(name: str, _: Manager, page: PageDep = EVERYTHING) -> list[MaskOut]:
    with unit_of_work() as session:
        return [_mask_out(m) for m in page.of(masks.mask_history(session, name))]


@router.get("/masked-counts")
def masked_counts(_: Manager, camera_id: str | None = None, page: PageDep = EVERYTHING
                  ) -> list[MaskedCountOut]:
    with unit_of_work() as session:
        return [MaskedCountOut.model_validate(c)
                for c in page.of(masks.masked_counts(session, camera_id))]


@router.patch("/{camera_id}")
def update_camera(camera_id: str, body: CameraUpdate, principal: Manager) -> CameraOut:
    try:
        with unit_of_work() as session:
            row = admin.update_camera(session, camera_id=camera_id, actor=principal.actor,
                                      changes=body.model_dump(exclude_unset=True))
            return CameraOut.model_validate(row)
    except CameraError as error:
        raise _refuse(error) from error


@router.post("/{camera_id}/inspections", status_code=status.HTTP_201_CREATED)
def inspect(camera_id: str, body: InspectionIn, principal: Inspector) -> InspectionOut:
    """Record a unit's start-of-shift inspection; a failed item opens a trouble ticket."""
    try:
        with unit_of_work() as session:
            row = health.record_inspection(session, camera_id=camera_id,
                                           checklist=body.checklist, notes=body.notes,
                                           actor=principal.actor)
            return InspectionOut.model_validate(row)
    except CameraError as error:
        raise _refuse(error) from error
