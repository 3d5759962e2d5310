"""API shapes for the camera registry."""

from __future__ import annotations

import json
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from alpr.cameras.models import CameraKind

CAMERA_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


class CameraIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=CAMERA_ID_PATTERN, description="Agency's unit or camera id")
    name: str = Field(min_length=1, max_length=200)
    kind: CameraKind
    agency: str = Field(min_length=1, max_length=200)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    heading: float | None = Field(default=None, ge=0, lt=360)
    field_of_view: float | None = Field(default=None, gt=0, le=360, description="Degrees")
    vehicle: str | None = Field(default=None, max_length=64, description="Mobile units only")
    administrators: list[str] = Field(
        default_factory=list, max_length=20,
        description="Usernames who may change it; empty: any System Administrator",
    )


class CameraOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    kind: CameraKind
    agency: str
    lat: float | None
    lon: float | None
    heading: float | None
    field_of_view: float | None
    vehicle: str | None
    administrators: list[str]
    silent_after_s: int | None
    active: bool
    created_at: datetime
    disabled_at: datetime | None
    last_heartbeat_at: datetime | None
    last_read_at: datetime | None

    @field_validator("administrators", mode="before")
    @classmethod
    def _decode(cls, value: object) -> object:
        return json.loads(value) if isinstance(value, str) else (value or [])


class CameraIssued(CameraOut):
    """Returned once, at registration: the only time the API key is shown."""

    api_key: str
