"""Camera registry API (cameras:manage)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel, Field

from alpr.api.deps import Principal, require
from alpr.api.paging import EVERYTHING, PageDep
from alpr.cameras import service
from alpr.cameras.schemas import CameraIn, CameraIssued, CameraOut
from alpr.db.session import unit_of_work
from alpr.users.permissions import Permission

router = APIRouter(prefix="/api/v1/cameras", tags=["cameras"])
Manager = Annotated[Principal, Depends(require(Permission.CAMERAS_MANAGE))]


class DisableRequest(BaseModel):
    reason: str = Field(min_length=3, max_length=500)


@router.get("")
def list_cameras(_: Manager, page: PageDep = EVERYTHING) -> list[CameraOut]:
    with unit_of_work() as session:
        return [CameraOut.model_validate(c) for c in page.of(service.list_cameras(session))]


@router.post("", status_code=status.HTTP_201_CREATED)
def register_camera(camera: CameraIn, principal: Manager) -> CameraIssued:
    """Register a camera; the response carries its API key, which is never shown again."""
    try:
        with unit_of_work() as session:
            row, key = service.register_camera(session, camera=camera, actor=principal.actor)
            return CameraIssued(**CameraOut.model_validate(row).model_dump(), api_key=key)
    except service.CameraError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error


@router.post("/{camera_id}/disable")
def disable_camera(camera_id: str, body: DisableRequest, principal: Manager) -> CameraOut:
    try:
        with unit_of_work() as session:
            row = service.disable_camera(
                session, camera_id=camera_id, actor=principal.actor, reason=body.reason
            )
            return CameraOut.model_validate(row)
    except service.NotAdministratorError as error:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(error)) from error
    except service.CameraError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error

import alpr.cameras.views_field  # noqa: E402  (its routes join this router)
import alpr.cameras.views_health  # noqa: E402
import alpr.cameras.views_keys  # noqa: E402, F401
