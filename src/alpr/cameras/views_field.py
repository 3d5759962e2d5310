"""Field-unit API: per-camera heartbeats, GPS fixes, heartbeat history, health overview.

A camera speaks for itself only (its API key, cameras:heartbeat); reading the health of
the fleet and running the checks needs cameras:manage. Imported by `views` (same router).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, HTTPException, status
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.orm import Session

from alpr.api.deps import PolicyDep, Principal, require
from alpr.api.paging import EVERYTHING, PageDep
from alpr.cameras import flags, gps, health, shifts
from alpr.cameras.models import Camera
from alpr.cameras.service import CameraError, get_camera, list_cameras
from alpr.cameras.views import Manager, router
from alpr.cameras.views_health import HeartbeatIn, TicketOut
from alpr.config import get_settings
from alpr.db.base import utcnow
from alpr.db.session import unit_of_work
from alpr.users.permissions import Permission

CameraCaller = Annotated[Principal, Depends(require(Permission.CAMERAS_HEARTBEAT))]


def _own(principal: Principal, camera_id: str) -> None:
    if principal.kind != "camera" or principal.id != camera_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "a camera reports only for itself")


class PointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    time: AwareDatetime
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class GpsIn(BaseModel):
    """Fixes from the unit's receiver: raw NMEA sentences, or points it decoded itself."""

    model_config = ConfigDict(extra="forbid")

    nmea: list[str] = Field(default_factory=list, max_length=10_000)
    points: list[PointIn] = Field(default_factory=list, max_length=10_000)

    @model_validator(mode="after")
    def _something(self) -> GpsIn:
        if not self.nmea and not self.points:
            raise ValueError("give nmea sentences or points")
        return self


class GpsOut(BaseModel):
    fixes: int
    new: int
    errors: list[str]
    ignored: int


class HeartbeatOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    received_at: datetime
    reported_at: datetime | None
    frames_per_second: float | None
    reads_per_hour: float | None
    temperature_c: float | None
    disk_free_percent: float | None
    hotlist_version: str | None
    hotlist_current: bool | None


class CameraHealth(BaseModel):
    id: str
    kind: str
    active: bool
    last_seen: datetime | None
    silent: bool
    open_tickets: list[str]
    inspected_this_shift: bool | None  # None: a fixed camera (no shift)
    held_hits: int
    last_heartbeat: dict[str, Any] | None


@router.post("/{camera_id}/heartbeat")
def camera_heartbeat(camera_id: str, body: HeartbeatIn, principal: CameraCaller
                     ) -> dict[str, str]:
    """A camera reports that it is alive: time, fps, reads/h, temperature, disk, hot list."""
    _own(principal, camera_id)
    with unit_of_work() as session:
        health.heartbeat(session, camera=get_camera(session, camera_id),
                         metrics=body.metrics())
    return {"status": "ok"}


@router.post("/{camera_id}/gps")
def post_gps(camera_id: str, body: GpsIn, principal: CameraCaller) -> GpsOut:
    """A mobile unit's GPS fixes; bad NMEA lines are reported by number, the rest stored."""
    _own(principal, camera_id)
    track = gps.parse_nmea(body.nmea)
    fixes = track.fixes + [gps.Fix(p.time, p.lat, p.lon) for p in body.points]
    try:
        with unit_of_work() as session:
            unit = gps.mobile_unit(session, camera_id)
            added = gps.store_fixes(session, unit, fixes, source="device")
    except CameraError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
    return GpsOut(fixes=len(fixes), new=added, errors=[str(e) for e in track.errors],
                  ignored=track.ignored)


@router.get("/{camera_id}/heartbeats")
def heartbeat_history(camera_id: str, _: Manager, page: PageDep = EVERYTHING
                      ) -> list[HeartbeatOut]:
    with unit_of_work() as session:
        return [HeartbeatOut.model_validate(h) for h in page.of(
            health.heartbeats(session, camera_id, page.offset + page.limit))]


@router.get("/health")
def fleet_health(_: Manager, page: PageDep = EVERYTHING) -> list[CameraHealth]:
    """Each camera's state: last seen, silent, open tickets, shift inspection, held hits."""
    now = utcnow()
    with unit_of_work() as session:
        return [camera_health(session, camera, now)
                for camera in page.of(list_cameras(session))]


def camera_health(session: Session, camera: Camera, now: datetime) -> CameraHealth:
    mobile = camera.kind == "mobile"
    return CameraHealth(
        id=camera.id, kind=camera.kind, active=camera.active, last_seen=health.last_seen(camera),
        silent=camera.active and health.is_silent(camera, now),
        open_tickets=[t.kind for t in health.open_tickets(session, camera.id)],
        inspected_this_shift=(shifts.inspected_this_shift(session, camera.id, now) is not None
                              if mobile else None),
        held_hits=len(shifts.held_hits(session, camera.id)),
        last_heartbeat=json.loads(camera.last_heartbeat) if camera.last_heartbeat else None)


@router.post("/health/check")
def run_health_check(principal: Manager, policy: PolicyDep) -> list[TicketOut]:
    """Run every health check now (the job does it every 5 minutes); the tickets opened."""
    with unit_of_work() as session:
        opened = flags.check_health(session, now=utcnow(), policy=policy,
                                    settings=get_settings(), actor=principal.actor)
        return [TicketOut.model_validate(t) for t in opened]
