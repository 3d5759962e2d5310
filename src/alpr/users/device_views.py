"""Agency-issued devices over HTTP (REQ U12): a System or ALPR Administrator registers one
(its token is shown once, to be installed on it), lists them, and revokes a lost one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, status
from pydantic import BaseModel, ConfigDict, Field

from alpr.api.deps import Principal, require, unprocessable
from alpr.api.paging import EVERYTHING, PageDep
from alpr.db.base import utcnow
from alpr.db.session import unit_of_work
from alpr.users.devices import MAX_NAME, DeviceError, all_devices, register_device, revoke_device
from alpr.users.permissions import Permission

router = APIRouter(prefix="/api/v1/devices", tags=["devices"])
Manager = Annotated[Principal, Depends(require(Permission.USERS_MANAGE))]
DeviceId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class DeviceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=MAX_NAME,
                      description="What the device is, e.g. 'MDC unit 12'")


class DeviceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    registered_by: str
    registered_at: datetime
    revoked_at: datetime | None


class RegisteredOut(DeviceOut):
    token: str = Field(description="Install on the device once; it is never shown again")


class RevokeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=3, max_length=500)


@router.get("")
def list_devices(_: Manager, page: PageDep = EVERYTHING) -> list[DeviceOut]:
    with unit_of_work() as session:
        return [DeviceOut.model_validate(d) for d in page.of(all_devices(session))]


@router.post("", status_code=status.HTTP_201_CREATED)
def register(body: DeviceIn, principal: Manager) -> RegisteredOut:
    try:
        with unit_of_work() as session:
            device, token = register_device(session, name=body.name, actor=principal.actor,
                                            now=utcnow())
            return RegisteredOut(**DeviceOut.model_validate(device).model_dump(), token=token)
    except DeviceError as error:
        raise unprocessable(error) from error


@router.post("/{device_id}/revoke")
def revoke(device_id: DeviceId, body: RevokeIn, principal: Manager) -> DeviceOut:
    """Revoke a lost, retired or compromised device: its sessions end now."""
    try:
        with unit_of_work() as session:
            return DeviceOut.model_validate(revoke_device(
                session, device_id=device_id, reason=body.reason, actor=principal.actor,
                now=utcnow()))
    except DeviceError as error:
        raise unprocessable(error) from error
