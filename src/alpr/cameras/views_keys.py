"""Camera keys API (cameras:manage): rotate, revoke, list (REQ C7). Joins the cameras router."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import HTTPException, Request, status
from pydantic import BaseModel, ConfigDict, Field

from alpr.api.paging import EVERYTHING, PageDep
from alpr.cameras import keys
from alpr.cameras.service import CameraError, NotAdministratorError
from alpr.cameras.views import Manager, router
from alpr.db.session import unit_of_work


class RotateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    grace_hours: float | None = Field(default=None, ge=0, le=keys.MAX_GRACE.days * 24,
                                      description="Default: ALPR_CAMERA_KEY_GRACE_HOURS")


class RotateOut(BaseModel):
    camera_id: str
    api_key: str = Field(description="Shown this once")
    old_key_valid_until: datetime | None


class RevokeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=3, max_length=500)
    previous_only: bool = False


class KeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    camera_id: str
    state: str
    issued_at: datetime
    issued_by: str
    valid_until: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


def _refuse(error: CameraError) -> HTTPException:
    if isinstance(error, NotAdministratorError):
        return HTTPException(status.HTTP_403_FORBIDDEN, str(error))
    return HTTPException(status.HTTP_409_CONFLICT, str(error))


@router.post("/{camera_id}/keys/rotate")
def rotate_key(camera_id: str, body: RotateIn, principal: Manager, request: Request
               ) -> RotateOut:
    """Issue a new key; the old one keeps working for the grace period, then is refused."""
    hours = body.grace_hours
    if hours is None:
        hours = request.app.state.settings.camera_key_grace_hours
    try:
        with unit_of_work() as session:
            done = keys.rotate_key(session, camera_id=camera_id, actor=principal.actor,
                                   grace=timedelta(hours=hours))
    except CameraError as error:
        raise _refuse(error) from error
    return RotateOut(camera_id=camera_id, api_key=done.key,
                     old_key_valid_until=done.old_valid_until)


@router.post("/{camera_id}/keys/revoke")
def revoke_keys(camera_id: str, body: RevokeIn, principal: Manager) -> list[KeyOut]:
    """Refuse the camera's keys now (the rotated ones only, with previous_only)."""
    try:
        with unit_of_work() as session:
            keys.revoke_keys(session, camera_id=camera_id, actor=principal.actor,
                             reason=body.reason, previous_only=body.previous_only)
            return [KeyOut.model_validate(k) for k in
                    keys.list_keys(session, actor=principal.actor, camera_id=camera_id)]
    except CameraError as error:
        raise _refuse(error) from error


@router.get("/{camera_id}/keys")
def list_keys(camera_id: str, principal: Manager, page: PageDep = EVERYTHING) -> list[KeyOut]:
    """The camera's keys: current, in grace, expired, revoked, each with its last use."""
    try:
        with unit_of_work() as session:
            return [KeyOut.model_validate(k) for k in page.of(
                keys.list_keys(session, actor=principal.actor, camera_id=camera_id))]
    except CameraError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
