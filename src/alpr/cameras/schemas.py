"""API shapes for the camera registry."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

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


class CameraOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    kind: CameraKind
    agency: str
    lat: float | None
    lon: float | None
    heading: float | None
    active: bool
    created_at: datetime
    disabled_at: datetime | None


class CameraIssued(CameraOut):
    """Returned once, at registration: the only time the API key is shown."""

    api_key: str
